/**
 * `npm run bench:report [-- --customers N] [-- --nights K]`: what the report costs per ledger entry, the figure that
 * bounds the report kept ready after each night (it covers the shop's whole history). A demo shop of N customers
 * (default 5,000) runs one real night and its morning sender, as `npm start` does. Its ledger entries are then copied
 * back over K earlier weekly nights (default 50), each copy shifted in time with a key, message id and night of its own,
 * so the report reads a long history without a night run for each. Measured: the heap the report's read of the ledger
 * keeps per entry (after a full GC, so `--expose-gc`), and the whole report's time and peak resident memory.
 */
import '../../lib/local/process-env.js';
import pLimit from 'p-limit';
import { ensureTable } from '../../lib/adapters/dynamodb/admin.js';
import { DynamoCampaignConfigStore } from '../../lib/adapters/dynamodb/campaign-configs.js';
import { createDocumentClient, parallelScan } from '../../lib/adapters/dynamodb/client.js';
import { DynamoCustomerRepository } from '../../lib/adapters/dynamodb/customers.js';
import { DynamoReportSource } from '../../lib/adapters/dynamodb/report-source.js';
import { DynamoSuppressionList } from '../../lib/adapters/dynamodb/suppressions.js';
import { keys, messageIndex, sentNightIndex, sentNightKey } from '../../lib/adapters/dynamodb/table.js';
import { putBatcherFor } from '../../lib/adapters/dynamodb/write-batches.js';
import { runLocalNight } from '../../lib/cli/start.js';
import defaultCampaignConfig from '../../lib/config/default-campaign-config.json' with { type: 'json' };
import { addDays, isCalendarDate } from '../../lib/domain/dates.js';
import { useLocalSecrets } from '../../lib/local/defaults.js';
import { findFreePort, startLocalStack } from '../../lib/local/stack.js';
import { systemClock } from '../../lib/ports/clock.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { buildReport } from '../../lib/usecases/build-report.js';
import { seedDemoShop } from '../../lib/usecases/seed-demo-shop.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('bench:report needs node --expose-gc (npm run bench:report sets it)');
const argv = process.argv.slice(2);
const option = (name: string, fallback: number, min: number) => {
  const index = argv.indexOf(name);
  const value = index >= 0 ? Number(argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number >= ${min}`);
  return value;
};
const customers = option('--customers', 5_000, 500);
const nights = option('--nights', 50, 1);
const asOf = '2026-11-22';
const log = (line: string) => process.stderr.write(`[bench:report ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const mb = (bytes: number) => Math.round(bytes / 1_048_576);

const stack = await startLocalStack({ dynamoPort: await findFreePort(), sesPort: await findFreePort() });
try {
  const tableName = 'bench-report';
  process.env.TABLE_NAME = tableName;
  process.env.UNSUBSCRIBE_BASE_URL = 'http://localhost:8787';
  useLocalSecrets();
  const client = createDocumentClient({ endpoint: stack.dynamoEndpoint });
  await ensureTable(client, tableName);
  const configs = new DynamoCampaignConfigStore(client, tableName);
  await applyCampaignConfig(defaultCampaignConfig, 'bench', { configs, clock: systemClock });
  log(`seed: the demo shop, ${customers.toLocaleString('en')} customers`);
  await seedDemoShop(
    { customers, seed: 20261122, endDate: asOf, shopTimeZone: defaultCampaignConfig.shop.timeZone, currency: defaultCampaignConfig.shop.currency },
    { customers: new DynamoCustomerRepository(client, tableName), suppressions: new DynamoSuppressionList(client, tableName), clock: systemClock },
  );
  log(`night: ${asOf} and its morning sender`);
  const night = await runLocalNight(asOf);

  const entries: Record<string, unknown>[] = [];
  await parallelScan(client, { TableName: tableName, FilterExpression: 'entity = :send', ExpressionAttributeValues: { ':send': 'send' } }, 1, (items) => {
    entries.push(...items);
  });
  log(`history: ${entries.length.toLocaleString('en')} entries of the night (${night.emailsSent} sent) copied over ${nights} earlier weekly nights`);
  const puts = putBatcherFor(client, tableName);
  const limit = pLimit(100);
  for (let week = 1; week <= nights; week++) {
    await Promise.all(entries.map((entry) => limit(() => puts.put(earlierCopy(entry, week)))));
  }
  const ledgerEntries = entries.length * (nights + 1);

  const source = new DynamoReportSource(client, tableName);
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const readStart = performance.now();
  let records: Awaited<ReturnType<DynamoReportSource['records']>> | undefined = await source.records('0000-01-01', '9999-12-31');
  const readMs = performance.now() - readStart;
  gc();
  const heldBytes = process.memoryUsage().heapUsed - heapBefore;
  const read = { sends: records.sends.length, decisions: records.decisions.length, runs: records.runs.length };
  records = undefined;
  gc();

  // maxRSS is the process's high-water mark, already set by the seeding: sample the report's own peak instead.
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  const buildStart = performance.now();
  const report = await buildReport({ source, configs, clock: systemClock });
  const buildMs = performance.now() - buildStart;
  clearInterval(sampler);
  const bytesPerEntry = heldBytes / read.sends;
  // The builder on AWS has 4 GB (infra/winback-stack.ts): what fits, by the heap the ledger keeps (with a quarter left for
  // the rest of the report) and by the resident memory the whole report grew by per entry (garbage not yet collected
  // included, so the cautious figure).
  const peakBytesPerEntry = (peakRss - rssBefore) / read.sends;
  const fits = (memoryMb: number) => ({
    byHeap: (0.75 * memoryMb * 1_048_576) / bytesPerEntry,
    byPeak: ((memoryMb - mb(rssBefore)) * 1_048_576) / peakBytesPerEntry,
  });

  const lines = [
    `ledger entries: ${ledgerEntries.toLocaleString('en')} (${read.sends.toLocaleString('en')} read by the report, ${read.decisions.toLocaleString('en')} decision log entries, ${read.runs} runs) over ${report.range.nights} nights`,
    `the report's read of the ledger: ${Math.round(readMs).toLocaleString('en')} ms, keeps ${mb(heldBytes)} MB of heap = ${Math.round(bytesPerEntry)} bytes per entry`,
    `the whole report: ${Math.round(buildMs).toLocaleString('en')} ms = ${((buildMs * 1000) / read.sends).toFixed(1)} µs per entry; resident memory peaked at ${mb(peakRss)} MB (${mb(rssBefore)} MB before it, sampled every 20 ms)`,
    peakBytesPerEntry > 0
      ? `resident memory per entry at the peak: ${Math.round(peakBytesPerEntry)} bytes`
      : 'resident memory did not grow above what the seeding left: too few entries to see',
    ...[2048, 4096, 10_240].map((memoryMb) => {
      const { byHeap, byPeak } = fits(memoryMb);
      const peak = peakBytesPerEntry > 0 ? `${(byPeak / 1e6).toFixed(1)} million entries by the peak, ` : '';
      return `a ${memoryMb.toLocaleString('en')} MB builder holds about ${peak}${(byHeap / 1e6).toFixed(1)} million by the heap kept`;
    }),
    ...(read.sends < 50_000 ? [`only ${read.sends.toLocaleString('en')} entries: per-entry figures under 50,000 are not reliable (fixed costs dominate)`] : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await stack.stop();
}

/** The entry as if written `weeks` weeks earlier: every instant and night moved back, with a key and message id of its own. */
function earlierCopy(entry: Record<string, unknown>, weeks: number): Record<string, unknown> {
  const shifted = shiftTimes(entry, weeks * 7) as Record<string, unknown>;
  const customerId = String(entry.customerId);
  const episode = `${String(entry.episode)}~w${weeks}`;
  const copy: Record<string, unknown> = { ...shifted, ...keys.send(customerId, String(entry.campaignId), episode, Number(entry.step)), episode };
  if (typeof entry[messageIndex.partitionKey] === 'string') copy[messageIndex.partitionKey] = `${String(entry[messageIndex.partitionKey])}-w${weeks}`;
  if (typeof entry[sentNightIndex.partitionKey] === 'string') copy[sentNightIndex.partitionKey] = sentNightKey(String(copy.asOf), customerId);
  // The local SES sends no events, and on AWS most sent entries carry some: delivered, and for some opened and clicked.
  if (copy.status === 'sent' && Object.keys((copy.events as object | undefined) ?? {}).length === 0 && typeof copy.completedAt === 'string') {
    const after = (minutes: number) => new Date(Date.parse(String(copy.completedAt)) + minutes * 60_000).toISOString();
    const draw = ((weeks * 7919 + customerId.length * 104_729 + Number(entry.step) * 31) % 100) / 100;
    copy.events = { delivered: after(1), ...(draw < 0.25 ? { opened: after(95) } : {}), ...(draw < 0.04 ? { clicked: after(97) } : {}) };
  }
  return copy;
}

function shiftTimes(value: unknown, days: number): unknown {
  if (typeof value === 'string') {
    if (isCalendarDate(value)) return addDays(value, -days);
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value)) return new Date(Date.parse(value) - days * 86_400_000).toISOString();
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => shiftTimes(item, days));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shiftTimes(item, days)]));
  return value;
}
