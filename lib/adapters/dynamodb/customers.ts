import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Consent, Customer, DecisionRecord, Order } from '../../domain/customer.js';
import { hashEmail } from '../../domain/email.js';
import { knownEmailHashes } from '../../domain/identity.js';
import type { AddressChange, CustomerPage, CustomerRepository, ScanPosition, StepRecord } from '../../ports/customers.js';
import { batchWrite, isConditionalCheckFailure, queryAll } from './client.js';
import { readBatcherFor } from './read-batches.js';
import { duePointer, sendRecordOf } from './send-ledger.js';
import { customerScanIndex, keys, ttlAttribute } from './table.js';
import { type PutBatcher, putBatcherFor, type TransactionBatcher, transactionBatcherFor } from './write-batches.js';

/** Decisions are the answer to "why did (or didn't) Jane get an email?": kept half a year. */
const decisionLogDays = 180;

export class DynamoCustomerRepository implements CustomerRepository {
  private readonly writes: TransactionBatcher;
  private readonly decisions: PutBatcher;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.writes = transactionBatcherFor(client);
    this.decisions = putBatcherFor(client, tableName);
  }

  async scanPage(position: ScanPosition): Promise<CustomerPage> {
    const page = await this.client.send(
      new ScanCommand({
        TableName: this.tableName,
        IndexName: customerScanIndex.name,
        Segment: position.segment,
        TotalSegments: position.totalSegments,
        ...(position.cursor ? { ExclusiveStartKey: decodeCursor(position.cursor) } : {}),
        ...(position.limit ? { Limit: position.limit } : {}),
      }),
    );
    const customers: Customer[] = [];
    let unreadable = 0;
    for (const item of page.Items ?? []) {
      const customer = toCustomer(item);
      if (customer) customers.push(customer);
      else unreadable += 1;
    }
    return { customers, unreadable, ...(page.LastEvaluatedKey ? { nextCursor: encodeCursor(page.LastEvaluatedKey) } : {}) };
  }

  async approximateCount(): Promise<number> {
    const { Table } = await this.client.send(new DescribeTableCommand({ TableName: this.tableName }));
    const index = Table?.GlobalSecondaryIndexes?.find((gsi) => gsi.IndexName === customerScanIndex.name);
    return index?.ItemCount ?? Table?.ItemCount ?? 0;
  }

  async get(customerId: string): Promise<Customer | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.customer(customerId), ConsistentRead: true }));
    return Item ? toCustomer(Item) : undefined;
  }

  async getMany(customerIds: readonly string[]): Promise<ReadonlyMap<string, Customer>> {
    const items = await readBatcherFor(this.client, this.tableName).getMany(customerIds.map(keys.customer));
    const found = new Map<string, Customer>();
    for (const [index, customerId] of customerIds.entries()) {
      const item = items[index];
      const customer = item ? toCustomer(item) : undefined;
      if (customer) found.set(customerId, customer);
    }
    return found;
  }

  async putMany(entries: readonly { customer: Customer; orders: readonly Order[] }[]): Promise<void> {
    const items = entries.flatMap(({ customer, orders }) => [
      customerItem(customer),
      ...(customer.email ? [{ ...keys.emailPointer(hashEmail(customer.email)), entity: 'email-pointer', customerId: customer.customerId }] : []),
      ...orders.map((order) => ({ ...keys.order(order.customerId, order.placedAt, order.orderId), entity: 'order', ...order })),
    ]);
    await batchWrite(
      this.client,
      this.tableName,
      items.map((Item) => ({ PutRequest: { Item } })),
      'writing customers',
    );
  }

  async recordStep(customerId: string, step: StepRecord): Promise<void> {
    const sets: string[] = ['version = if_not_exists(version, :zero) + :one'];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':zero': 0, ':one': 1 };
    if (step.journey) sets.push('journey = :journey'), (values[':journey'] = step.journey);
    if (step.lastSend) {
      sets.push('lastSend = :lastSend', 'lastEmailedAt = :lastEmailedAt');
      values[':lastSend'] = step.lastSend;
      values[':lastEmailedAt'] = step.lastSend.at;
    }
    if (step.recentEmails) sets.push('recentEmails = :recentEmails'), (values[':recentEmails'] = step.recentEmails);
    if (step.lastDecision) sets.push('lastDecision = :lastDecision'), (values[':lastDecision'] = step.lastDecision);
    if (step.exit) {
      sets.push('campaignExits = if_not_exists(campaignExits, :noExits)');
      values[':noExits'] = {};
    }
    // The version moves too, so an order webhook that read the profile before this step retries instead of overwriting it.
    // Concurrent steps travel in one request (see TransactionBatcher), each still conditional on its own profile.
    await this.writes.write([
      {
        Update: {
          TableName: this.tableName,
          Key: keys.customer(customerId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(pk)',
          ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
        },
      },
    ]);
    if (step.exit) {
      // A map key can only be set once the map exists: a second, small update.
      await this.writes.write([
        {
          Update: {
            TableName: this.tableName,
            Key: keys.customer(customerId),
            UpdateExpression: 'SET campaignExits.#campaign = :at',
            ExpressionAttributeNames: { '#campaign': step.exit.campaignId },
            ExpressionAttributeValues: { ':at': step.exit.at },
          },
        },
      ]);
    }
  }

  async logDecision(customerId: string, decision: DecisionRecord & { readonly runId: string }): Promise<void> {
    // Unconditional puts: concurrent ones go out together as BatchWriteItem.
    await this.decisions.put({
      ...keys.decision(customerId, decision.asOf, decision.runId),
      entity: 'decision',
      ...decision,
      [ttlAttribute]: Math.floor(Date.now() / 1000) + decisionLogDays * 86_400,
    });
  }

  async recentDecisions(customerId: string, limit: number): Promise<(DecisionRecord & { readonly runId: string })[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :decision)',
        ExpressionAttributeValues: { ':pk': keys.customer(customerId).pk, ':decision': 'DECISION#' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (Items ?? []).map(({ pk: _pk, sk: _sk, entity: _entity, [ttlAttribute]: _ttl, ...decision }) => decision as DecisionRecord & { runId: string });
  }

  async updateConsent(customerId: string, consent: Consent): Promise<boolean> {
    return this.updateProfile(
      customerId,
      'SET consent = :consent',
      { ':consent': consent, ':updatedAt': consent.updatedAt },
      'consent.updatedAt <= :updatedAt',
    );
  }

  async recordFeedback(customerId: string, feedback: NonNullable<Customer['feedback']>): Promise<boolean> {
    return this.updateProfile(customerId, 'SET feedback = :feedback', { ':feedback': feedback });
  }

  async forget(customerId: string, emailHashes: readonly string[] = []): Promise<number> {
    const profile = await this.get(customerId);
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.customer(customerId).pk },
      ConsistentRead: true,
    });
    const itemKeys = items.map((item) => ({ pk: String(item.pk), sk: String(item.sk) }));
    for (const item of items) {
      // Every pointer to the customer goes too: the platform order ids filed under them, their places on the due list.
      if (item.entity === 'order' && typeof item.source === 'string' && typeof item.orderId === 'string')
        itemKeys.push(keys.orderPointer(item.source, item.orderId));
      if (item.entity === 'send' && typeof item.notBefore === 'string') itemKeys.push(duePointer(sendRecordOf(item), item.notBefore));
    }
    await batchWrite(
      this.client,
      this.tableName,
      itemKeys.map((Key) => ({ DeleteRequest: { Key } })),
      'forgetting a customer',
    );
    let emailPointers = 0;
    for (const emailHash of new Set([...(profile ? knownEmailHashes(profile) : []), ...emailHashes])) {
      // Only pointers that still name this customer: an address may have moved on to someone else's profile since.
      try {
        await this.client.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: keys.emailPointer(emailHash),
            ConditionExpression: 'customerId = :id',
            ExpressionAttributeValues: { ':id': customerId },
          }),
        );
        emailPointers += 1;
      } catch (error) {
        if (!isConditionalCheckFailure(error)) throw error;
      }
    }
    return itemKeys.length + emailPointers;
  }

  async changeAddress(customerId: string, change: AddressChange): Promise<boolean> {
    const { customer, expectedEmail, claimPointer } = change;
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: keys.customer(customerId),
                UpdateExpression: 'SET email = :email, previousEmailHashes = :previous, version = if_not_exists(version, :zero) + :one',
                ConditionExpression:
                  expectedEmail === undefined ? 'attribute_exists(pk) AND attribute_not_exists(email)' : 'attribute_exists(pk) AND email = :expected',
                ExpressionAttributeValues: {
                  ':email': customer.email,
                  ':previous': customer.previousEmailHashes ?? [],
                  ':zero': 0,
                  ':one': 1,
                  ...(expectedEmail === undefined ? {} : { ':expected': expectedEmail }),
                },
              },
            },
            ...(claimPointer && customer.email
              ? [{ Put: { TableName: this.tableName, Item: { ...keys.emailPointer(hashEmail(customer.email)), entity: 'email-pointer', customerId } } }]
              : []),
          ],
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'TransactionCanceledException') return false;
      throw error;
    }
  }

  async customerIdForEmail(emailHash: string): Promise<string | undefined> {
    return customerIdForEmail(this.client, this.tableName, emailHash);
  }

  private async updateProfile(customerId: string, set: string, values: Record<string, unknown>, extraCondition?: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.customer(customerId),
          UpdateExpression: `${set}, version = if_not_exists(version, :zero) + :one`,
          ConditionExpression: `attribute_exists(pk)${extraCondition ? ` AND ${extraCondition}` : ''}`,
          ExpressionAttributeValues: { ...values, ':zero': 0, ':one': 1 },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }
}

export function customerItem(customer: Customer): Record<string, unknown> {
  return { ...keys.customer(customer.customerId), [customerScanIndex.partitionKey]: customer.customerId, entity: 'customer', ...customer };
}

/** A damaged item is counted and skipped: one bad record must not stop a night for everyone else. */
export function toCustomer(item: Record<string, unknown>): Customer | undefined {
  const { pk: _pk, sk: _sk, entity: _entity, version: _version, [customerScanIndex.partitionKey]: _scanKey, ...rest } = item;
  const candidate = rest as Partial<Customer>;
  if (typeof candidate.customerId !== 'string' || typeof candidate.consent?.state !== 'string') return undefined;
  if (typeof candidate.summary?.orderCount !== 'number' || !Array.isArray(candidate.summary.recentPurchaseDays)) return undefined;
  return candidate as Customer;
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export async function customerIdForEmail(client: DynamoDBDocumentClient, tableName: string, emailHash: string): Promise<string | undefined> {
  const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: keys.emailPointer(emailHash), ConsistentRead: true }));
  return typeof Item?.customerId === 'string' ? Item.customerId : undefined;
}
