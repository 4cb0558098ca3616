import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { orderKey } from '../../domain/identity.js';
import type { OrderSource } from '../../domain/orders/incoming-order.js';
import type { HistoryStore, HistoryWrite } from '../../ports/history-store.js';
import type { OrderPointer, VersionedCustomer } from '../../ports/orders.js';
import { isConditionalCheckFailure, retryUnprocessed } from './client.js';
import { customerItem, toCustomer } from './customers.js';
import { keys } from './table.js';
import { type TransactionBatcher, transactionBatcherFor, type WriteAction } from './write-batches.js';

/** BatchGetItem reads at most 100 keys a request. */
const maxBatchGetKeys = 100;

/**
 * The history import's reads and writes. A customer's change is one TransactWriteItems group with the conditions the
 * order webhooks use (a new pointer, the profile's version, an unclaimed address), so an import racing a webhook
 * never counts an order twice; the TransactionBatcher sends the groups of many customers in one request.
 */
export class DynamoHistoryStore implements HistoryStore {
  private readonly writes: TransactionBatcher;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.writes = transactionBatcherFor(client);
  }

  async storedOrders(orders: readonly { source: OrderSource; orderId: string }[]): Promise<Set<string>> {
    const items = await this.getMany(orders.map((order) => keys.orderPointer(order.source, order.orderId)));
    const stored = new Set<string>();
    for (const item of items) {
      const [, source, ...id] = String(item.pk).split('#');
      stored.add(orderKey(source as OrderSource, id.join('#')));
    }
    return stored;
  }

  async emailOwners(emailHashes: readonly string[]): Promise<Map<string, string>> {
    const items = await this.getMany(emailHashes.map((hash) => keys.emailPointer(hash)));
    return new Map(
      items.filter((item) => typeof item.customerId === 'string').map((item) => [String(item.pk).slice('EMAIL#'.length), item.customerId as string]),
    );
  }

  async profiles(customerIds: readonly string[]): Promise<Map<string, VersionedCustomer>> {
    const items = await this.getMany(customerIds.map((id) => keys.customer(id)));
    const profiles = new Map<string, VersionedCustomer>();
    for (const item of items) {
      const customer = toCustomer(item);
      if (customer) profiles.set(customer.customerId, { customer, version: Number(item.version ?? 0) });
    }
    return profiles;
  }

  async write(change: HistoryWrite): Promise<boolean> {
    try {
      await this.writes.write(historyActions(this.tableName, change));
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  private async getMany(wanted: readonly { pk: string; sk: string }[]): Promise<Record<string, unknown>[]> {
    const unique = [...new Map(wanted.map((key) => [`${key.pk}\u0000${key.sk}`, key])).values()];
    const found: Record<string, unknown>[] = [];
    const requests: Promise<void>[] = [];
    for (let start = 0; start < unique.length; start += maxBatchGetKeys) {
      const slice = unique.slice(start, start + maxBatchGetKeys);
      requests.push(
        retryUnprocessed(
          async (pending: { pk: string; sk: string }[]) => {
            const result = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }));
            found.push(...(result.Responses?.[this.tableName] ?? []));
            const left = result.UnprocessedKeys?.[this.tableName]?.Keys;
            return left && left.length > 0 ? (left as { pk: string; sk: string }[]) : undefined;
          },
          slice,
          'reading the table for the import',
        ),
      );
    }
    await Promise.all(requests);
    return found;
  }
}

/**
 * The items of one customer's history write, exactly as the order webhooks write them (lib/adapters/dynamodb/orders.ts):
 * the bench writes the same items with a bare BatchWriteItem loop to measure what the import's care costs.
 */
export function historyActions(tableName: string, change: HistoryWrite): WriteAction[] {
  const { customer, orders } = change;
  const nextVersion = change.expectedVersion === 'new' ? 1 : change.expectedVersion + 1;
  const actions: WriteAction[] = [];
  for (const order of orders) {
    const pointer: OrderPointer = { customerId: customer.customerId, placedAt: order.placedAt, counts: order.counts, updatedAt: order.updatedAt };
    actions.push({ Put: { TableName: tableName, Item: { ...keys.order(customer.customerId, order.placedAt, order.orderId), entity: 'order', ...order } } });
    actions.push({
      Put: {
        TableName: tableName,
        Item: { ...keys.orderPointer(order.source, order.orderId), entity: 'order-pointer', ...pointer },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
  }
  actions.push({ Put: { TableName: tableName, Item: { ...customerItem(customer), version: nextVersion }, ...versionCondition(change.expectedVersion) } });
  if (change.claimEmailHash) {
    actions.push({
      Put: {
        TableName: tableName,
        Item: { ...keys.emailPointer(change.claimEmailHash), entity: 'email-pointer', customerId: customer.customerId },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
  }
  return actions;
}

function versionCondition(expected: number | 'new') {
  if (expected === 'new') return { ConditionExpression: 'attribute_not_exists(pk)' };
  // Profiles written before versions existed (older imports, the demo shop) have none: version 0.
  if (expected === 0) return { ConditionExpression: 'attribute_not_exists(version) OR version = :version', ExpressionAttributeValues: { ':version': 0 } };
  return { ConditionExpression: 'version = :version', ExpressionAttributeValues: { ':version': expected } };
}
