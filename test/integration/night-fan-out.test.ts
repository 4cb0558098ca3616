import { readFileSync } from 'node:fs';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoNightWork } from '../../lib/adapters/dynamodb/night-work.js';
import type { SendKey } from '../../lib/domain/sends.js';
import { localLambdaContext } from '../../lib/local/lambda-context.js';
import type { SendQueue } from '../../lib/ports/send-queue.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { type FanOutDependencies, finishNight, startNight, workSegment } from '../../lib/usecases/run-night.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { inboxOf, localShop, useShopEnvironment } from '../support/local-aws.js';

const sendQueueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/WinbackSendQueue';

const fixture = (path: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8'));
const context = (name: string, remainingMs = 900_000) => ({ ...localLambdaContext(name), getRemainingTimeInMillis: () => remainingMs });
const lapsed = (name: string) => customerFrom({ name, orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'] });

/** The SQS event Lambda receives for these message bodies, in the shape of the fixture AWS documents. */
function sqsEventOf(bodies: readonly string[]): SQSEvent {
  const [template] = (fixture('sqs/valid-send.json') as SQSEvent).Records;
  return { Records: bodies.map((body, index) => ({ ...template!, messageId: `message-${index}`, body })) };
}

/** A send queue that keeps what the night put on it: the SQS consumer is then called with exactly those bodies. */
function keptQueue(): SendQueue & { bodies: string[] } {
  const bodies: string[] = [];
  return { bodies, enqueue: async (key: SendKey) => void bodies.push(JSON.stringify(key)) };
}

async function fanOutShop(change?: Parameters<typeof testConfig>[0]) {
  const shop = await localShop();
  await applyCampaignConfig(testConfig(change), 'test', shop.deps);
  const queue = keptQueue();
  const deps: FanOutDependencies = { ...shop.deps, work: new DynamoNightWork(shop.client, shop.tableName), queue };
  return { ...shop, deps, queue };
}

const sqs = mockClient(SQSClient);

beforeEach(() => {
  // Each test's handlers build their dependencies from that test's table.
  vi.resetModules();
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'queued' });
});
afterEach(() => vi.unstubAllEnvs());

describe('the night fanned out: start, segment workers, send queue, finish', () => {
  it('runs through the four handlers with the payloads Step Functions and SQS deliver, emailing each customer once', async () => {
    // Prepare
    const shop = await fanOutShop();
    const customers = ['Ada', 'Ben', 'Cleo', 'Dev', 'Eli'].map(lapsed);
    await shop.deps.customers.putMany(customers);
    useShopEnvironment(shop, { SEND_QUEUE_URL: sendQueueUrl });
    const start = (await import('../../functions/night-start/handler.js')).handler;
    const worker = (await import('../../functions/segment-worker/handler.js')).handler;
    const sender = (await import('../../functions/send-worker/handler.js')).handler;
    const finish = (await import('../../functions/night-finish/handler.js')).handler;

    // Act: the state machine's path, the Map's items each looped until no cursor is left
    const started = await start(fixture('scheduler/valid-scheduled-time.json'), context('night-start'));
    for (const item of started.segments) {
      let progress = await worker(item, context('segment-worker'));
      while (progress.cursor) progress = await worker(progress, context('segment-worker'));
    }
    const bodies = sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input.MessageBody!);
    const sent = await sender(sqsEventOf(bodies), context('send-worker'));
    const redelivered = await sender(sqsEventOf(bodies), context('send-worker'));
    const finished = await finish({ runId: started.runId }, context('night-finish'));

    // Assess
    expect(started).toMatchObject({ asOf: '2026-11-22', totalSegments: 4 });
    expect(started.segments.map((item) => item.segment)).toEqual([0, 1, 2, 3]);
    expect(bodies).toHaveLength(customers.length);
    expect(sent.batchItemFailures).toEqual([]);
    expect(redelivered.batchItemFailures).toEqual([]);
    for (const { customer } of customers) expect(await inboxOf(shop.sesEndpoint, customer.email!)).toHaveLength(1);
    expect(finished).toEqual({ runId: started.runId, status: 'finished', emailsQueued: customers.length });
    const latest = await shop.deps.runs.latest();
    expect(latest).toMatchObject({
      runId: started.runId,
      customersScanned: customers.length,
      lost: customers.length,
      emailsQueued: customers.length,
      emailsSent: 0,
    });
  });

  it('continues a segment from its checkpoint in a fresh invocation, scanning every customer exactly once', async () => {
    // Prepare: one segment, pages of one customer, and a worker that is always near its time limit
    const shop = await fanOutShop();
    const customers = ['Fay', 'Gus', 'Hal', 'Ivy'].map(lapsed);
    await shop.deps.customers.putMany(customers);
    const plan = await startNight(shop.deps, { asOf: '2026-11-22', totalSegments: 1 });

    // Act
    const cursors: (string | undefined)[] = [undefined];
    for (;;) {
      const { nextCursor } = await workSegment(plan.runId, 0, shop.deps, {
        ...(cursors.at(-1) ? { cursor: cursors.at(-1)! } : {}),
        shouldStop: () => true,
        pageSize: 1,
      });
      if (!nextCursor) break;
      cursors.push(nextCursor);
    }
    const summary = await finishNight(plan.runId, shop.deps);

    // Assess: one invocation per page (the last page may come back empty), every customer scanned and queued once
    expect(cursors.length).toBeGreaterThanOrEqual(customers.length);
    expect(new Set(cursors).size).toBe(cursors.length);
    expect(summary).toMatchObject({ customersScanned: customers.length, emailsQueued: customers.length });
    expect(new Set(shop.queue.bodies).size).toBe(customers.length);
  });

  it('counts a retried invocation once: its tally replaces the first attempt, and nothing is queued twice', async () => {
    // Prepare
    const shop = await fanOutShop();
    const customers = ['Jo', 'Kit'].map(lapsed);
    await shop.deps.customers.putMany(customers);
    const plan = await startNight(shop.deps, { asOf: '2026-11-22', totalSegments: 1 });

    // Act: Step Functions retries the same input after a timeout it could not see finish
    await workSegment(plan.runId, 0, shop.deps);
    await workSegment(plan.runId, 0, shop.deps);
    const summary = await finishNight(plan.runId, shop.deps);

    // Assess
    expect(summary.customersScanned).toBe(customers.length);
    expect(summary.emailsQueued).toBe(0);
    expect(summary.skipped.already_sent).toBe(customers.length);
    expect(shop.queue.bodies).toHaveLength(customers.length);
  });

  it("shares the shop's daily cap across all segments", async () => {
    // Prepare
    const shop = await fanOutShop((raw) => {
      (raw.guardrails as { dailySendCap: number }).dailySendCap = 2;
    });
    await shop.deps.customers.putMany(['Lu', 'Mo', 'Ned', 'Oz', 'Pia', 'Quin'].map(lapsed));
    const plan = await startNight(shop.deps, { asOf: '2026-11-22', totalSegments: 4 });

    // Act
    await Promise.all(Array.from({ length: plan.totalSegments }, (_, segment) => workSegment(plan.runId, segment, shop.deps)));
    const summary = await finishNight(plan.runId, shop.deps);

    // Assess
    expect(summary.emailsQueued).toBe(2);
    expect(summary.skipped.daily_cap).toBe(4);
    expect(shop.queue.bodies).toHaveLength(2);
  });

  it('records a night the state machine caught failing, with its error', async () => {
    // Prepare
    const shop = await fanOutShop();
    useShopEnvironment(shop, { SEND_QUEUE_URL: sendQueueUrl });
    const plan = await startNight(shop.deps, { asOf: '2026-11-22' });
    const finish = (await import('../../functions/night-finish/handler.js')).handler;
    const caught = { ...(fixture('stepfunctions/valid-finish-caught.json') as object), runId: plan.runId };

    // Act
    const result = await finish(caught, context('night-finish'));

    // Assess
    expect(result).toEqual({ runId: plan.runId, status: 'failed' });
    const runs = await (shop.deps.runs as unknown as { runsOf(asOf: string): Promise<Record<string, unknown>[]> }).runsOf('2026-11-22');
    expect(runs[0]).toMatchObject({ runId: plan.runId, status: 'failed', error: expect.stringContaining('ProvisionedThroughputExceededException') });
  });

  it('refuses invalid worker and queue inputs, naming the field', async () => {
    // Prepare
    const shop = await fanOutShop();
    useShopEnvironment(shop, { SEND_QUEUE_URL: sendQueueUrl });
    const worker = (await import('../../functions/segment-worker/handler.js')).handler;
    const sender = (await import('../../functions/send-worker/handler.js')).handler;

    // Act
    const working = worker(fixture('stepfunctions/invalid-segment.json'), context('segment-worker'));
    const sending = sender(fixture('sqs/invalid-body.json') as SQSEvent, context('send-worker'));

    // Assess: the worker fails the task; the bad message fails alone (the whole batch here), for the DLQ
    await expect(working).rejects.toThrow(/invalid segment input: segment: .*cursor: /);
    await expect(sending).rejects.toThrow(/All records failed processing/);
  });
});
