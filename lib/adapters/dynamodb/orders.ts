import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { OrderSource } from '../../domain/orders/incoming-order.js';
import type { OrderCommit, OrderIngestView, OrderPointer, OrderStore, StoredOrder } from '../../ports/orders.js';
import { batchGetItems, itemKey, queryAll } from './client.js';
import { customerItem, toCustomer } from './customers.js';
import { sendsOf } from './send-ledger.js';
import { keys, ttlAttribute } from './table.js';

/** Webhook delivery markers outlive every platform's retry schedule (Shopify retries for 4 hours). */
const deliveryMarkerDays = 30;

export class DynamoOrderStore implements OrderStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async view(customerId: string, source: OrderSource, orderId: string, deliveryId: string, emailHash?: string): Promise<OrderIngestView> {
    const wanted = [keys.customer(customerId), keys.orderPointer(source, orderId), keys.delivery(source, deliveryId)];
    if (emailHash !== undefined) wanted.push(keys.emailPointer(emailHash));
    const found = await batchGetItems(this.client, this.tableName, wanted, `order ${source}/${orderId}`);
    const profile = found.get(itemKey(wanted[0]!));
    const customer = profile ? toCustomer(profile) : undefined;
    const pointer = found.get(itemKey(wanted[1]!));
    const owner = emailHash !== undefined ? found.get(itemKey(wanted[3]!))?.customerId : undefined;
    // A customer's ledger entries live in their profile's partition and are written only for a profile the night
    // read, so a partition without a profile has none to credit: a new customer's order costs no ledger query.
    const sends = profile ? await sendsOf(this.client, this.tableName, customerId) : [];
    return {
      ...(customer ? { customer: { customer, version: Number(profile!.version ?? 0) } } : {}),
      ...(pointer ? { pointer: pointer as unknown as OrderPointer } : {}),
      deliverySeen: found.has(itemKey(wanted[2]!)),
      sends,
      ...(typeof owner === 'string' ? { emailOwner: owner } : {}),
    };
  }

  async countedOrders(customerId: string): Promise<StoredOrder[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :order)',
      ExpressionAttributeValues: { ':pk': keys.customer(customerId).pk, ':order': 'ORDER#' },
      ConsistentRead: true,
    });
    return items.filter((item) => item.counts !== false).map((item) => stripKeys(item) as unknown as StoredOrder);
  }

  async commit(change: OrderCommit): Promise<boolean> {
    const { order, customer } = change;
    const nextVersion = change.expectedVersion === 'new' ? 1 : change.expectedVersion + 1;
    const pointer: OrderPointer = { customerId: customer.customerId, placedAt: order.placedAt, counts: order.counts, updatedAt: order.updatedAt };
    const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
      { Put: { TableName: this.tableName, Item: { ...keys.order(order.customerId, order.placedAt, order.orderId), entity: 'order', ...order } } },
      {
        Put: {
          TableName: this.tableName,
          Item: { ...keys.orderPointer(change.source, order.orderId), entity: 'order-pointer', ...pointer },
          ...(change.pointerBefore === 'absent'
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'counts = :counted', ExpressionAttributeValues: { ':counted': change.pointerBefore.counts } }),
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: { ...customerItem(customer), version: nextVersion },
          ...versionCondition(change.expectedVersion),
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: { ...keys.delivery(change.source, change.deliveryId), entity: 'delivery', [ttlAttribute]: expiresInDays(deliveryMarkerDays) },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
    if (change.emailHash) {
      items.push({
        Put: { TableName: this.tableName, Item: { ...keys.emailPointer(change.emailHash), entity: 'email-pointer', customerId: customer.customerId } },
      });
    }
    if (change.credit) {
      const { send, attribution } = change.credit;
      items.push({
        Update: {
          TableName: this.tableName,
          Key: keys.send(send.customerId, send.campaignId, send.episode, send.step),
          UpdateExpression: 'SET attribution = :attribution',
          ConditionExpression: 'attribute_not_exists(attribution) AND #status = :sent',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':attribution': attribution, ':sent': 'sent' },
        },
      });
    }
    for (const send of change.uncredit ?? []) {
      items.push({
        Update: {
          TableName: this.tableName,
          Key: keys.send(send.customerId, send.campaignId, send.episode, send.step),
          UpdateExpression: 'REMOVE attribution',
          ConditionExpression: 'attribution.orderId = :orderId',
          ExpressionAttributeValues: { ':orderId': order.orderId },
        },
      });
    }
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return true;
    } catch (error) {
      // A condition failed: another delivery, the night, or a second copy of this one got there first.
      if (error instanceof TransactionCanceledException || (error as Error).name === 'TransactionCanceledException') return false;
      throw error;
    }
  }

  async markDelivery(source: OrderSource, deliveryId: string): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.delivery(source, deliveryId), entity: 'delivery', [ttlAttribute]: expiresInDays(deliveryMarkerDays) },
      }),
    );
  }
}

function versionCondition(expected: number | 'new') {
  if (expected === 'new') return { ConditionExpression: 'attribute_not_exists(pk)' };
  // Items written before versions existed (imports, the demo shop) have none: they count as version 0.
  if (expected === 0) return { ConditionExpression: 'attribute_not_exists(version) OR version = :version', ExpressionAttributeValues: { ':version': 0 } };
  return { ConditionExpression: 'version = :version', ExpressionAttributeValues: { ':version': expected } };
}

function expiresInDays(days: number): number {
  return Math.floor(Date.now() / 1000) + days * 86_400;
}

function stripKeys(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, entity: _entity, ...rest } = item;
  return rest;
}
