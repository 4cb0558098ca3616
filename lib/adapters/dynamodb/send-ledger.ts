import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FeedbackAnswer, RecordedEmailEvent, SendRecord } from '../../domain/sends.js';
import type { Reservation, SendKey, SendLedger, SendOutcome, SendReservation } from '../../ports/send-ledger.js';
import { isConditionalCheckFailure } from './client.js';
import { keys, messageIndex } from './table.js';

export class DynamoSendLedger implements SendLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async reserve(reservation: SendReservation): Promise<Reservation> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...ledgerKey(reservation), entity: 'send', status: 'reserved', events: {}, ...reservation },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { reserved: true };
    } catch (error) {
      // Someone (an earlier night, or a concurrent one) holds this step: that is an answer, not a failure.
      if (!isConditionalCheckFailure(error)) throw error;
      const held = (error as { Item?: Record<string, { S?: string }> }).Item?.status?.S;
      return { reserved: false, heldAs: held === 'sent' || held === 'failed' ? held : 'reserved' };
    }
  }

  async complete(key: SendKey, outcome: SendOutcome): Promise<void> {
    const detail = outcome.status === 'sent' ? { messageId: outcome.messageId } : { errorCode: outcome.errorCode };
    const names = Object.keys(detail);
    await this.client.send(
      new UpdateCommand({
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
      }),
    );
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
    const { pk: _pk, sk: _sk, entity: _entity, ...record } = item;
    return record as unknown as SendRecord;
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
}

function ledgerKey(key: SendKey) {
  return keys.send(key.customerId, key.campaignId, key.episode, key.step);
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
  return (Items ?? []).map(({ pk: _pk, sk: _sk, entity: _entity, ...record }) => record as unknown as SendRecord);
}

