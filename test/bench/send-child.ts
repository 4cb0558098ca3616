/**
 * The sender on its own, in its own process: the steps a night would send on BENCH_TABLE (a fresh shop) are decided
 * and reserved first, untimed, as the night does on AWS (`runStep` with a send queue: the entry reserved as due, the
 * profile's step, the key queued). Then the queued keys go through the send queue's sender (`queuedSender`, what the
 * send worker runs: read, claim, consent and suppression, coupon, render, headers, SES, confirm) in the send worker's
 * batches (25 on a stack with SES's default rate; BENCH_QUEUE_BATCH=N to try another), several batches at once. The
 * queued sends are split in thirds: one goes through the sender with an SES that answers at once (the sender's own
 * bound: its ledger and rendering alone), one through the sender with the local SES, between two runs of a bare
 * SendEmail loop at the same concurrency, from this same process, to the same SES, and of the floor: SendEmail between
 * one batched put before and one after, of a bare key, unconditional (no sender that records a send before SES takes
 * it and its message id after can write less). The last third is the guarded floor's (see `guardedFloorSends`), half
 * right before the sender and half right after. Prints one JSON line.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import pLimit from 'p-limit';
import { maxSendBatch } from '../../infra/settings.js';
import { LocalCouponProvider } from '../../lib/adapters/coupons/local.js';
import { DynamoCampaignConfigStore } from '../../lib/adapters/dynamodb/campaign-configs.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { DynamoCustomerRepository } from '../../lib/adapters/dynamodb/customers.js';
import { DynamoSendLedger } from '../../lib/adapters/dynamodb/send-ledger.js';
import { DynamoSuppressionList } from '../../lib/adapters/dynamodb/suppressions.js';
import { putBatcherFor } from '../../lib/adapters/dynamodb/write-batches.js';
import { withoutSdkLogging } from '../../lib/adapters/sdk-logging.js';
import { SesEmailSender } from '../../lib/adapters/ses/email-sender.js';
import { parseCampaignConfig } from '../../lib/config/campaign-config.js';
import { classify } from '../../lib/domain/classification.js';
import { decide } from '../../lib/domain/decisions.js';
import { hashEmail } from '../../lib/domain/email.js';
import type { EmailSender, OutgoingEmail } from '../../lib/ports/email-sender.js';
import type { SendKey } from '../../lib/ports/send-ledger.js';
import { activeConfig } from '../../lib/usecases/active-config.js';
import { queuedSender } from '../../lib/usecases/send-due.js';
import { runStep } from '../../lib/usecases/send-step.js';
import type { StepRequest } from '../../lib/usecases/step-types.js';
import { dynamoLocalCpuMs, processCpuMs } from './dynamo-cpu.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`send-child: ${name} is not set`);
  return value;
};

const tableName = env('BENCH_TABLE');
const asOf = env('BENCH_AS_OF');
const totalSegments = Number(env('BENCH_SEGMENTS'));
const concurrency = Number(env('BENCH_SEND_CONCURRENCY'));
const client = createDocumentClient({ endpoint: env('AWS_ENDPOINT_URL_DYNAMODB') });
// One client for the sender and the bare loop, configured as the product's.
const sesClient = withoutSdkLogging(new SESv2Client({ endpoint: env('AWS_ENDPOINT_URL_SESV2'), region: 'eu-west-1', maxAttempts: 6, retryMode: 'adaptive' }));
/** DynamoDB requests and the items they carry, by command, from `resetRequests()` on: what a phase asked of DynamoDB Local. */
let countedRequests: Record<string, { requests: number; items: number }> = {};
const resetRequests = () => {
  const counted = countedRequests;
  countedRequests = {};
  return counted;
};
client.middlewareStack.add(
  (next, context) => async (args) => {
    const input = args.input as { TransactItems?: unknown[]; RequestItems?: Record<string, unknown[] | { Keys: unknown[] }> };
    const batched =
      input.TransactItems?.length ?? Object.values(input.RequestItems ?? {}).reduce((n: number, v) => n + (Array.isArray(v) ? v.length : v.Keys.length), 0);
    const counted = (countedRequests[context.commandName ?? 'unknown'] ??= { requests: 0, items: 0 });
    counted.requests += 1;
    counted.items += batched || 1;
    return next(args);
  },
  { step: 'initialize', name: 'benchRequestCount' },
);
const customers = new DynamoCustomerRepository(client, tableName);
const suppressions = new DynamoSuppressionList(client, tableName);
const stored = await new DynamoCampaignConfigStore(client, tableName).latest();
if (!stored) throw new Error('send-child: no campaign config on the table');
const config = parseCampaignConfig(stored.raw);
const nightAt = new Date(`${asOf}T02:00:00Z`);

// ---- untimed: what the night would send on this shop ----
const requests: StepRequest[] = [];
for (let segment = 0; segment < totalSegments; segment++) {
  let cursor: string | undefined;
  do {
    const page = await customers.scanPage({ segment, totalSegments, ...(cursor ? { cursor } : {}) });
    cursor = page.nextCursor;
    const sends = page.customers.flatMap((customer) => {
      const classification = classify(customer, asOf, { secondOrderGapDays: 60, measuredOn: 0 }, config.classification, config.shop.timeZone);
      const decision = decide(customer, classification, config, asOf, nightAt);
      return decision.kind === 'send' ? [{ customer, decision, classification }] : [];
    });
    const suppressed = await suppressions.suppressedAmong(sends.map(({ customer }) => hashEmail(customer.email!)));
    for (const { customer, decision, classification } of sends) {
      if (suppressed.has(hashEmail(customer.email!))) continue;
      const { campaign, episode, step, arm, journey } = decision;
      requests.push({
        kind: 'send',
        customer: customer as StepRequest['customer'],
        campaign,
        episode,
        step,
        arm,
        journey,
        valueAtStakeMinor: classification.valueAtStakeMinor,
        runId: 'bench-sender',
        asOf,
        nightAt,
      });
    }
  } while (cursor);
}
if (requests.length < 200) throw new Error(`send-child: only ${requests.length} sends to measure`);

const secret = 'bench-unsubscribe-signing-key-0123456789abcdef';
const stepDeps = (email: EmailSender) => ({
  ledger: new DynamoSendLedger(client, tableName),
  customers,
  email,
  coupons: new LocalCouponProvider(secret),
  clock: { now: () => new Date() },
  unsubscribe: { baseUrl: 'https://shop.example/winback', secret },
});
const configs = new DynamoCampaignConfigStore(client, tableName);
// The config as a warm worker has it (read at most once a minute); the pauses are read for every batch, as the worker does.
const activeConfigOf = activeConfig(configs, { now: () => new Date() });
const senderDeps = (email: EmailSender) => ({ ...stepDeps(email), suppressions, config: activeConfigOf, configs });

// ---- untimed: the night reserves each send and queues its key, as on AWS ----
const queued: SendKey[] = [];
const queue = { enqueue: async (key: SendKey) => void queued.push(key) };
const night = pLimit(concurrency);
const nightDeps = { ...stepDeps({ send: () => Promise.reject(new Error('the night does not call SES here')) }), queue };
const reservedSteps = await Promise.all(requests.map((request) => night(() => runStep(request, config, nightDeps))));
if (queued.length < 200) throw new Error(`send-child: only ${queued.length} sends queued (${JSON.stringify(reservedSteps.slice(0, 3))})`);
/** The send worker's batch on a stack with the default SES rate (see `sendBatchSize` in infra/settings.ts). */
const queueBatchSize = Number(process.env.BENCH_QUEUE_BATCH ?? maxSendBatch);

/** The keys as the send queue hands them to the worker, `queueBatchSize` at a time. */
const inBatches = (keys: readonly SendKey[]): SendKey[][] =>
  Array.from({ length: Math.ceil(keys.length / queueBatchSize) }, (_, i) => keys.slice(i * queueBatchSize, (i + 1) * queueBatchSize));

/**
 * Where a phase's CPU went, in ms: this process (the sender or the loop), DynamoDB Local, and the local SES, which
 * runs in the bench's own process (the parent), so its figure is the parent's.
 */
interface CpuSplit {
  readonly node: number;
  readonly dynamo: number;
  readonly ses: number;
}
const dynamoCpu = dynamoLocalCpuMs(process.ppid);
const cpuNow = (): CpuSplit => {
  const own = process.cpuUsage();
  return { node: (own.user + own.system) / 1000, dynamo: dynamoCpu(), ses: processCpuMs(process.ppid) };
};
async function measured<T extends object>(run: () => Promise<T>): Promise<T & { ms: number; cpu: CpuSplit }> {
  const before = cpuNow();
  const start = performance.now();
  const result = await run();
  const ms = performance.now() - start;
  const after = cpuNow();
  return { ...result, ms, cpu: { node: after.node - before.node, dynamo: after.dynamo - before.dynamo, ses: after.ses - before.ses } };
}

/** The queued keys through the send queue's sender, batch by batch, enough batches at once to keep `concurrency` sends going. */
function timeSender(keys: readonly SendKey[], email: EmailSender) {
  const limit = pLimit(Math.ceil(concurrency / queueBatchSize));
  const deps = senderDeps(email);
  return measured(async () => {
    const batches = inBatches(keys);
    // One queuedSender per batch, as the send worker builds one per invocation.
    const outcomes = (await Promise.all(batches.map((batch) => limit(async () => Promise.all((await queuedSender(deps))(batch)))))).flat();
    return { count: keys.length, sent: outcomes.filter((outcome) => outcome === 'sent').length };
  });
}

/** SendEmail of the night's own email (size, headers, tags) to a made-up address, as the SDK call alone. */
function bareSend(template: OutgoingEmail, to: string): Promise<{ MessageId?: string }> {
  return sesClient.send(
    new SendEmailCommand({
      FromEmailAddress: template.from,
      Destination: { ToAddresses: [to] },
      ReplyToAddresses: template.replyTo ? [template.replyTo] : undefined,
      Content: {
        Simple: {
          Subject: { Data: template.subject, Charset: 'UTF-8' },
          Body: { Html: { Data: template.html, Charset: 'UTF-8' }, Text: { Data: template.text, Charset: 'UTF-8' } },
          Headers: template.headers.map((h) => ({ Name: h.name, Value: h.value })),
        },
      },
      EmailTags: Object.entries(template.tags).map(([Name, Value]) => ({ Name, Value })),
    }),
  );
}

function bareSends(template: OutgoingEmail, count: number, label = 'bare') {
  const limit = pLimit(concurrency);
  return measured(async () => {
    await Promise.all(Array.from({ length: count }, (_, i) => limit(() => bareSend(template, `${label}-${i}@example.org`))));
    return { count };
  });
}

function floorSends(template: OutgoingEmail, count: number, label: string) {
  const puts = putBatcherFor(client, tableName);
  const limit = pLimit(concurrency);
  return measured(async () => {
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        limit(async () => {
          const key = { pk: `BENCH#${label}-${i}`, sk: 'SEND' };
          await puts.put({ ...key, status: 'reserved' });
          const { MessageId } = await bareSend(template, `${label}-${i}@example.org`);
          await puts.put({ ...key, status: 'sent', messageId: MessageId });
        }),
      ),
    );
    return { count };
  });
}

/**
 * The guarded floor: SendEmail with what the sender must ask of storage for its guarantees around it, through the
 * product's own adapters and batchers, and nothing else. The entry, the profile and the suppression are read
 * (consent is checked when the email goes, not only when the night decided), the entry is claimed conditionally
 * (never twice) and its due pointer deleted, SES sends, and the entry is confirmed with the message id
 * (attribution); each batch also reads the pauses, as the worker does. Nothing read is looked at, nothing is rendered:
 * every key gets the sample email. The sender's distance from this is its own code: consent, rendering, coupons, the
 * batch's bookkeeping.
 */
function guardedFloorSends(template: OutgoingEmail, keys: readonly SendKey[], label: string) {
  const ledger = new DynamoSendLedger(client, tableName);
  // In the sender's batches, as many at once: each batch's reads go together, then its claims, sends and confirmations.
  const limit = pLimit(Math.ceil(concurrency / queueBatchSize));
  const batches = inBatches(keys);
  return measured(async () => {
    let sent = 0;
    await Promise.all(
      batches.map((batch, b) =>
        limit(async () => {
          // The pauses, read for every batch as the worker does: a campaign the guard pauses stops within a batch.
          await configs.pauses();
          const [entries, profiles] = await Promise.all([ledger.getMany(batch), customers.getMany(batch.map((key) => key.customerId))]);
          await suppressions.suppressedAmong(batch.flatMap((key) => profiles.get(key.customerId)?.email ?? []).map(hashEmail));
          await Promise.all(
            batch.map(async (key, i) => {
              const entry = entries[i];
              if (!entry || !(await ledger.claimScheduled(entry))) throw new Error(`send-child: ${label}: ${key.customerId} has no entry to claim`);
              const { MessageId } = await bareSend(template, `${label}-${b}-${i}@example.org`);
              await ledger.complete(key, { status: 'sent', messageId: MessageId!, at: new Date().toISOString(), night: asOf });
              sent += 1;
            }),
          );
        }),
      ),
    );
    return { count: keys.length, sent };
  });
}

// The thirds interleave the shop's customers, so none gets the cheaper ones.
const ledgerOnly = queued.filter((_, i) => i % 3 === 0);
const withSes = queued.filter((_, i) => i % 3 === 1);
const guarded = queued.filter((_, i) => i % 3 === 2);
const ses = new SesEmailSender(sesClient);
let sample: OutgoingEmail | undefined;
const recording: EmailSender = {
  send(email) {
    sample ??= email;
    return ses.send(email);
  },
};
// A warm-up through the real path gives the bare loop the night's own email (size, headers, tags). Every path is warm
// before it is timed: a SendEmail loop runs at half its speed for its first few thousand emails (V8 still compiling,
// here and in the SES server), and the sender with the instant SES runs the sender's own code first.
const warmUp = await timeSender(withSes.slice(0, 20), recording);
await bareSends(sample!, 4_000, 'warm');
let answered = 0;
const instant: EmailSender = { send: async () => `bench-instant-${++answered}` };
const bound = await timeSender(ledgerOnly, instant);
const timed = withSes.slice(20);
// The floor, like the bare loop, runs right before the sender and right after it (its bound is their mean), so the
// sender is not judged against a moment when the machine happened to be quieter. A short floor run warms its path first.
await floorSends(sample!, 500, 'floor-warm');
const bareBefore = await bareSends(sample!, timed.length);
const floorBefore = await floorSends(sample!, timed.length, 'floor-before');
// The guarded floor's keys are spent as they are sent: half of them before the sender, half after.
const guardedBefore = await guardedFloorSends(sample!, guarded.slice(0, guarded.length >> 1), 'guarded-before');
resetRequests();
// BENCH_SENDER_PROFILE=DIR writes a CPU profile of the timed sender alone (sender-timed.cpuprofile): the child's
// whole profile (BENCH_PROFILE_DIR) mixes in the night's reservations and the floor.
const profiler = process.env.BENCH_SENDER_PROFILE ? new Session() : undefined;
if (profiler) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
}
const sender = { ...(await timeSender(timed, recording)), dynamoRequests: resetRequests() };
if (profiler) {
  const { profile } = await profiler.post('Profiler.stop');
  writeFileSync(join(process.env.BENCH_SENDER_PROFILE!, 'sender-timed.cpuprofile'), JSON.stringify(profile));
  profiler.disconnect();
}
const guardedAfter = await guardedFloorSends(sample!, guarded.slice(guarded.length >> 1), 'guarded-after');
const floorAfter = await floorSends(sample!, timed.length, 'floor-after');
const bareAfter = await bareSends(sample!, timed.length);
client.destroy();
sesClient.destroy();
process.stdout.write(
  `${JSON.stringify({ concurrency, queueBatchSize, decided: requests.length, warmUp: warmUp.count, sender, bareBefore, bareAfter, floorBefore, floorAfter, guardedBefore, guardedAfter, ledgerOnly: bound })}\n`,
);
process.exit(0);
