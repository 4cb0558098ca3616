import { couponProviders } from './adapters/coupons/wiring.js';
import { DynamoCampaignConfigStore } from './adapters/dynamodb/campaign-configs.js';
import { createDocumentClient } from './adapters/dynamodb/client.js';
import { DynamoCustomerRepository } from './adapters/dynamodb/customers.js';
import { DynamoNightWork } from './adapters/dynamodb/night-work.js';
import { DynamoOrderStore } from './adapters/dynamodb/orders.js';
import { DynamoReportSnapshots } from './adapters/dynamodb/report-snapshots.js';
import { DynamoReportSource } from './adapters/dynamodb/report-source.js';
import { DynamoRunRecorder } from './adapters/dynamodb/runs.js';
import { DynamoSendLedger } from './adapters/dynamodb/send-ledger.js';
import { DynamoSuppressionList } from './adapters/dynamodb/suppressions.js';
import { linkSigningSecret } from './adapters/secrets.js';
import { SesEmailSender } from './adapters/ses/email-sender.js';
import { SqsSendQueue } from './adapters/sqs/send-queue.js';
import { type Environment, readEnvironment, required } from './config/environment.js';
import { logger } from './observability.js';
import { systemClock } from './ports/clock.js';
import { activeConfig } from './usecases/active-config.js';
import type { FanOutDependencies, NightDependencies } from './usecases/run-night.js';
import type { SendDueDependencies } from './usecases/send-due.js';

/** The table's adapters for one environment; handlers compose them once per cold start. */
export function tableAdapters(environment: Environment, options: { maxAttempts?: number } = {}) {
  const client = createDocumentClient(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {});
  const table = environment.TABLE_NAME;
  const configs = new DynamoCampaignConfigStore(client, table);
  return {
    customers: new DynamoCustomerRepository(client, table),
    ledger: new DynamoSendLedger(client, table),
    suppressions: new DynamoSuppressionList(client, table),
    orders: new DynamoOrderStore(client, table),
    snapshots: new DynamoReportSnapshots(client, table),
    // Read only by a night with a campaign under uplift targeting or Thompson allocation (docs/uplift.md).
    history: new DynamoReportSource(client, table),
    runs: new DynamoRunRecorder(client, table),
    work: new DynamoNightWork(client, table),
    configs,
    config: activeConfig(configs, systemClock),
    clock: systemClock,
  };
}

export type TableAdapters = ReturnType<typeof tableAdapters>;

/** What the report reads (the whole table, in parallel scans) and where its snapshot is kept. */
export function reportAdapters(environment: Environment) {
  const client = createDocumentClient();
  return { reports: new DynamoReportSource(client, environment.TABLE_NAME), snapshots: new DynamoReportSnapshots(client, environment.TABLE_NAME) };
}

export async function nightDependencies(environment: Environment): Promise<NightDependencies & SendDueDependencies & Pick<FanOutDependencies, 'work'>> {
  const secret = await linkSigningSecret(environment);
  return {
    ...tableAdapters(environment),
    email: SesEmailSender.create({
      maxAttempts: environment.SES_MAX_ATTEMPTS,
      ...(environment.SES_CONFIGURATION_SET ? { configurationSetName: environment.SES_CONFIGURATION_SET } : {}),
    }),
    coupons: couponProviders(secret),
    unsubscribe: { baseUrl: required(environment, 'UNSUBSCRIBE_BASE_URL', 'for the links in every email'), secret },
    log: {
      warn: (message, attributes = {}) => logger.warn(message, attributes),
      error: (message, attributes = {}) => logger.error(message, attributes),
    },
  };
}

/** The fanned-out night's workers: the night's dependencies, with sends handed to the send queue. */
export async function fanOutDependencies(environment: Environment): Promise<FanOutDependencies & SendDueDependencies> {
  return {
    ...(await nightDependencies(environment)),
    queue: SqsSendQueue.create(required(environment, 'SEND_QUEUE_URL', 'for the sends the segment workers reserve')),
  };
}

/**
 * The local runner's seam (lib/local/night-workflow.ts). Lambda gives each function its own process; the local runner
 * invokes the same handlers in one, so what SQS and the wall clock do on AWS is played here instead: the night's
 * sends go to the queue it plays, and a test wraps what a handler builds (a faulty SES, a throttled table). Each
 * handler passes the dependencies it built through `asBuiltFor(itsFolder, deps)`; unset (on Lambda) that is all.
 */
export type DependencyOverride = <T extends object>(handler: string, deps: T) => T;
let override: DependencyOverride | undefined;
/** Which containers are current: the local runner moves it on to cold-start every handler (see startNewContainers). */
let containerGeneration = 0;

export function overrideDependencies(next: DependencyOverride | undefined): void {
  override = next;
}

export function asBuiltFor<T extends object>(handler: string, deps: T): T {
  return override ? override(handler, deps) : deps;
}

/** The table and the key that signs unsubscribe and feedback links: what the signed-link handlers need. */
export const signedLinkDependencies = perContainer(async () => {
  const environment = readEnvironment();
  return { ...tableAdapters(environment), secret: await linkSigningSecret(environment) };
});

/**
 * Every handler builds its dependencies again at its next invocation, as in a new container, from the environment
 * and overrides of then; no module is reloaded. On Lambda nothing calls it; locally each test's night does.
 */
export function startNewContainers(): void {
  containerGeneration += 1;
}

/**
 * Builds a handler's dependencies once per container; a failed cold start (a secret that could not be read) is
 * not cached, so the next invocation tries again.
 */
export function perContainer<T>(build: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  let generation = containerGeneration;
  return () => {
    if (generation !== containerGeneration) {
      generation = containerGeneration;
      pending = undefined;
    }
    pending ??= build().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
