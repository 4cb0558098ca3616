import { Command, CommanderError } from 'commander';
import { DynamoCampaignConfigStore } from '../adapters/dynamodb/campaign-configs.js';
import { createDocumentClient } from '../adapters/dynamodb/client.js';
import { DynamoCustomerRepository } from '../adapters/dynamodb/customers.js';
import { DynamoReportSnapshots } from '../adapters/dynamodb/report-snapshots.js';
import { DynamoSendLedger } from '../adapters/dynamodb/send-ledger.js';
import { DynamoSuppressionList } from '../adapters/dynamodb/suppressions.js';
import { InvalidCampaignConfigError, parseCampaignConfig } from '../config/campaign-config.js';
import { isDeliverableAddress, normalizeEmail } from '../domain/email.js';
import { emailForLogs, logger } from '../observability.js';
import { systemClock } from '../ports/clock.js';
import { applyCampaignConfig } from '../usecases/apply-campaign-config.js';
import { forgetCustomer } from '../usecases/customer-changes.js';
import { parseCalendarDate, parseWholeNumber, readJsonFile } from './arguments.js';
import { registerCampaignCommands, withTable } from './campaigns.js';
import { registerConnectCommands } from './connect.js';
import { registerImportCommands } from './import.js';
import { registerModelCommands } from './model.js';
import { registerReportCommands } from './report.js';
import { defaultSimulationSeed, type SimulateOptions, simulate } from './simulate.js';
import { type StartOptions, start } from './start.js';
import { registerUpliftCommands } from './uplift.js';

function buildProgram(): Command {
  const program = new Command('winback')
    .description('Customer win-back for e-commerce shops: find the customers slipping away and win them back.')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  program
    .command('start')
    .description("Start the embedded local stack (DynamoDB Local, local SES), seed a demo shop if empty, run tonight's job, print the report, keep serving")
    .option('--once', 'exit after the report')
    .option('--as-of <date>', "the night to run, YYYY-MM-DD (default: today in the shop's time zone)", parseCalendarDate)
    .option('--report <file>', 'also write the run summary as JSON to this file')
    .option('--reset', 'wipe the local data and reseed the demo shop')
    .option('--customers <n>', 'demo shop size when seeding (default 5000)', parseWholeNumber(1, 5_000_000))
    .option('--port <port>', 'the port Winback serves on (local SES uses port+1, DynamoDB Local port+2)', parseWholeNumber(1024, 65_533), 8787)
    .option('--config <file>', 'apply this campaign config (validated) before the night')
    .action(async (options: StartOptions) => {
      await start(options);
    });

  program
    .command('simulate')
    .description(
      'Run the nightly job night after night on the local stack and play realistic responses through the real handlers: SES events, one-click unsubscribes, feedback answers and signed Shopify orders',
    )
    .requiredOption('--from <date>', 'the first night, YYYY-MM-DD (the demo shop is seeded up to it when empty)', parseCalendarDate)
    .requiredOption('--nights <n>', 'how many nights to run, 1 to 60', parseWholeNumber(1, 60))
    .option('--reset', 'wipe the local data and reseed the demo shop')
    .option('--customers <n>', 'demo shop size when seeding (default 5000)', parseWholeNumber(1, 5_000_000))
    .option('--port <port>', 'the port Winback serves on (local SES uses port+1, DynamoDB Local port+2)', parseWholeNumber(1024, 65_533), 8787)
    .option(
      '--seed <n>',
      'seed of the simulated responses; the same seed and data give the same figures',
      parseWholeNumber(0, 4_294_967_295),
      defaultSimulationSeed,
    )
    .option('--report <file>', 'also write the per-night figures as JSON to this file')
    .action(async (options: SimulateOptions) => {
      await simulate(options);
    });

  registerCampaignCommands(program);
  registerReportCommands(program);

  const config = program.command('config').description('Campaign config (also under `winback campaigns`)');
  config
    .command('validate <file>')
    .description('check a campaign config file and list every problem by path')
    .action(async (file: string) => {
      const parsed = parseCampaignConfig(await readJsonFile(file));
      process.stdout.write(`${file} is valid: ${parsed.campaigns.length} campaigns for ${parsed.shop.name}\n`);
    });
  config
    .command('apply <file>')
    .description('validate a campaign config and store it as the next version in the table (TABLE_NAME; AWS credentials or AWS_ENDPOINT_URL_DYNAMODB)')
    .option('--by <name>', 'who applies it, kept with the version', process.env.USER ?? 'cli')
    .action(async (file: string, options: { by: string }) => {
      const raw = await readJsonFile(file);
      const configs = new DynamoCampaignConfigStore(createDocumentClient(), process.env.TABLE_NAME ?? 'winback');
      const applied = await applyCampaignConfig(raw, options.by, { configs, clock: systemClock });
      process.stdout.write(applied.unchanged ? `unchanged: version ${applied.version} is already this config\n` : `applied as version ${applied.version}\n`);
    });
  registerModelCommands(program);
  registerUpliftCommands(program);
  registerConnectCommands(program);
  registerCustomerCommands(program);
  registerImportCommands(program);
  return program;
}

/** `winback customers forget EMAIL`: the GDPR erasure Shopify's customers/redact triggers, on request. */
function registerCustomerCommands(program: Command): void {
  program
    .command('customers')
    .description('Customers: forget one on request (right to erasure)')
    .command('forget <email>')
    .description('delete the customer with this address, their orders and sends; keep only a hashed-address suppression so they are never emailed again')
    .option('--aws', 'use the table in AWS (TABLE_NAME, AWS credentials) instead of the local stack')
    .option('--port <port>', 'the local stack base port (DynamoDB Local answers on port+2)', parseWholeNumber(1024, 65_533), 8787)
    .action(async (email: string, options: { aws?: boolean; port: number }) => {
      if (!isDeliverableAddress(email)) throw new Error(`"${email}" is not an email address`);
      await withTable(options, async ({ client, tableName }) => {
        const deps = {
          customers: new DynamoCustomerRepository(client, tableName),
          suppressions: new DynamoSuppressionList(client, tableName),
          ledger: new DynamoSendLedger(client, tableName),
          snapshots: new DynamoReportSnapshots(client, tableName),
          clock: systemClock,
        };
        // Not an order source, but the suppression record names where the request came from: "cli:redact".
        const { itemsDeleted } = await forgetCustomer({ source: 'cli', email }, deps);
        logger.info('customer forgotten', { email: emailForLogs(email), itemsDeleted, by: 'cli' });
        process.stdout.write(
          itemsDeleted > 0
            ? `forgot ${normalizeEmail(email)}: ${itemsDeleted} items deleted; only a hashed-address suppression is kept\n`
            : `no customer with ${normalizeEmail(email)}; the hashed address is suppressed, so it is never emailed\n`,
        );
      });
    });
}

/** Runs the CLI and returns the exit code; bad input gets a message naming what is wrong and a non-zero code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof InvalidCampaignConfigError) {
      process.stderr.write(`${error.message}\nNothing was applied and nothing was sent.\n`);
      return 2;
    }
    process.stderr.write(`winback: ${(error as Error).message}\n`);
    return 1;
  }
}
