/**
 * `npm run bench:import [-- --orders N]` (default one million): generates a Shopify admin orders export of N orders
 * (about N/3 customers, one or two line items an order), imports it with `importHistory` into a fresh table on
 * DynamoDB Local, then writes exactly the same items (captured during the import) with a bare BatchWriteItem loop,
 * 25 items a request, 4 requests in flight (what the import's write batcher allows), into a second table. Reports
 * importPerSec (orders a second), importVsBatchWrite (target >= 0.7) and the import's peak RSS (flat: the file is
 * streamed, a chunk of 500 orders held at a time). `--quick` is 20,000 orders.
 */
import '../../lib/local/process-env.js';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argv } from 'node:process';
import { createInterface } from 'node:readline';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { ensureTable } from '../../lib/adapters/dynamodb/admin.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { DynamoHistoryStore, historyActions } from '../../lib/adapters/dynamodb/history-store.js';
import { DynamoOrderStore } from '../../lib/adapters/dynamodb/orders.js';
import { parseCampaignConfig } from '../../lib/config/campaign-config.js';
import defaultCampaignConfig from '../../lib/config/default-campaign-config.json' with { type: 'json' };
import { readShopifyOrders } from '../../lib/import/shopify-orders.js';
import { findFreePort, startLocalStack } from '../../lib/local/stack.js';
import type { HistoryStore } from '../../lib/ports/history-store.js';
import { importHistory } from '../../lib/usecases/import-history.js';

const flag = (name: string) => argv.indexOf(name);
const orders = flag('--orders') >= 0 ? Number(argv[flag('--orders') + 1]) : flag('--quick') >= 0 ? 20_000 : 1_000_000;
if (!Number.isInteger(orders) || orders < 100) throw new Error('--orders must be a whole number >= 100');

const dir = await mkdtemp(join(tmpdir(), 'winback-bench-import-'));
const file = join(dir, 'orders_export.csv');
const captured = join(dir, 'items.jsonl');
const header =
  'Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Billing Name,Billing Country,Cancelled at,Payment Method,Refunded Amount,Id';

/** Deterministic: the same N gives the same file. */
async function generate(): Promise<void> {
  const out = createWriteStream(file);
  const write = (text: string) => (out.write(text) ? Promise.resolve() : new Promise<void>((resolve) => out.once('drain', () => resolve())));
  await write(`${header}\n`);
  const customers = Math.max(1, Math.floor(orders / 3));
  let seed = 20261205;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const start = Date.parse('2024-01-01T00:00:00Z');
  const span = Date.parse('2025-12-31T00:00:00Z') - start;
  for (let index = 0; index < orders; index += 1) {
    const customer = Math.floor(random() * customers);
    const at = `${new Date(start + Math.floor((index / orders) * span)).toISOString().replace('T', ' ').slice(0, 19)} +0000`;
    const two = random() < 0.4;
    const total = two ? '42.40' : '24.95';
    const status = random() < 0.03 ? 'refunded' : 'paid';
    await write(
      `#${1000 + index},c${customer}@example.org,${status},${at},fulfilled,${at},${random() < 0.6 ? 'yes' : 'no'},EUR,${total},0.00,0.00,${total},,0.00,Standard,${at},1,Espresso beans 1 kg,24.95,BEAN-1KG,Customer ${customer},NL,,Shopify Payments,${status === 'refunded' ? total : '0.00'},${5_600_000_000_000 + index}\n`,
    );
    if (two) await write(`#${1000 + index},c${customer}@example.org,,,,,,,,,,,,,,${at},1,Paper filters,17.45,FILT-100,,,,,,\n`);
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

const t0 = Date.now();
await generate();
console.log(`generated ${orders.toLocaleString('en-IE')} orders in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

const stack = await startLocalStack({ dynamoPort: await findFreePort(), sesPort: await findFreePort() });
try {
  const client = createDocumentClient({ endpoint: stack.dynamoEndpoint });
  await ensureTable(client, 'bench-import');
  await ensureTable(client, 'bench-batch');
  const config = parseCampaignConfig(defaultCampaignConfig);

  // The import, with its writes captured (as items) for the baseline to write the same ones.
  const capture = createWriteStream(captured);
  const real = new DynamoHistoryStore(client, 'bench-import');
  const store: HistoryStore = {
    storedOrders: (refs) => real.storedOrders(refs),
    emailOwners: (hashes) => real.emailOwners(hashes),
    profiles: (ids) => real.profiles(ids),
    write: async (change) => {
      const written = await real.write(change);
      if (written) for (const action of historyActions('bench-batch', change)) capture.write(`${JSON.stringify(action.Put!.Item)}\n`);
      return written;
    },
  };
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const importStart = performance.now();
  const counts = await importHistory(readShopifyOrders(createReadStream(file), { receivedAt: new Date(), exportedAt: new Date(), defaultCurrency: 'EUR' }), {
    store,
    orders: new DynamoOrderStore(client, 'bench-import'),
    clock: { now: () => new Date() },
    config: async () => config,
  });
  const importMs = performance.now() - importStart;
  clearInterval(sampler);
  await new Promise<void>((resolve) => capture.end(() => resolve()));

  // The floor: the same items, BatchWriteItem of 25, 4 in flight, no reads, no conditions.
  const limit = pLimit(4);
  const pending = new Set<Promise<void>>();
  let batch: Record<string, unknown>[] = [];
  let items = 0;
  const send = (requests: Record<string, unknown>[]) => {
    const job = limit(async () => {
      let left: unknown[] = requests.map((Item) => ({ PutRequest: { Item } }));
      while (left.length > 0) {
        const result = await client.send(new BatchWriteCommand({ RequestItems: { 'bench-batch': left as never } }));
        left = result.UnprocessedItems?.['bench-batch'] ?? [];
      }
    });
    pending.add(job);
    void job.finally(() => pending.delete(job));
  };
  const batchStart = performance.now();
  for await (const line of createInterface({ input: createReadStream(captured), crlfDelay: Infinity })) {
    batch.push(JSON.parse(line) as Record<string, unknown>);
    items += 1;
    if (batch.length === 25) {
      send(batch);
      batch = [];
      while (pending.size >= 8) await Promise.race(pending);
    }
  }
  if (batch.length > 0) send(batch);
  await Promise.all(pending);
  const batchMs = performance.now() - batchStart;

  const importPerSec = Math.round(counts.stored / (importMs / 1000));
  const batchOrdersPerSec = Math.round(counts.stored / (batchMs / 1000));
  const result = {
    orders,
    stored: counts.stored,
    customers: counts.customers,
    items,
    importMs: Math.round(importMs),
    batchWriteMs: Math.round(batchMs),
    importPerSec,
    batchWritePerSec: batchOrdersPerSec,
    importVsBatchWrite: Number((batchMs / importMs).toFixed(2)),
    peakRssMb: Math.round(peakRss / 1024 / 1024),
  };
  console.log(JSON.stringify(result));
} finally {
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
