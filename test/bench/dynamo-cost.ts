/**
 * `npm run bench:dynamo [-- --items N]`: what DynamoDB Local spends, in CPU of its own process, per item written in
 * each form the product uses, on a table made as the product makes it. It explains the sender's figure in
 * `npm run bench`: every ledger write costs DynamoDB Local this much on the same two cores as the SES loop. Three
 * passes, because the first pass over each request is mostly its JIT compiling; read the last. Set JAVA_TOOL_OPTIONS
 * (e.g. -XX:+UseParallelGC) to see what a JVM setting changes. Linux only (it reads /proc).
 */
import '../../lib/local/process-env.js';
import { BatchWriteCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import Table from 'cli-table3';
import pLimit from 'p-limit';
import { ensureTable } from '../../lib/adapters/dynamodb/admin.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { customerScanIndex } from '../../lib/adapters/dynamodb/table.js';
import { findFreePort, startLocalStack } from '../../lib/local/stack.js';
import { dynamoLocalCpuMs } from './dynamo-cpu.js';

const argv = process.argv.slice(2);
const itemsIndex = argv.indexOf('--items');
const items = itemsIndex >= 0 ? Number(argv[itemsIndex + 1]) : 5_000;
if (!Number.isInteger(items) || items < 100) throw new Error('--items must be a whole number >= 100');
const concurrency = 32;
const passes = 3;

const stack = await startLocalStack({ dynamoPort: await findFreePort(), sesPort: await findFreePort() });
const dynamoCpuMs = dynamoLocalCpuMs();
const client = createDocumentClient({ endpoint: stack.dynamoEndpoint });
const tableName = 'bench-dynamo-cost';
await ensureTable(client, tableName);

const limit = pLimit(concurrency);
const profile = (id: string) => ({
  pk: `CUST#${id}`,
  sk: 'PROFILE',
  [customerScanIndex.partitionKey]: id,
  email: `c${id}@example.org`,
  firstName: 'Ann',
  summary: {
    orders: 3,
    firstOrderAt: '2025-01-01T00:00:00Z',
    lastOrderAt: '2026-06-01T00:00:00Z',
    totalMinor: 12345,
    lastProducts: ['A thing', 'Another thing'],
  },
  recentEmails: ['2026-11-01T00:00:00Z'],
});
/** Runs `write` over `items` items in requests of `perRequest`, `concurrency` requests at once. */
async function measure(write: (ids: string[]) => Promise<unknown>, perRequest: number, prefix: string): Promise<{ perSecond: number; cpuMsPerItem: number }> {
  const requests = Array.from({ length: Math.ceil(items / perRequest) }, (_, r) =>
    Array.from({ length: perRequest }, (_, k) => `${prefix}-${r * perRequest + k}`),
  );
  const cpu = dynamoCpuMs();
  const started = performance.now();
  await Promise.all(requests.map((ids) => limit(() => write(ids))));
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: items / seconds, cpuMsPerItem: (dynamoCpuMs() - cpu) / items };
}

const forms: { name: string; perRequest: number; write: (ids: string[]) => Promise<unknown> }[] = [
  { name: 'PutItem', perRequest: 1, write: ([id]) => client.send(new PutCommand({ TableName: tableName, Item: { pk: `P#${id}`, sk: 'X', a: 1 } })) },
  {
    name: 'PutItem, conditional',
    perRequest: 1,
    write: ([id]) =>
      client.send(new PutCommand({ TableName: tableName, Item: { pk: `C#${id}`, sk: 'X', a: 1 }, ConditionExpression: 'attribute_not_exists(pk)' })),
  },
  { name: 'PutItem of a profile', perRequest: 1, write: ([id]) => client.send(new PutCommand({ TableName: tableName, Item: profile(id!) })) },
  {
    name: 'UpdateItem of a profile',
    perRequest: 1,
    write: ([id]) =>
      client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: `CUST#${id}`, sk: 'PROFILE' },
          UpdateExpression: 'SET recentEmails = :r, lastSend = :l',
          ExpressionAttributeValues: { ':r': ['x', 'y'], ':l': { at: 'x', step: 1 } },
        }),
      ),
  },
  {
    name: 'BatchWriteItem of 25',
    perRequest: 25,
    write: (ids) =>
      client.send(new BatchWriteCommand({ RequestItems: { [tableName]: ids.map((id) => ({ PutRequest: { Item: { pk: `B#${id}`, sk: 'X', a: 1 } } })) } })),
  },
  {
    name: 'TransactWriteItems of 25, conditional',
    perRequest: 25,
    write: (ids) =>
      client.send(
        new TransactWriteCommand({
          TransactItems: ids.map((id) => ({
            Put: { TableName: tableName, Item: { pk: `T#${id}`, sk: 'X', a: 1 }, ConditionExpression: 'attribute_not_exists(pk)' },
          })),
        }),
      ),
  },
];

const results = new Map<string, { perSecond: number; cpuMsPerItem: number }[]>();
for (let pass = 1; pass <= passes; pass += 1) {
  process.stderr.write(`[bench:dynamo] pass ${pass} of ${passes}\n`);
  // Each pass writes new keys (the profile update follows the profile put of the same pass).
  for (const form of forms) results.set(form.name, [...(results.get(form.name) ?? []), await measure(form.write, form.perRequest, `p${pass}`)]);
}
client.destroy();
await stack.stop();

const table = new Table({ head: ['write', 'DynamoDB Local CPU per item', 'first pass', 'items/s'], colAligns: ['left', 'right', 'right', 'right'] });
for (const [name, runs] of results) {
  const last = runs.at(-1)!;
  table.push([name, `${last.cpuMsPerItem.toFixed(3)} ms`, `${runs[0]!.cpuMsPerItem.toFixed(3)} ms`, Math.round(last.perSecond).toLocaleString('en')]);
}
console.log(
  `DynamoDB Local's CPU per item written, pass ${passes} of ${passes} (${items.toLocaleString('en')} items per form, ${concurrency} requests at once; JAVA_TOOL_OPTIONS=${process.env.JAVA_TOOL_OPTIONS ?? ''})`,
);
console.log(table.toString());
