import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { Command } from 'commander';
import { LocalCouponProvider } from '../adapters/coupons/local.js';
import { DynamoCampaignConfigStore } from '../adapters/dynamodb/campaign-configs.js';
import { createDocumentClient } from '../adapters/dynamodb/client.js';
import { DynamoCustomerRepository } from '../adapters/dynamodb/customers.js';
import { DynamoRunRecorder } from '../adapters/dynamodb/runs.js';
import { DynamoSendLedger } from '../adapters/dynamodb/send-ledger.js';
import { DynamoSuppressionList } from '../adapters/dynamodb/suppressions.js';
import { parseCampaignConfig } from '../config/campaign-config.js';
import defaultCampaignConfig from '../config/default-campaign-config.json' with { type: 'json' };
import { localSecrets } from '../local/defaults.js';
import { useLocalCredentials } from '../local/stack.js';
import { systemClock } from '../ports/clock.js';
import { EmailSendError } from '../ports/email-sender.js';
import { applyCampaignConfig } from '../usecases/apply-campaign-config.js';
import { configHistory, currentConfig, diffConfigs, rollbackConfig } from '../usecases/campaign-versions.js';
import { previewNight } from '../usecases/run-night.js';
import { parseCalendarDate, parseWholeNumber, readJsonFile } from './arguments.js';
import { formatNightReport } from './night-report.js';
import { openLocalSession, say } from './start.js';

interface StoreOptions {
  readonly aws?: boolean;
  readonly port: number;
}

/**
 * The table the campaign commands work on: with --aws, TABLE_NAME through the usual AWS credentials; otherwise the
 * local stack, reusing a running `npm start` when one answers, else starting the embedded stack for the command.
 */
export async function withTable<T>(
  options: StoreOptions & { seedAsOf?: string; customers?: number },
  work: (table: { client: ReturnType<typeof createDocumentClient>; tableName: string }) => Promise<T>,
): Promise<T> {
  if (options.aws) return work({ client: createDocumentClient(), tableName: process.env.TABLE_NAME ?? 'winback' });
  useLocalCredentials();
  const endpoint = `http://127.0.0.1:${options.port + 2}`;
  if (await answers(endpoint)) {
    process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
    return work({ client: createDocumentClient({ endpoint }), tableName: process.env.TABLE_NAME ?? 'winback' });
  }
  const session = await openLocalSession({
    port: options.port,
    quiet: true,
    ...(options.seedAsOf ? { asOf: options.seedAsOf } : { seed: false }),
    ...(options.customers ? { customers: options.customers } : {}),
  });
  try {
    return await work({ client: session.client, tableName: session.tableName });
  } finally {
    await session.stop();
  }
}

async function answers(endpoint: string): Promise<boolean> {
  const client = new DynamoDBClient({ endpoint, region: 'eu-west-1', maxAttempts: 1, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }));
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

const print = (value: unknown) => process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);

export function registerCampaignCommands(program: Command): void {
  const campaigns = program.command('campaigns').description('The campaign config: export, validate, diff, apply, history, rollback, preview');
  const withStoreOptions = (command: Command) =>
    command
      .option('--aws', 'use the table in AWS (TABLE_NAME, AWS credentials) instead of the local stack')
      .option('--port <port>', 'the local stack base port (DynamoDB Local answers on port+2)', parseWholeNumber(1024, 65_533), 8787);

  withStoreOptions(campaigns.command('export').description('print the campaign config in force as JSON')).action(async (options: StoreOptions) => {
    await withTable(options, async ({ client, tableName }) => {
      const current = await currentConfig(new DynamoCampaignConfigStore(client, tableName));
      print(current?.config ?? parseCampaignConfig(defaultCampaignConfig));
    });
  });

  campaigns
    .command('validate <file>')
    .description('check a campaign config file and list every problem by path')
    .action(async (file: string) => {
      const parsed = parseCampaignConfig(await readJsonFile(file));
      print(`${file} is valid: ${parsed.campaigns.length} campaigns for ${parsed.shop.name}`);
    });

  campaigns
    .command('schema')
    .description('print the JSON Schema of the campaign config (for editors)')
    .action(async () => {
      const { campaignConfigJsonSchema } = await import('../config/campaign-config.js');
      print(campaignConfigJsonSchema());
    });

  withStoreOptions(campaigns.command('diff <file>').description('show what applying the file would change, by path')).action(
    async (file: string, options: StoreOptions) => {
      const next = parseCampaignConfig(await readJsonFile(file));
      await withTable(options, async ({ client, tableName }) => {
        const current = await currentConfig(new DynamoCampaignConfigStore(client, tableName));
        const changes = diffConfigs(current?.config, next);
        print(
          changes.length === 0
            ? 'no changes'
            : changes
                .map(
                  (change) =>
                    `${change.change.padEnd(8)} ${change.path}${change.change === 'changed' ? `: ${JSON.stringify(change.before)} -> ${JSON.stringify(change.after)}` : ''}`,
                )
                .join('\n'),
        );
      });
    },
  );

  withStoreOptions(campaigns.command('apply <file>').description('validate the file and store it as the next version'))
    .option('--by <name>', 'who applies it, kept with the version', process.env.USER ?? 'cli')
    .action(async (file: string, options: StoreOptions & { by: string }) => {
      const raw = await readJsonFile(file);
      await withTable(options, async ({ client, tableName }) => {
        const applied = await applyCampaignConfig(raw, options.by, { configs: new DynamoCampaignConfigStore(client, tableName), clock: systemClock });
        print(applied.unchanged ? `unchanged: version ${applied.version} is already this config` : `applied as version ${applied.version}`);
      });
    });

  withStoreOptions(campaigns.command('history').description('every version: who, when and what changed'))
    .option('--json', 'as JSON')
    .action(async (options: StoreOptions & { json?: boolean }) => {
      await withTable(options, async ({ client, tableName }) => {
        const history = await configHistory(new DynamoCampaignConfigStore(client, tableName));
        if (options.json) return print(history);
        for (const entry of history) {
          say(`v${entry.version}  ${entry.appliedAt}  by ${entry.appliedBy}${entry.note ? `  (${entry.note})` : ''}  ${entry.changes.length} change(s)`);
          for (const change of entry.changes.slice(0, 20)) say(`    ${change.change.padEnd(8)} ${change.path}`);
        }
      });
    });

  withStoreOptions(campaigns.command('rollback <version>').description('apply an earlier version again, as the newest'))
    .option('--by <name>', 'who rolls back', process.env.USER ?? 'cli')
    .action(async (version: string, options: StoreOptions & { by: string }) => {
      const number = parseWholeNumber(1, 1_000_000_000)(version);
      await withTable(options, async ({ client, tableName }) => {
        const applied = await rollbackConfig(number, options.by, { configs: new DynamoCampaignConfigStore(client, tableName), clock: systemClock });
        print(applied.unchanged ? `version ${number} is already in force (v${applied.version})` : `version ${number} restored as version ${applied.version}`);
      });
    });

  withStoreOptions(
    campaigns
      .command('preview')
      .description('a dry run of a night: who would be emailed, held out or removed, and a sample email per variant; nothing is sent or reserved'),
  )
    .requiredOption('--as-of <date>', 'the night to preview, YYYY-MM-DD', parseCalendarDate)
    .option('--file <file>', 'preview this config instead of the one in force (it is not applied)')
    .option('--customers <n>', 'demo shop size if the local table is empty and gets seeded (default 5000)', parseWholeNumber(1, 5_000_000))
    .option('--within <seconds>', 'answer within about this long: past it, estimate the night from the customers scanned so far', parseWholeNumber(1, 86_400))
    .option('--json', 'as JSON')
    .action(async (options: StoreOptions & { asOf: string; file?: string; json?: boolean; customers?: number; within?: number }) => {
      const config = options.file ? parseCampaignConfig(await readJsonFile(options.file)) : undefined;
      // A preview on a fresh machine seeds the demo shop up to that night, as `npm start` would.
      await withTable({ ...options, seedAsOf: options.asOf }, async ({ client, tableName }) => {
        const secret = process.env.UNSUBSCRIBE_SECRET ?? localSecrets.UNSUBSCRIBE_SECRET;
        const preview = await previewNight(
          {
            customers: new DynamoCustomerRepository(client, tableName),
            ledger: new DynamoSendLedger(client, tableName),
            suppressions: new DynamoSuppressionList(client, tableName),
            configs: new DynamoCampaignConfigStore(client, tableName),
            runs: new DynamoRunRecorder(client, tableName),
            coupons: new LocalCouponProvider(secret),
            // A preview never sends; this sender proves it by refusing.
            email: { send: async () => Promise.reject(new EmailSendError('rejected', 'PreviewNeverSends')) },
            clock: systemClock,
            unsubscribe: { baseUrl: process.env.UNSUBSCRIBE_BASE_URL ?? `http://localhost:${options.port}`, secret },
          },
          { asOf: options.asOf, ...(config ? { config } : {}), ...(options.within ? { shouldStop: stopAfter(options.within * 1000) } : {}) },
        );
        if (options.json) return print(preview);
        say(`Preview of the night of ${options.asOf}: nothing was sent, reserved or recorded.`);
        const { coverage } = preview;
        if (!coverage.complete)
          say(
            `Estimated from ${coverage.customersScanned.toLocaleString('en')} customers scanned (${coverage.segmentsScanned} of ${coverage.totalSegments} segments, ${(coverage.fraction * 100).toFixed(1)}%): counts are rounded estimates for the whole shop.`,
          );
        say(formatNightReport(preview.summary, { sentHeading: 'would send' }));
        for (const [key, sample] of Object.entries(preview.samples)) say(`\n--- sample ${key} (to ${sample.to})\nSubject: ${sample.subject}\n\n${sample.text}`);
      });
    });
}

/** True once `ms` have passed since it was made. */
function stopAfter(ms: number): () => boolean {
  const deadline = Date.now() + ms;
  return () => Date.now() >= deadline;
}
