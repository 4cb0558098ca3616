import { rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Presets, SingleBar } from 'cli-progress';
import { ensureTable, readShopMeta, writeShopMeta } from '../adapters/dynamodb/admin.js';
import { DynamoCampaignConfigStore } from '../adapters/dynamodb/campaign-configs.js';
import { createDocumentClient } from '../adapters/dynamodb/client.js';
import { DynamoCustomerRepository } from '../adapters/dynamodb/customers.js';
import { DynamoSuppressionList } from '../adapters/dynamodb/suppressions.js';
import { parseCampaignConfig } from '../config/campaign-config.js';
import defaultCampaignConfig from '../config/default-campaign-config.json' with { type: 'json' };
import { readEnvironment } from '../config/environment.js';
import { addDays, calendarDateIn } from '../domain/dates.js';
import { localAdminToken, useLocalSecrets } from '../local/defaults.js';
import { invokeWithQueue, runNightWorkflow } from '../local/night-workflow.js';
import { startLocalServer } from '../local/server.js';
import { assertPortFree, startLocalStack } from '../local/stack.js';
import { systemClock } from '../ports/clock.js';
import type { NightSummary } from '../ports/runs.js';
import { applyCampaignConfig } from '../usecases/apply-campaign-config.js';
import { seedDemoShop } from '../usecases/seed-demo-shop.js';
import { readJsonFile } from './arguments.js';
import { formatNightReport } from './night-report.js';

export interface StartOptions {
  readonly once?: boolean;
  readonly asOf?: string;
  readonly report?: string;
  readonly reset?: boolean;
  readonly customers?: number;
  readonly port: number;
  readonly config?: string;
}

/** Beside the package, not the current directory, so `winback start` finds the same shop from any folder. */
export const localDataDir = process.env.WINBACK_DATA_DIR ?? fileURLToPath(new URL('../../.winback/dynamodb', import.meta.url));
const adminTokenFile = join(dirname(localDataDir), 'admin-token');
const defaultDemoCustomers = 5_000;
const demoSeed = 20261122;

export interface LocalSessionOptions {
  /** No progress lines: for commands whose output is data (campaigns export). */
  readonly quiet?: boolean;
  /** Seed the demo shop when the table is empty (default); the config commands need no customers. */
  readonly seed?: boolean;
  readonly asOf?: string;
  readonly reset?: boolean;
  readonly customers?: number;
  readonly port: number;
  readonly config?: string;
}

const sayLine = (text: string) => process.stdout.write(`${text}\n`);
export const say = sayLine;

/**
 * Everything `start` and `simulate` share: free ports, the embedded stack, the table, the campaign config and the
 * demo shop (seeded when the table is empty). The caller runs nights on it and stops it.
 */
export async function openLocalSession(options: LocalSessionOptions) {
  const say = options.quiet ? (_text: string) => {} : sayLine;
  const requestedConfig = options.config ? parseCampaignConfig(await readJsonFile(options.config)) : undefined;
  const ports = { server: options.port, ses: options.port + 1, dynamo: options.port + 2 };
  // Check the ports before --reset wipes anything: a running instance keeps its data.
  await assertPortFree(ports.server, 'Winback');
  await assertPortFree(ports.ses, 'the local SES');
  await assertPortFree(ports.dynamo, 'DynamoDB Local');
  const demoCustomers = options.customers ?? defaultDemoCustomers;
  process.env.TABLE_NAME ??= 'winback';
  process.env.UNSUBSCRIBE_BASE_URL ??= `http://localhost:${options.port}`;
  const defaultedSecrets = useLocalSecrets();
  const admin = await localAdminToken(adminTokenFile);
  process.env.WINBACK_ADMIN_TOKEN = admin.token;
  // Fail fast: every handler reads this environment at cold start; a bad secret found there would surface only
  // after the stack, the seeding and the night. Checked before --reset wipes anything too.
  readEnvironment();
  if (options.reset) await rm(localDataDir, { recursive: true, force: true });

  say(`Starting the local stack (data in ${localDataDir}) ...`);
  const stack = await startLocalStack({ dataDir: localDataDir, sesPort: ports.ses, dynamoPort: ports.dynamo });
  try {
    const client = createDocumentClient();
    const tableName = process.env.TABLE_NAME;
    const configs = new DynamoCampaignConfigStore(client, tableName);
    const customers = new DynamoCustomerRepository(client, tableName);
    const suppressions = new DynamoSuppressionList(client, tableName);
    const created = await ensureTable(client, tableName);
    if (created === 'created') say(`Created table ${tableName}.`);

    const applied = await applyCampaignConfig(requestedConfig ?? (await configs.latest())?.raw ?? defaultCampaignConfig, options.config ?? 'default config', {
      configs,
      clock: systemClock,
    });
    if (!applied.unchanged) say(`Campaign config version ${applied.version} applied from ${options.config ?? 'lib/config/default-campaign-config.json'}.`);
    const config = parseCampaignConfig((await configs.latest())!.raw);
    const asOf = options.asOf ?? calendarDateIn(new Date(), config.shop.timeZone);

    const meta = await readShopMeta(client, tableName);
    if (!meta && options.seed !== false) {
      // The orders end the day before the night: an order later today would lie in the future, and the night refuses
      // a customer whose record does (unreadable_record).
      const demoEndDate = addDays(asOf, -1);
      say(`Seeding the demo shop "${config.shop.name}": ${demoCustomers.toLocaleString('en-IE')} customers, two years of orders up to ${demoEndDate} ...`);
      const bar = new SingleBar(
        {
          format: '  {bar} {percentage}% | {value}/{total} customers | {duration}s',
          hideCursor: true,
          noTTYOutput: false,
          stream: options.quiet ? process.stderr : process.stdout,
        },
        Presets.shades_classic,
      );
      bar.start(demoCustomers, 0);
      const seeded = await seedDemoShop(
        { customers: demoCustomers, seed: demoSeed, endDate: demoEndDate, shopTimeZone: config.shop.timeZone, currency: config.shop.currency },
        { customers, suppressions, clock: systemClock },
        (written) => bar.update(written),
      );
      bar.stop();
      await writeShopMeta(client, tableName, { seededAt: new Date().toISOString(), demoCustomers: seeded.customers, demoEndDate, demoSeed });
      say(
        `Seeded ${seeded.customers.toLocaleString('en-IE')} customers, ${seeded.orders.toLocaleString('en-IE')} orders, ${seeded.suppressions} suppressed addresses.`,
      );
    } else if (meta && options.customers !== undefined && meta.demoCustomers !== options.customers) {
      say(`The local shop was seeded earlier with ${meta.demoCustomers} customers; --customers applies only with --reset.`);
    }
    return { stack, ports, client, tableName, config, asOf, admin, defaultedSecrets, stop: () => stack.stop() };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

export interface LocalNightSummary extends NightSummary {
  /** Of emailsSent, how many waited out their customers' quiet hours and went out later that day. */
  readonly sentAfterQuietHours: number;
  /** The workflow's states and how many times each ran (a Map's inner states once per iteration and loop). */
  readonly states: Record<string, number>;
  /** Retries of each state, when any. */
  readonly retried?: Record<string, number>;
  /** Queued sends that failed every receive: on AWS, in the send queue's dead-letter queue. */
  readonly deadLetters?: number;
}

/**
 * The night, then its day, as AWS runs them: the state machine the CDK app synthesizes, executed in process with
 * each Task backed by its real handler, the send queue played into the send worker (lib/local/night-workflow.ts);
 * then the scheduled sender with the payload EventBridge Scheduler delivers. On AWS that sender runs every few
 * minutes; locally it runs once, through the end of the replayed day, so the emails that waited for the customers'
 * mornings go out too and count in the summary.
 */
export async function runLocalNight(asOf: string): Promise<LocalNightSummary> {
  // The local SES has no MaxSendRate: the sender's AWS pace (a few emails a second) would only make the demo slow.
  process.env.SEND_RATE_PER_SECOND ??= '500';
  const night = await runNightWorkflow({ source: 'winback.local', asOf });
  if (night.status === 'FAILED' || !night.summary) {
    throw new Error(
      `the night failed in the workflow (${formatStates(night.states)}): ${night.error ? `${night.error.Error}: ${night.error.Cause}` : 'it left no run record'}`,
    );
  }
  const summary = night.summary;
  const upTo = new Date(Date.parse(summary.nightAt) + 86_400_000).toISOString();
  const day = await invokeWithQueue('scheduled-sender', { source: 'winback.local', upTo });
  const dueSent = day.sendQueue.sent;
  // The workflow stored its report when the night's queue had drained, before the replayed day's emails went out. On
  // AWS the next night's report counts them; here the day is over at once, so the report is rebuilt to count them.
  if (dueSent > 0) await invokeWithQueue('report-builder', { runId: summary.runId });
  const campaigns = Object.fromEntries(
    Object.entries(summary.campaigns).map(([id, campaign]) => {
      const queuedSent = night.sendQueue.sentByCampaign[id] ?? 0;
      const later = day.sendQueue.sentByCampaign[id] ?? 0;
      return [
        id,
        {
          ...campaign,
          sent: campaign.sent + queuedSent + later,
          queued: Math.max(0, (campaign.queued ?? 0) - queuedSent),
          scheduled: Math.max(0, campaign.scheduled - later),
        },
      ];
    }),
  );
  const deadLetters = night.sendQueue.deadLetters.length + day.sendQueue.deadLetters.length;
  const stoppedBy = summary.stoppedBy ?? night.sendQueue.stoppedBy ?? day.sendQueue.stoppedBy;
  return {
    ...summary,
    campaigns,
    sentByCampaign: Object.fromEntries(Object.entries(campaigns).map(([id, campaign]) => [id, campaign.sent])),
    emailsSent: summary.emailsSent + night.sendQueue.sent + dueSent,
    emailsQueued: Math.max(0, summary.emailsQueued - night.sendQueue.sent),
    emailsScheduled: Math.max(0, summary.emailsScheduled - dueSent),
    sentAfterQuietHours: dueSent,
    states: night.states,
    ...(Object.keys(night.retried).length > 0 ? { retried: night.retried } : {}),
    ...(deadLetters > 0 ? { deadLetters } : {}),
    // SES pausing the account reaches the send worker, not the night's run record: the summary says it all the same.
    ...(stoppedBy ? { stoppedBy } : {}),
  };
}

/** "StartNight 1, ScoreSegment 12, ...": which states ran, in the order they first ran. */
export function formatStates(states: Record<string, number>): string {
  return Object.entries(states)
    .map(([state, times]) => `${state} ${times}`)
    .join(', ');
}

export async function start(options: StartOptions): Promise<void> {
  const session = await openLocalSession(options);
  const { stack, ports, tableName, asOf, admin, defaultedSecrets } = session;
  try {
    say(`Running the night of ${asOf} ...`);
    const summary = await runLocalNight(asOf);
    say('');
    say(formatNightReport(summary));
    say(`Workflow states: ${formatStates(summary.states)}${summary.retried ? ` · retried: ${formatStates(summary.retried)}` : ''}`);
    if (options.report) {
      await writeFile(options.report, `${JSON.stringify(summary, null, 2)}\n`);
      say(`Run summary written to ${options.report}`);
    }
    // The workflow's BuildReport state has stored the report: the console's dashboard answers at once.
    if (options.once) return;

    const base = `http://localhost:${options.port}`;
    const server = await startLocalServer({ port: options.port, latestSummary: () => summary });
    say('');
    say(`Serving until Ctrl-C:`);
    say(`  Console             ${base}/   (health: /health; latest run: /runs/latest)`);
    say(`  Webhooks            POST ${base}/webhooks/shopify | /webhooks/woocommerce | /webhooks/generic`);
    say(`  SES events          POST ${base}/local/ses-events   (an EventBridge envelope, as the rule would deliver)`);
    say(`  Read API            GET  ${base}/api/customers?email=ADDRESS   (Authorization: Bearer <admin token>)`);
    say(`  Sent mail inbox     http://localhost:${ports.ses}/   (JSON: /store)`);
    say(`  DynamoDB Local      ${stack.dynamoEndpoint}   (table ${tableName})`);
    say(`  Admin token         ${admin.token}${admin.generated ? '   (generated now; kept in .winback/admin-token)' : ''}`);
    for (const name of defaultedSecrets) say(`  ${name.padEnd(19)} ${process.env[name]}   (local default; set ${name} to change)`);
    await new Promise<void>((resolveStop) => {
      const stop = () => resolveStop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    say('\nStopping ...');
    await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
  } finally {
    await session.stop();
  }
}
