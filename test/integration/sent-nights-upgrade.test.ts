import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../lib/adapters/dynamodb/admin.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { DynamoSendLedger } from '../../lib/adapters/dynamodb/send-ledger.js';
import { customerScanIndex, keys, messageIndex, sentNightIndex, tableKeys, ttlAttribute } from '../../lib/adapters/dynamodb/table.js';
import { addDays } from '../../lib/domain/dates.js';
import { findFreePort, type LocalStack, startLocalStack } from '../../lib/local/stack.js';
import { byCustomer, recordCommands, sendOn, tonight } from '../support/sent-nights.js';

/*
 * A DynamoDB Local of its own, holding one table as `npm start` keeps it: the shared one holds a table per test, and
 * with that many TTL-enabled tables DynamoDB Local takes minutes to build an index added to an existing table.
 */
let stack: LocalStack;
let client: DynamoDBDocumentClient;
const endpointsBefore = { dynamo: process.env.AWS_ENDPOINT_URL_DYNAMODB, ses: process.env.AWS_ENDPOINT_URL_SESV2 };

beforeAll(async () => {
  stack = await startLocalStack({ dynamoPort: await findFreePort(), sesPort: await findFreePort() });
  client = createDocumentClient({ endpoint: stack.dynamoEndpoint });
});

afterAll(async () => {
  client?.destroy();
  await stack?.stop();
  for (const [name, value] of [
    ['AWS_ENDPOINT_URL_DYNAMODB', endpointsBefore.dynamo],
    ['AWS_ENDPOINT_URL_SESV2', endpointsBefore.ses],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/**
 * The table as the version before the nights index made it: a shop that kept its local data across the upgrade. Its
 * definition is written out, not derived from ensureTable's: it is that version's, and must not follow later ones.
 * (Deleting the index from today's table instead takes DynamoDB Local about 30 seconds.)
 */
async function tableWithoutNightsIndex(tableName: string): Promise<void> {
  const raw = client as unknown as DynamoDBClient;
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
        { IndexName: messageIndex.name, KeySchema: [{ AttributeName: messageIndex.partitionKey, KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
      ],
    }),
  );
  await raw.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true } }));
}

/** The nights index's status, once it is ACTIVE or after 30 s. */
async function nightsIndexStatus(tableName: string): Promise<string | undefined> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { Table } = await (client as unknown as DynamoDBClient).send(new DescribeTableCommand({ TableName: tableName }));
    const status = Table?.GlobalSecondaryIndexes?.find((index) => index.IndexName === sentNightIndex.name)?.IndexStatus;
    if (status === 'ACTIVE' || Date.now() > deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('upgrading a table to the sent-nights index', () => {
  it('adds the index, scans until a night has begun, then queries once the window starts on or after that night', async () => {
    // Prepare: an older table with a send on it from before the upgrade
    const tableName = 'winback';
    await tableWithoutNightsIndex(tableName);
    const before = addDays(tonight, -3);
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...keys.send('old-1', 'lost-winback', before, 0),
          entity: 'send',
          customerId: 'old-1',
          campaignId: 'lost-winback',
          episode: before,
          step: 0,
          asOf: before,
          status: 'sent',
          messageId: 'm-old-1',
          completedAt: `${before}T02:00:01.000Z`,
          events: {},
        },
      }),
    );
    // Act: the upgrade, then this version's first night and the six after it
    const ensured = await ensureTable(client, tableName);
    const ledger = new DynamoSendLedger(client, tableName);
    const commands = recordCommands(client);
    const firstWindow = await ledger.sentOnNights(addDays(tonight, -7), addDays(tonight, -1));
    const scannedFirst = commands.names.includes('ScanCommand');
    for (let night = 0; night < 7; night += 1) {
      await ledger.beginNight(addDays(tonight, night));
      await sendOn(ledger, `new-${night}`, addDays(tonight, night));
    }
    const indexStatus = await nightsIndexStatus(tableName);
    commands.names.length = 0;
    const overlapping = await ledger.sentOnNights(addDays(tonight, -1), addDays(tonight, 5));
    const scannedOverlapping = commands.names.includes('ScanCommand');
    commands.names.length = 0;
    const covered = await ledger.sentOnNights(tonight, addDays(tonight, 6));
    const { Item: coverage } = await client.send(new GetCommand({ TableName: tableName, Key: keys.sentNightsCoverage, ConsistentRead: true }));
    // Assess
    expect(ensured).toBe('existed');
    expect(indexStatus).toBe('ACTIVE');
    expect([scannedFirst, byCustomer(firstWindow)]).toEqual([true, [`old-1@${before}`]]);
    expect([scannedOverlapping, byCustomer(overlapping)]).toEqual([true, Array.from({ length: 6 }, (_, night) => `new-${night}@${addDays(tonight, night)}`)]);
    expect(commands.names).not.toContain('ScanCommand');
    expect(byCustomer(covered)).toEqual(Array.from({ length: 7 }, (_, night) => `new-${night}@${addDays(tonight, night)}`));
    // The first night's claim stands: a later night does not move it forward past nights it did not see.
    expect(coverage).toMatchObject({ since: tonight });
  });
});
