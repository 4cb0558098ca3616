import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  type TableDescription,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailure } from './client.js';
import { customerScanIndex, keys, messageIndex, sentNightIndex, tableKeys, ttlAttribute } from './table.js';

const sentNightIndexDefinition = {
  IndexName: sentNightIndex.name,
  KeySchema: [{ AttributeName: sentNightIndex.partitionKey, KeyType: 'HASH' as const }],
  Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...sentNightIndex.projected] },
};

/**
 * Creates the table as infra/ defines it on AWS; locally and in tests only (on AWS, CDK owns the table). A table
 * made by an earlier version gets the indexes it lacks, as a CDK deploy would add them.
 */
export async function ensureTable(client: DynamoDBDocumentClient, tableName: string): Promise<'created' | 'existed'> {
  const raw = client as unknown as DynamoDBClient;
  let existing: TableDescription | undefined;
  try {
    existing = (await raw.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException) && (error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  if (existing) {
    if (!existing.GlobalSecondaryIndexes?.some((index) => index.IndexName === sentNightIndex.name)) await addSentNightIndex(raw, tableName);
    return 'existed';
  }
  await raw.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: tableKeys.partition, AttributeType: 'S' },
        { AttributeName: tableKeys.sort, AttributeType: 'S' },
        { AttributeName: customerScanIndex.partitionKey, AttributeType: 'S' },
        { AttributeName: messageIndex.partitionKey, AttributeType: 'S' },
        { AttributeName: sentNightIndex.partitionKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: tableKeys.partition, KeyType: 'HASH' },
        { AttributeName: tableKeys.sort, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: customerScanIndex.name,
          KeySchema: [{ AttributeName: customerScanIndex.partitionKey, KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: messageIndex.name,
          KeySchema: [{ AttributeName: messageIndex.partitionKey, KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
        sentNightIndexDefinition,
      ],
    }),
  );
  await waitUntilTableExists({ client: raw, maxWaitTime: 60 }, { TableName: tableName });
  await raw.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true } }));
  // A new table has no sends yet: every one it will hold is in the sent-nights index.
  await markSentNightsCoverage(client, tableName, '');
  return 'created';
}

/**
 * An older table (local data kept across versions) gets the sent-nights index. It is not waited for: the guard reads
 * it only once its window starts on or after the first night this version runs (`SHOP` / `SENT_NIGHTS`), a week
 * later by default, and DynamoDB Local can take minutes to build an index when it holds many tables.
 */
async function addSentNightIndex(raw: DynamoDBClient, tableName: string): Promise<void> {
  await raw.send(
    new UpdateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: sentNightIndex.partitionKey, AttributeType: 'S' }],
      GlobalSecondaryIndexUpdates: [{ Create: sentNightIndexDefinition }],
    }),
  );
}

/**
 * Records that every email sent on a night after `since` is in the sent-nights index (an empty `since`: every
 * email). The first record stands: a later, higher claim would not be true of the nights between.
 */
export async function markSentNightsCoverage(client: DynamoDBDocumentClient, tableName: string, since: string): Promise<void> {
  try {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...keys.sentNightsCoverage, entity: 'coverage', since },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!isConditionalCheckFailure(error)) throw error;
  }
}

export interface ShopMeta {
  /** Set when real customers were imported: the shop is no demo, and `start` never seeds one on top of it. */
  readonly importedAt?: string;
  readonly seededAt: string;
  readonly demoCustomers: number;
  readonly demoEndDate: string;
  readonly demoSeed: number;
}

export async function readShopMeta(client: DynamoDBDocumentClient, tableName: string): Promise<ShopMeta | undefined> {
  const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: keys.shopMeta, ConsistentRead: true }));
  return Item as ShopMeta | undefined;
}

export async function writeShopMeta(client: DynamoDBDocumentClient, tableName: string, meta: ShopMeta): Promise<void> {
  await client.send(new PutCommand({ TableName: tableName, Item: { ...keys.shopMeta, entity: 'shop', ...meta } }));
}

/**
 * Marks the shop as real (its history was imported), unless it is marked already: `winback start` then never seeds
 * the demo shop on top of real customers (`--reset` still wipes the data and seeds the demo).
 */
export async function markShopReal(client: DynamoDBDocumentClient, tableName: string, importedAt: string): Promise<void> {
  try {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...keys.shopMeta, entity: 'shop', importedAt, seededAt: '', demoCustomers: 0, demoEndDate: '', demoSeed: 0 },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!isConditionalCheckFailure(error)) throw error;
  }
}
