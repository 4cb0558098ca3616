import { randomUUID } from 'node:crypto';
import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { retryUnprocessed } from './client.js';

/** One action of a TransactWriteItems request (Put, Update, Delete or ConditionCheck). */
export type WriteAction = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB's limits: 100 actions in one transaction, 25 puts in one BatchWriteItem. */
const maxActions = 100;
const maxBatchPuts = 25;
/** Transactions under way at once per client before further writes gather into the next one. */
const maxInFlight = 4;
/** A group cancelled for a reason that is worth another try (a conflicting write, throttling) gets this many. */
const maxRounds = 8;
const retryableReasons = new Set(['None', 'TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

interface Group {
  readonly actions: readonly WriteAction[];
  readonly keys: readonly string[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  rounds: number;
}

/**
 * Coalesces the single-item writes that many concurrent callers issue in the same turn of the event loop into one
 * TransactWriteItems request. Each caller still gets the answer for its own write, as if it had been sent alone:
 * - its group of actions is applied atomically (the transaction is), and only resolves once it is committed;
 * - a condition that fails rejects that caller with a ConditionalCheckFailedException carrying the item (when the
 *   action asked for ALL_OLD), exactly what a single PutItem or UpdateItem would throw;
 * - the others of a cancelled transaction are sent again without it; a request refused as invalid is sent again one
 *   group at a time; any other failure rejects every caller.
 * A lone single-action write is sent as the plain PutItem, UpdateItem or DeleteItem: it costs what it did before.
 * Why: on DynamoDB Local (and in Lambda's CPU budget) a request costs far more than an item, so the night's ledger
 * and profile writes, one per customer, were its bottleneck. On AWS a transactional write costs two write units
 * instead of one; the night's writes are a small part of its bill next to the emails it sends.
 */
export class TransactionBatcher {
  private pending: Group[] = [];
  private pendingKeys = new Set<string>();
  private pendingActions = 0;
  private scheduled = false;
  private inFlight = 0;

  constructor(private readonly client: DynamoDBDocumentClient) {}

  /** Applies the actions together (all or none), batched with whatever else is written in this turn. */
  write(actions: readonly WriteAction[]): Promise<void> {
    if (actions.length === 0 || actions.length > maxActions)
      return Promise.reject(new RangeError(`a write group holds 1 to ${maxActions} actions, got ${actions.length}`));
    return new Promise<void>((resolve, reject) => this.add({ actions, keys: actions.map(itemKeyOf), resolve, reject, rounds: 0 }));
  }

  private add(group: Group): void {
    // One transaction may touch an item only once: a second write to the same item waits for the next request.
    if (this.pendingActions + group.actions.length > maxActions || group.keys.some((key) => this.pendingKeys.has(key))) this.flush();
    this.pending.push(group);
    for (const key of group.keys) this.pendingKeys.add(key);
    this.pendingActions += group.actions.length;
    if (this.pendingActions >= maxActions) return this.flush();
    this.flushSoon();
  }

  /**
   * Group commit: a write goes out at the end of this turn when fewer than `maxInFlight` requests are under way;
   * otherwise it waits for one of them to finish, and everything that gathered meanwhile goes out together. A lone
   * write is not delayed; under load the requests grow instead of multiplying.
   */
  private flushSoon(): void {
    if (this.scheduled || this.pending.length === 0 || this.inFlight >= maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const groups = this.pending;
    this.pending = [];
    this.pendingKeys = new Set();
    this.pendingActions = 0;
    this.inFlight += 1;
    void this.commit(groups).finally(() => {
      this.inFlight -= 1;
      this.flushSoon();
    });
  }

  private async commit(groups: Group[]): Promise<void> {
    if (groups.length === 1 && groups[0]!.actions.length === 1 && !groups[0]!.actions[0]!.ConditionCheck) {
      const group = groups[0]!;
      try {
        await sendSingle(this.client, group.actions[0]!);
        group.resolve();
      } catch (error) {
        group.reject(error);
      }
      return;
    }
    try {
      // The token makes the SDK's own retries of this request idempotent: a retry of a committed transaction succeeds.
      await this.client.send(new TransactWriteCommand({ TransactItems: groups.flatMap((group) => group.actions), ClientRequestToken: randomUUID() }));
      for (const group of groups) group.resolve();
    } catch (error) {
      const reasons = (error as { name?: string; CancellationReasons?: { Code?: string; Message?: string; Item?: unknown }[] }).CancellationReasons;
      if ((error as Error).name !== 'TransactionCanceledException' || !Array.isArray(reasons)) {
        // One group can make the whole request invalid (an item over 400 KB, or more than 4 MB together): each is then
        // sent on its own, so only the caller whose write is at fault hears of it.
        if (groups.length > 1 && (error as Error).name === 'ValidationException') {
          await Promise.all(groups.map((group) => this.commit([group])));
          return;
        }
        for (const group of groups) group.reject(error);
        return;
      }
      let index = 0;
      const again: Group[] = [];
      for (const group of groups) {
        const own = reasons.slice(index, index + group.actions.length);
        index += group.actions.length;
        const failed = own.find((reason) => reason?.Code === 'ConditionalCheckFailed');
        if (failed) {
          group.reject(conditionalCheckFailure(failed.Message, failed.Item));
          continue;
        }
        const other = own.find((reason) => reason?.Code && reason.Code !== 'None');
        if ((other && !retryableReasons.has(other.Code!)) || (group.rounds += 1) > maxRounds) {
          group.reject(
            Object.assign(new Error(other?.Message ?? `write cancelled: ${other?.Code ?? 'unknown'}`), {
              name: other?.Code ?? 'TransactionCanceledException',
              cause: error,
            }),
          );
          continue;
        }
        again.push(group);
      }
      if (again.length === 0) return;
      // Only the groups that were cancelled on someone else's account are sent again (after a pause when they collided).
      const rounds = Math.max(...again.map((group) => group.rounds));
      if (rounds > 1) await sleep(Math.random() * Math.min(1000, 20 * 2 ** rounds));
      for (const group of again) this.add(group);
    }
  }
}

type BatchRequest = { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Record<string, unknown> } };

/**
 * Coalesces unconditional puts and deletes issued in the same turn into BatchWriteItem requests of 25, each retried
 * until no item is left unprocessed. A caller's promise settles with its batch.
 */
export class PutBatcher {
  private pending: { request: BatchRequest; key: string; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private pendingKeys = new Set<string>();
  private scheduled = false;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  put(item: Record<string, unknown>): Promise<void> {
    return this.add({ PutRequest: { Item: item } }, item);
  }

  /** Deletes the item of this key (nothing happens when there is none). */
  delete(key: { readonly pk: string; readonly sk: string }): Promise<void> {
    return this.add({ DeleteRequest: { Key: { pk: key.pk, sk: key.sk } } }, key);
  }

  private add(request: BatchRequest, item: { readonly pk?: unknown; readonly sk?: unknown }): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // One BatchWriteItem may touch an item only once: a second write to it waits for the next request.
      const key = `${String(item.pk)}\u0000${String(item.sk)}`;
      if (this.pendingKeys.has(key)) this.flush();
      this.pending.push({ request, key, resolve, reject });
      this.pendingKeys.add(key);
      if (this.pending.length >= maxBatchPuts) return this.flush();
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingKeys = new Set();
    if (batch.length === 1) {
      const { request, resolve, reject } = batch[0]!;
      const single =
        'PutRequest' in request
          ? new PutCommand({ TableName: this.tableName, Item: request.PutRequest.Item })
          : new DeleteCommand({ TableName: this.tableName, Key: request.DeleteRequest.Key });
      this.client.send(single as PutCommand).then(() => resolve(), reject);
      return;
    }
    retryUnprocessed(
      async (pending: BatchRequest[]) => {
        const result = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }));
        const left = result.UnprocessedItems?.[this.tableName];
        return left && left.length > 0 ? (left as typeof pending) : undefined;
      },
      batch.map(({ request }) => request),
      'writing a batch',
    ).then(
      () => batch.forEach((entry) => entry.resolve()),
      (error: unknown) => batch.forEach((entry) => entry.reject(error)),
    );
  }
}

const transactionBatchers = new WeakMap<DynamoDBDocumentClient, TransactionBatcher>();
const putBatchers = new WeakMap<DynamoDBDocumentClient, Map<string, PutBatcher>>();

/** The one transaction batcher of a client: the ledger and the customer repository share it, so their writes travel together. */
export function transactionBatcherFor(client: DynamoDBDocumentClient): TransactionBatcher {
  let batcher = transactionBatchers.get(client);
  if (!batcher) transactionBatchers.set(client, (batcher = new TransactionBatcher(client)));
  return batcher;
}

export function putBatcherFor(client: DynamoDBDocumentClient, tableName: string): PutBatcher {
  let byTable = putBatchers.get(client);
  if (!byTable) putBatchers.set(client, (byTable = new Map()));
  let batcher = byTable.get(tableName);
  if (!batcher) byTable.set(tableName, (batcher = new PutBatcher(client, tableName)));
  return batcher;
}

function itemKeyOf(action: WriteAction): string {
  const target = action.Put
    ? { table: action.Put.TableName, key: action.Put.Item }
    : action.Update
      ? { table: action.Update.TableName, key: action.Update.Key }
      : action.Delete
        ? { table: action.Delete.TableName, key: action.Delete.Key }
        : { table: action.ConditionCheck?.TableName, key: action.ConditionCheck?.Key };
  return `${target.table}\u0000${String(target.key?.pk)}\u0000${String(target.key?.sk)}`;
}

async function sendSingle(client: DynamoDBDocumentClient, action: WriteAction): Promise<void> {
  if (action.Put) await client.send(new PutCommand(action.Put));
  else if (action.Update) await client.send(new UpdateCommand(action.Update as ConstructorParameters<typeof UpdateCommand>[0]));
  else await client.send(new DeleteCommand(action.Delete!));
}

/** The error a single conditional write throws, with the item as it stands when the write asked for it. */
function conditionalCheckFailure(message: string | undefined, item: unknown): Error {
  return Object.assign(new Error(message ?? 'The conditional request failed'), { name: 'ConditionalCheckFailedException', ...(item ? { Item: item } : {}) });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
