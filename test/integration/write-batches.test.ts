import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { TransactionBatcher } from '../../lib/adapters/dynamodb/write-batches.js';
import { localShop } from '../support/local-aws.js';

/** A conditional put, as the order store and the ledger write them. */
const newItem = (tableName: string, pk: string, extra: Record<string, unknown> = {}) => ({
  Put: { TableName: tableName, Item: { pk, sk: 'ITEM', ...extra }, ConditionExpression: 'attribute_not_exists(pk)' },
});

async function isStored(client: DynamoDBDocumentClient, tableName: string, pk: string): Promise<boolean> {
  const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: { pk, sk: 'ITEM' }, ConsistentRead: true }));
  return Item !== undefined;
}

describe('TransactionBatcher on DynamoDB Local', () => {
  it('writes concurrent groups in one turn, each answered for its own condition', async () => {
    // Prepare
    const { client, tableName } = await localShop();
    const batcher = new TransactionBatcher(client);
    await batcher.write([newItem(tableName, 'TAKEN')]);
    // Act: three callers in the same turn, one of them against an item that exists
    const results = await Promise.allSettled([
      batcher.write([newItem(tableName, 'A1'), newItem(tableName, 'A2')]),
      batcher.write([newItem(tableName, 'TAKEN'), newItem(tableName, 'B2')]),
      batcher.write([newItem(tableName, 'C1'), newItem(tableName, 'C2')]),
    ]);
    // Assess
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as Error).name).toBe('ConditionalCheckFailedException');
    expect(await Promise.all(['A1', 'A2', 'B2', 'C1', 'C2'].map((pk) => isStored(client, tableName, pk)))).toEqual([true, true, false, true, true]);
  });

  it('lets an invalid group fail alone: the others batched with it are still written', async () => {
    // Prepare: an item over DynamoDB's 400 KB makes the whole request invalid
    const { client, tableName } = await localShop();
    const batcher = new TransactionBatcher(client);
    const tooBig = 'x'.repeat(410 * 1024);
    // Act
    const results = await Promise.allSettled([
      batcher.write([newItem(tableName, 'GOOD1'), newItem(tableName, 'GOOD1-POINTER')]),
      batcher.write([newItem(tableName, 'HUGE', { body: tooBig }), newItem(tableName, 'HUGE-POINTER')]),
      batcher.write([newItem(tableName, 'GOOD2'), newItem(tableName, 'GOOD2-POINTER')]),
    ]);
    // Assess
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as Error).name).toBe('ValidationException');
    expect(
      await Promise.all(['GOOD1', 'GOOD1-POINTER', 'HUGE', 'HUGE-POINTER', 'GOOD2', 'GOOD2-POINTER'].map((pk) => isStored(client, tableName, pk))),
    ).toEqual([true, true, false, false, true, true]);
  });
});
