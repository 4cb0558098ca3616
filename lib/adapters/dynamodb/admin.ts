import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { customerScanIndex, keys, messageIndex, tableKeys, ttlAttribute } from './table.js';

/** Creates the table as infra/ defines it on AWS; locally and in tests only (on AWS, CDK owns the table). */
export async function ensureTable(client: DynamoDBDocumentClient, tableName: string): Promise<'created' | 'existed'> {
  const raw = client as unknown as DynamoDBClient;
  try {
    await raw.send(new DescribeTableCommand({ TableName: tableName }));
    return 'existed';
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException) && (error as Error).name !== 'ResourceNotFoundException') throw error;
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
      ],
    }),
  );
  await waitUntilTableExists({ client: raw, maxWaitTime: 60 }, { TableName: tableName });
  await raw.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true } }));
  return 'created';
}

export interface ShopMeta {
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
