import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { type Readable, Transform } from 'node:stream';
import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { markShopReal } from '../adapters/dynamodb/admin.js';
import { DynamoCampaignConfigStore } from '../adapters/dynamodb/campaign-configs.js';
import { DynamoHistoryStore } from '../adapters/dynamodb/history-store.js';
import { DynamoOrderStore } from '../adapters/dynamodb/orders.js';
import { parseCampaignConfig } from '../config/campaign-config.js';
import defaultCampaignConfig from '../config/default-campaign-config.json' with { type: 'json' };
import { readOrdersCsv } from '../import/orders-csv.js';
import { type ImportFormat, type ImportRecord, importFormats, type ParseOptions } from '../import/records.js';
import { readShopifyCustomers } from '../import/shopify-customers.js';
import { readShopifyOrders } from '../import/shopify-orders.js';
import { readWooCommerceOrders } from '../import/woocommerce-orders.js';
import { systemClock } from '../ports/clock.js';
import { activeConfig } from '../usecases/active-config.js';
import { type ImportCounts, type ImportProblem, importHistory } from '../usecases/import-history.js';
import { withTable } from './campaigns.js';
import { shopifyWoo } from './import-sources.js';

export interface ImportOptions {
  readonly format?: ImportFormat;
  readonly dryRun?: boolean;
  readonly json?: boolean;
  readonly aws?: boolean;
  readonly port: number;
  readonly shop?: string;
  readonly url?: string;
}

/** Problems printed one per line; after this many, only counted (the --json line and the summary have the total). */
const problemsShown = 200;

const readers: Record<ImportFormat, (input: Readable, options: ParseOptions) => AsyncGenerator<ImportRecord>> = {
  'shopify-orders': readShopifyOrders,
  'shopify-customers': readShopifyCustomers,
  'woocommerce-orders': readWooCommerceOrders,
  'orders-csv': readOrdersCsv,
};

function port(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1024 || value > 65_533) throw new InvalidArgumentError('expected a whole number from 1024 to 65533.');
  return value;
}

export function registerImportCommands(program: Command): void {
  program
    .command('import <source>')
    .description(
      "Import a shop's order history: a FILE exported from the shop (--format), or `shopify --shop NAME.myshopify.com` / `woocommerce --url URL` through the platform's API (credentials from the environment or, with --aws, Secrets Manager)",
    )
    .addOption(new Option('--format <format>', 'the file format').choices([...importFormats]))
    .option('--shop <domain>', 'with `shopify`: the shop, NAME.myshopify.com (token in SHOPIFY_ADMIN_TOKEN or SHOPIFY_ADMIN_TOKEN_ARN)')
    .option('--url <url>', 'with `woocommerce`: the site URL (keys in WOOCOMMERCE_CONSUMER_KEY/SECRET or WOOCOMMERCE_CREDENTIALS_ARN)')
    .option('--dry-run', 'read and check everything, write nothing (the table is not touched)')
    .option('--json', 'print the figures as one JSON line at the end')
    .option('--aws', 'write to the table in AWS (TABLE_NAME, AWS credentials) instead of the local stack')
    .option('--port <port>', 'the local stack base port (DynamoDB Local answers on port+2)', port, 8787)
    .action(async (source: string, options: ImportOptions) => {
      const counts = await runImport(source, options);
      if (counts.invalid > 0 && !options.json) process.stderr.write(`${counts.invalid} records could not be read and were skipped (listed above).\n`);
    });
}

/** Runs one import and prints its feedback; returns the figures (also printed as the last line with --json). */
export async function runImport(source: string, options: ImportOptions): Promise<ImportCounts & { format: string; ms: number }> {
  const startedAt = Date.now();
  const { records, describe, total, position } = await openSource(source, options);
  const progress = progressReporter(total, position);
  let shown = 0;
  const onProblem = (problem: ImportProblem) => {
    shown += 1;
    if (shown <= problemsShown) progress.log(`${describe(problem.line)}: ${problem.field}: ${problem.problem}`);
    else if (shown === problemsShown + 1) progress.log('... more problems are counted, not listed');
  };
  const run = async (table?: { client: Parameters<typeof markShopReal>[0]; tableName: string }) => {
    const configs = table ? new DynamoCampaignConfigStore(table.client, table.tableName) : undefined;
    const config = configs ? activeConfig(configs, systemClock) : async () => parseCampaignConfig(defaultCampaignConfig);
    try {
      return await importHistory(
        records,
        {
          ...(table ? { store: new DynamoHistoryStore(table.client, table.tableName), orders: new DynamoOrderStore(table.client, table.tableName) } : {}),
          clock: systemClock,
          config,
        },
        { onProblem, onProgress: (counts) => progress.update(counts) },
      );
    } finally {
      progress.stop();
    }
  };
  const counts = options.dryRun
    ? await run()
    : await withTable(options, async (table) => {
        const result = await run(table);
        // A shop with real customers is never seeded with the demo on top (start --reset still does).
        if (result.stored > 0 || result.duplicates > 0) await markShopReal(table.client, table.tableName, new Date().toISOString());
        return result;
      });
  const result = { format: options.format ?? source, ...counts, ms: Date.now() - startedAt };
  if (options.json) {
    const { format, rows, orders, customers, stored, duplicates, ignored, invalid, skipped, ms } = result;
    process.stdout.write(`${JSON.stringify({ format, rows, orders, customers, stored, duplicates, ignored, invalid, skipped, ms })}\n`);
  } else {
    const skippedText = Object.entries(counts.skipped)
      .map(([reason, n]) => `${n} ${reason}`)
      .join(', ');
    process.stdout.write(
      `${options.dryRun ? 'Dry run (nothing written): ' : ''}${counts.rows} rows, ${counts.orders} orders: ${counts.stored} stored (${counts.ignored} not purchases: cancelled, refunded, voided or test), ${counts.duplicates} already there, ${counts.customers} new customers, ${counts.invalid} invalid${skippedText ? `, skipped ${skippedText}` : ''} in ${(result.ms / 1000).toFixed(1)} s\n`,
    );
  }
  return result;
}

async function openSource(source: string, options: ImportOptions) {
  const receivedAt = new Date();
  if (!options.format) {
    if (source === 'shopify' || source === 'woocommerce') {
      const api = await shopifyWoo(source, options, receivedAt);
      return { records: api.records, describe: (line: number) => `${source} ${api.unit} ${line}`, total: undefined, position: () => 0 };
    }
    throw new InvalidArgumentError(
      `say which format ${source} is in: --format ${importFormats.join('|')} (or import from an API: \`winback import shopify --shop NAME.myshopify.com\` or \`winback import woocommerce --url URL\`)`,
    );
  }
  let size: number;
  let exportedAt: Date;
  try {
    const info = await stat(source);
    size = info.size;
    exportedAt = info.mtime;
  } catch (error) {
    throw new Error(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  const input = createReadStream(source).pipe(counter);
  // A consent read from the file is dated when it was exported, never after now.
  const parseOptions: ParseOptions = {
    receivedAt,
    exportedAt: exportedAt > receivedAt ? receivedAt : exportedAt,
    defaultCurrency: parseCampaignConfig(defaultCampaignConfig).shop.currency,
  };
  return { records: readers[options.format](input, parseOptions), describe: (line: number) => `${source}:${line}`, total: size, position: () => bytes };
}

/** A bar with rate and time left on a terminal; a plain line now and then otherwise (logs, CI). Both on stderr. */
function progressReporter(total: number | undefined, position: () => number) {
  const tty = process.stderr.isTTY === true;
  if (tty && total !== undefined) {
    const bar = new SingleBar({
      format: '  {bar} {percentage}% | {rows} rows | {rate} rows/s | {eta_formatted} left | {stored} stored, {invalid} invalid',
      hideCursor: true,
      stream: process.stderr,
      etaBuffer: 50,
    });
    const started = Date.now();
    bar.start(total, 0, { rows: 0, rate: 0, stored: 0, invalid: 0 });
    return {
      update: (counts: Readonly<ImportCounts>) =>
        bar.update(position(), {
          rows: counts.rows,
          rate: Math.round(counts.rows / Math.max(0.001, (Date.now() - started) / 1000)),
          stored: counts.stored,
          invalid: counts.invalid,
        }),
      log: (text: string) => process.stderr.write(`\r\x1b[K${text}\n`),
      stop: () => bar.stop(),
    };
  }
  let lastLine = 0;
  const started = Date.now();
  return {
    update: (counts: Readonly<ImportCounts>) => {
      if (Date.now() - lastLine < 5_000) return;
      lastLine = Date.now();
      const seconds = (Date.now() - started) / 1000;
      const percent = total ? ` (${Math.floor((position() / total) * 100)}%)` : '';
      process.stderr.write(
        `import: ${counts.rows} rows${percent}, ${counts.stored} stored, ${counts.duplicates} already there, ${counts.invalid} invalid, ${Math.round(counts.rows / Math.max(0.001, seconds))} rows/s\n`,
      );
    },
    log: (text: string) => process.stderr.write(`${text}\n`),
    stop: () => {},
  };
}
