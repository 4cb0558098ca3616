import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { unitHash } from '../../domain/assignment.js';
import { addDays } from '../../domain/dates.js';
import type { FeedbackAnswer, LedgerStatus, RecordedEmailEvent, SendRecord, SentEntry } from '../../domain/sends.js';
import type { Reservation, SendKey, SendLedger, SendOutcome, SendReservation } from '../../ports/send-ledger.js';
import { markSentNightsCoverage } from './admin.js';
import { isConditionalCheckFailure, parallelScan, queryAll } from './client.js';
import { readBatcherFor } from './read-batches.js';
import { keys, messageIndex, sentNightIndex, sentNightKey, sentNightPartition, sentNightShards } from './table.js';
import { type PutBatcher, putBatcherFor, type TransactionBatcher, transactionBatcherFor } from './write-batches.js';

/** Readers of the messages index at once for the deliverability guard, on a table not yet covered by `nights`. */
const messageScanSegments = 8;
/** Queries of the `nights` index at once: a 7-night window is 112 (night, shard) partitions. */
const sentNightQueriesAtOnce = 16;

export class DynamoSendLedger implements SendLedger {
  private readonly writes: TransactionBatcher;
  private readonly unconditional: PutBatcher;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.writes = transactionBatcherFor(client);
    this.unconditional = putBatcherFor(client, tableName);
  }

  async reserve(reservation: SendReservation, status: 'reserved' | 'held_out' | 'scheduled' = 'reserved'): Promise<Reservation> {
    const entry = {
      TableName: this.tableName,
      Item: { ...ledgerKey(reservation), entity: 'send', status, events: {}, ...reservation },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    try {
      // A scheduled entry and its place on the due list go together, or neither does. Concurrent reservations travel
      // in one request (see TransactionBatcher), each still conditional on its own key.
      await this.writes.write(
        status === 'scheduled' && reservation.notBefore
          ? [
              { Put: entry },
              { Put: { TableName: this.tableName, Item: { ...duePointer(reservation, reservation.notBefore), entity: 'due', key: sendKeyOf(reservation) } } },
            ]
          : [{ Put: entry }],
      );
      return { reserved: true };
    } catch (error) {
      // Someone (an earlier night, or a concurrent one) holds this step: that is an answer, not a failure.
      if (isConditionalCheckFailure(error)) {
        const held = (error as { Item?: Record<string, { S?: string }> }).Item;
        const holder = { ...(held?.runId?.S ? { runId: held.runId.S } : {}), ...(held?.heldSince?.S ? { heldSince: held.heldSince.S } : {}) };
        return { reserved: false, heldAs: heldAs(held?.status?.S), holder };
      }
      throw error;
    }
  }

  async claimScheduled(key: SendRecord): Promise<boolean> {
    try {
      // Concurrent claims (a batch of the send queue) travel in one request, each still conditional on its own entry.
      await this.writes.write([
        {
          Update: {
            TableName: this.tableName,
            Key: ledgerKey(key),
            UpdateExpression: 'SET #status = :reserved',
            ConditionExpression: '#status = :scheduled',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':reserved': 'reserved', ':scheduled': 'scheduled' },
          },
        },
      ]);
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    } finally {
      // Its place on the due list goes either way, unconditionally, in a batch of deletes.
      if (key.notBefore) await this.unconditional.delete(duePointer(key, key.notBefore));
    }
  }

  async reschedule(entry: SendRecord, notBefore: string): Promise<void> {
    const key = sendKeyOf(entry);
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.tableName,
              Key: ledgerKey(key),
              UpdateExpression: 'SET #status = :scheduled, notBefore = :notBefore',
              ConditionExpression: '#status = :reserved',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':scheduled': 'scheduled', ':reserved': 'reserved', ':notBefore': notBefore },
            },
          },
          { Put: { TableName: this.tableName, Item: { ...duePointer(key, notBefore), entity: 'due', key } } },
        ],
      }),
    );
  }

  async deferDue(entry: SendRecord, notBefore: string): Promise<boolean> {
    const key = sendKeyOf(entry);
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: ledgerKey(key),
                UpdateExpression: 'SET notBefore = :notBefore',
                ConditionExpression: '#status = :scheduled',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':scheduled': 'scheduled', ':notBefore': notBefore },
              },
            },
            ...(entry.notBefore ? [{ Delete: { TableName: this.tableName, Key: duePointer(key, entry.notBefore) } }] : []),
            { Put: { TableName: this.tableName, Item: { ...duePointer(key, notBefore), entity: 'due', key } } },
          ],
        }),
      );
      return true;
    } catch (error) {
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
      if (reasons.some((reason) => reason.Code === 'ConditionalCheckFailed')) return false;
      throw error;
    }
  }

  async cancelScheduled(key: SendKey, reason: string): Promise<void> {
    await this.writes.write([
      {
        Update: {
          TableName: this.tableName,
          Key: ledgerKey(key),
          UpdateExpression: 'SET #status = :cancelled, errorCode = :reason',
          ConditionExpression: '#status = :reserved',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':cancelled': 'cancelled', ':reason': reason, ':reserved': 'reserved' },
        },
      },
    ]);
  }

  async due(upTo: Date, limit: number): Promise<SendRecord[]> {
    const found: SendRecord[] = [];
    // Due sends are filed by the UTC hour they may go; two days back covers any sweep that was missed.
    const lastHour = Math.floor(upTo.getTime() / 3_600_000);
    /** The pointers of this hour already answered with a scheduled entry (they stay until that entry is claimed). */
    const taken = new Set<string>();
    for (let hour = lastHour - 48; hour <= lastHour && found.length < limit; ) {
      const instant = new Date(hour * 3_600_000).toISOString();
      const wanted = limit - found.length;
      // An hour's shards together (and the unsharded bucket older versions wrote), oldest first across them. Each
      // reads past the pointers this hour already gave, so what it returns holds at least one it did not.
      const buckets = [dueBucket(instant), ...Array.from({ length: dueShards }, (_, shard) => dueBucket(instant, shard))];
      const pages = await Promise.all(
        buckets.map((bucket) =>
          this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              KeyConditionExpression: 'pk = :pk AND sk <= :upTo',
              ExpressionAttributeValues: { ':pk': bucket, ':upTo': `${upTo.toISOString()}~` },
              Limit: wanted + taken.size,
            }),
          ),
        ),
      );
      // One send in two buckets (filed before sharding, deferred after) is one send: its keys are the same.
      const bySk = new Map(pages.flatMap((page) => page.Items ?? []).map((item) => [String(item.sk), item]));
      const fresh = [...bySk.values()]
        .filter((item) => !taken.has(String(item.sk)))
        .sort((a, b) => (String(a.sk) < String(b.sk) ? -1 : String(a.sk) > String(b.sk) ? 1 : 0));
      const Items = fresh.slice(0, wanted);
      // The entries are read together, in batch reads: a sweep of 200 due sends was 200 round trips in a row.
      const records = await this.getMany(Items.map((item) => item.key as SendKey));
      const stale: Record<string, unknown>[] = [];
      records.forEach((record, index) => {
        if (record?.status !== 'scheduled') return void stale.push(Items[index]!);
        found.push(record);
        taken.add(String(Items[index]!.sk));
      });
      await Promise.all(stale.map((item) => this.unconditional.delete({ pk: String(item.pk), sk: String(item.sk) })));
      // A bucket cut short, or more pointers than were wanted, may hide due sends behind stale pointers, which are
      // gone now: read the hour again. So fewer than `limit` sends means nothing else was due, and a sweep can stop.
      const cutShort = pages.some((page) => page.LastEvaluatedKey !== undefined) || fresh.length > wanted;
      if (!cutShort || found.length >= limit) {
        hour += 1;
        taken.clear();
      }
    }
    return found;
  }

  async get(key: SendKey): Promise<SendRecord | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: ledgerKey(key), ConsistentRead: true }));
    if (!Item) return undefined;
    return sendRecordOf(Item);
  }

  async getMany(wanted: readonly SendKey[]): Promise<(SendRecord | undefined)[]> {
    const items = await readBatcherFor(this.client, this.tableName).getMany(wanted.map(ledgerKey));
    return items.map((item) => (item ? sendRecordOf(item) : undefined));
  }

  async complete(key: SendKey, outcome: SendOutcome): Promise<void> {
    // A sent entry is filed by its night in the sparse sent-nights index, where the deliverability guard reads it.
    const detail =
      outcome.status === 'sent'
        ? { messageId: outcome.messageId, [sentNightIndex.partitionKey]: sentNightKey(outcome.night, key.customerId) }
        : { errorCode: outcome.errorCode };
    const names = Object.keys(detail);
    await this.writes.write([
      {
        Update: {
          TableName: this.tableName,
          Key: ledgerKey(key),
          UpdateExpression: `SET #status = :status, completedAt = :at, ${names.map((name) => `${name} = :${name}`).join(', ')}`,
          ConditionExpression: '#status = :reserved',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': outcome.status,
            ':at': outcome.at,
            ':reserved': 'reserved',
            ...Object.fromEntries(Object.entries(detail).map(([name, value]) => [`:${name}`, value])),
          },
        },
      },
    ]);
  }

  async release(key: SendKey): Promise<void> {
    await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: ledgerKey(key),
        ConditionExpression: '#status = :reserved',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':reserved': 'reserved' },
      }),
    );
  }

  async findByMessageId(messageId: string): Promise<SendRecord | undefined> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: messageIndex.name,
        KeyConditionExpression: '#messageId = :messageId',
        ExpressionAttributeNames: { '#messageId': messageIndex.partitionKey },
        ExpressionAttributeValues: { ':messageId': messageId },
        Limit: 1,
      }),
    );
    const item = Items?.[0];
    if (!item) return undefined;
    return sendRecordOf(item);
  }

  async recordEvent(key: SendKey, event: RecordedEmailEvent, at: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: ledgerKey(key),
          UpdateExpression: 'SET events.#event = if_not_exists(events.#event, :at)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#event': event },
          ExpressionAttributeValues: { ':at': at },
        }),
      );
    } catch (error) {
      // The customer was forgotten since: their send is gone, and so is the need to record it.
      if (!isConditionalCheckFailure(error)) throw error;
    }
  }

  async recordFeedback(key: SendKey, feedback: FeedbackAnswer): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: ledgerKey(key),
          UpdateExpression: 'SET feedback = :feedback',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':feedback': feedback },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  async sendsOf(customerId: string): Promise<SendRecord[]> {
    return sendsOf(this.client, this.tableName, customerId);
  }

  /**
   * The sent entries of the window's nights, from the sparse `nights` index: one query per night and shard, so what
   * it reads grows with the window's emails, not the shop's history. Nights before the index covered every send (a
   * table made by an earlier version) are read the old way, by a scan of the whole `messages` index.
   */
  async sentOnNights(firstNight: string, lastNight: string): Promise<SentEntry[]> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.sentNightsCoverage, ConsistentRead: true }));
    const coveredFrom = typeof Item?.since === 'string' ? Item.since : undefined;
    if (coveredFrom === undefined || coveredFrom > firstNight) return this.scanSentOnNights(firstNight, lastNight);
    const partitions: string[] = [];
    for (let night = firstNight; night <= lastNight; night = addDays(night, 1)) {
      for (let shard = 0; shard < sentNightShards; shard += 1) partitions.push(sentNightPartition(night, shard));
    }
    const limit = pLimit(sentNightQueriesAtOnce);
    const query = (partition: string) =>
      queryAll(this.client, {
        TableName: this.tableName,
        IndexName: sentNightIndex.name,
        KeyConditionExpression: '#night = :night',
        ExpressionAttributeNames: { '#night': sentNightIndex.partitionKey },
        ExpressionAttributeValues: { ':night': partition },
      });
    const pages = await Promise.all(partitions.map((partition) => limit(() => query(partition))));
    return pages.flat().map(sendRecordOf);
  }

  /**
   * Called as a night begins, before it sends: every email of this night and later is filed by night (this version
   * writes `sentNight`), so once the guard's window starts on or after it, the guard reads the index. The first
   * claim stands. After a rollback to a version without the index, this item (SHOP / SENT_NIGHTS) must be deleted
   * before upgrading again: the nights sent meanwhile were not filed by night.
   */
  async beginNight(asOf: string): Promise<void> {
    await markSentNightsCoverage(this.client, this.tableName, asOf);
  }

  /** The whole `messages` index (every email ever sent), in parallel segments, kept to the window's nights. */
  private async scanSentOnNights(firstNight: string, lastNight: string): Promise<SentEntry[]> {
    const found: SentEntry[] = [];
    await parallelScan(
      this.client,
      {
        TableName: this.tableName,
        IndexName: messageIndex.name,
        FilterExpression: 'asOf BETWEEN :first AND :last',
        ExpressionAttributeValues: { ':first': firstNight, ':last': lastNight },
      },
      messageScanSegments,
      (items) => {
        for (const item of items) found.push(sendRecordOf(item));
      },
    );
    return found;
  }
}

function heldAs(status: string | undefined): LedgerStatus {
  return status === 'sent' || status === 'failed' || status === 'held_out' || status === 'scheduled' || status === 'cancelled' ? status : 'reserved';
}

function sendKeyOf(key: SendKey): SendKey {
  return { customerId: key.customerId, campaignId: key.campaignId, episode: key.episode, step: key.step };
}

/**
 * Partitions an hour of the due list is spread over. Quiet hours end at the same minute for most customers, so a
 * 100,000-email night files nearly all its sends under one hour: in one partition, its writes would queue behind
 * DynamoDB's 1,000 writes a second per partition while the segment workers reserve.
 */
export const dueShards = 8;

/** `DUE#<UTC hour>#<shard>`; without a shard, the bucket of the versions before sharding (still read, never written). */
function dueBucket(instant: string, shard?: number): string {
  return shard === undefined ? `DUE#${instant.slice(0, 13)}` : `DUE#${instant.slice(0, 13)}#${shard}`;
}

/** The due-list entry of a scheduled send: filed under its UTC hour and its customer's shard, sorted by the instant it may go. */
export function duePointer(key: SendKey, notBefore: string) {
  const shard = Math.floor(unitHash(`due.${key.customerId}`) * dueShards);
  return { pk: dueBucket(notBefore, shard), sk: `${notBefore}#${key.customerId}#${key.campaignId}#${key.episode}#${key.step}` };
}

function ledgerKey(key: SendKey) {
  return keys.send(key.customerId, key.campaignId, key.episode, key.step);
}

/** A ledger item as the domain reads it: without the table's keys and the index attribute. */
export function sendRecordOf(item: Record<string, unknown>): SendRecord {
  const { pk: _pk, sk: _sk, entity: _entity, [sentNightIndex.partitionKey]: _night, ...record } = item;
  return record as unknown as SendRecord;
}

/** A customer's ledger entries: their sends, with events, credits and feedback. */
export async function sendsOf(client: DynamoDBDocumentClient, tableName: string, customerId: string): Promise<SendRecord[]> {
  const { Items } = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :send)',
      ExpressionAttributeValues: { ':pk': keys.customer(customerId).pk, ':send': 'SEND#' },
      ConsistentRead: true,
    }),
  );
  return (Items ?? []).map(sendRecordOf);
}
