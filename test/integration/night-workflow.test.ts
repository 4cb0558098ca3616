import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoReportSnapshots } from '../../lib/adapters/dynamodb/report-snapshots.js';
import { DynamoRunRecorder } from '../../lib/adapters/dynamodb/runs.js';
import { invokeWithQueue, LambdaServiceError, runNightWorkflow } from '../../lib/local/night-workflow.js';
import type { SendLedger, SendOutcome } from '../../lib/ports/send-ledger.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { inboxOf, localShop, useShopEnvironment } from '../support/local-aws.js';

const lapsed = (name: string) => customerFrom({ name, orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'] });
const night = { source: 'winback.local', asOf: '2026-11-22' };
const scheduled = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/scheduler/${name}`, import.meta.url), 'utf8')) as { asOf?: string };

async function workflowShop(names: readonly string[], change?: Parameters<typeof testConfig>[0]) {
  const shop = await localShop();
  await applyCampaignConfig(testConfig(change), 'test', shop.deps);
  const customers = names.map(lapsed);
  await shop.deps.customers.putMany(customers);
  useShopEnvironment(shop);
  return { ...shop, customers };
}

/** The segment a ScoreSegment payload is about, from the Map's item (or the worker's own output, looped back). */
const segmentOf = (payload: unknown) => (payload as { segment: number }).segment;

beforeEach(() => {
  // Each test's handlers build their dependencies at their own cold start, from that test's table.
  vi.resetModules();
});
afterEach(() => vi.unstubAllEnvs());

describe('the local night executes the synthesized state machine', () => {
  it('runs StartNight, a ScoreSegment per segment, FinishNight, waits for the send queue, then BuildReport', async () => {
    // Prepare
    const shop = await workflowShop(['Ada', 'Ben', 'Cleo', 'Dev', 'Eli']);

    // Act
    const run = await runNightWorkflow(night);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.states).toEqual({
      StartNight: 1,
      Segments: 1,
      ScoreSegment: 4,
      'MoreOfSegment?': 4,
      SegmentDone: 4,
      FinishNight: 1,
      AwaitSends: 1,
      WaitForSends: 1,
      SendsPending: 1,
      CountSendsCheck: 1,
      'SendsSettled?': 1,
      BuildReport: 1,
    });
    expect(run.retried).toEqual({});
    // Every state that ran has its time; the segments' span lies within the fan-out's.
    expect(Object.keys(run.stateMs).sort()).toEqual(Object.keys(run.states).sort());
    expect(run.stateMs.Segments).toBeGreaterThanOrEqual(run.stateMs.ScoreSegment!);
    for (const ms of Object.values(run.stateMs)) expect(ms).toBeGreaterThanOrEqual(0);
    // Each state is entered after the one before it ended: the report after the sends, the sends after the segments.
    const entered = run.enteredAtMs;
    expect(Object.keys(entered).sort()).toEqual(Object.keys(run.states).sort());
    expect(entered.Segments).toBeGreaterThanOrEqual(entered.StartNight! + run.stateMs.StartNight!);
    expect(entered.SendsPending).toBeGreaterThanOrEqual(entered.Segments! + run.stateMs.Segments!);
    expect(entered.BuildReport).toBeGreaterThanOrEqual(entered.SendsPending! + run.stateMs.SendsPending!);
    expect(run.summary).toMatchObject({ runId: run.runId, asOf: '2026-11-22', customersScanned: 5, lost: 5, emailsQueued: 5 });
    expect(run.sendQueue).toMatchObject({ enqueued: 5, sent: 5, failedReceives: 0, deadLetters: [] });
    for (const { customer } of shop.customers) expect(await inboxOf(shop.sesEndpoint, customer.email!)).toHaveLength(1);
    // The stored report was built after the queue emptied: it counts the night's emails.
    const stored = await new DynamoReportSnapshots(shop.client, shop.tableName).latest();
    expect(stored?.report.campaigns.reduce((sum, campaign) => sum + campaign.sent, 0)).toBe(5);
  });

  it('retries a throttled segment and finishes the night, scanning it once', async () => {
    // Prepare: Lambda throttles the first invocation of segment 2
    const shop = await workflowShop(['Fay', 'Gus', 'Hal']);
    let throttled = 0;
    const aroundTask = async (state: string, payload: unknown, invoke: () => Promise<unknown>) => {
      if (state === 'ScoreSegment' && segmentOf(payload) === 2 && throttled++ === 0)
        throw new LambdaServiceError('Lambda.TooManyRequestsException', 'Rate Exceeded.');
      return invoke();
    };

    // Act
    const run = await runNightWorkflow(night, { aroundTask });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.retried).toEqual({ ScoreSegment: 1 });
    expect(run.states).toMatchObject({ StartNight: 1, ScoreSegment: 4, FinishNight: 1, BuildReport: 1 });
    expect(run.states.FailNight).toBeUndefined();
    expect(run.summary).toMatchObject({ customersScanned: 3, emailsQueued: 3 });
    for (const { customer } of shop.customers) expect(await inboxOf(shop.sesEndpoint, customer.email!)).toHaveLength(1);
  });

  it('ends in FailNight when a segment fails on every retry, recording the night as failed with its error', async () => {
    // Prepare: segment 1's function fails every time (a bug, not a throttle)
    const shop = await workflowShop(['Ivy', 'Jo']);
    const aroundTask = async (state: string, payload: unknown, invoke: () => Promise<unknown>) => {
      if (state === 'ScoreSegment' && segmentOf(payload) === 1) throw new RangeError('the table is unreadable');
      return invoke();
    };

    // Act
    const run = await runNightWorkflow(night, { aroundTask });

    // Assess: the function error retried as the definition says, then caught by the Map
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatchObject({ Error: 'NightFailed', Cause: expect.stringContaining('the table is unreadable') });
    expect(run.states).toMatchObject({ StartNight: 1, Segments: 1, FailNight: 1, NightFailed: 1 });
    expect(run.states.FinishNight).toBeUndefined();
    expect(run.retried.ScoreSegment).toBe(3);
    const runs = await new DynamoRunRecorder(shop.client, shop.tableName).runsOf('2026-11-22');
    expect(runs[0]).toMatchObject({ runId: run.runId, status: 'failed', error: expect.stringContaining('RangeError') });
  });

  it('plays partial batch failures as SQS does: a failed record is received again, one that always fails goes to the dead letters', async () => {
    // Prepare: the sender's ledger read fails twice for one customer and always for another
    const shop = await workflowShop(['Kit', 'Lu', 'Mo']);
    const [flaky, broken] = shop.customers.map(({ customer }) => customer.customerId);
    const failures = new Map<string, number>();
    const dependencies = <T extends object>(handler: string, deps: T): T => {
      if (handler !== 'send-worker') return deps;
      const ledger = (deps as unknown as { ledger: SendLedger }).ledger;
      const faulty: SendLedger = Object.create(ledger) as SendLedger;
      const fails = (customerId: string) => customerId === broken || (customerId === flaky && (failures.get(customerId) ?? 0) < 2);
      faulty.get = async (key) => {
        const failing = fails(key.customerId);
        failures.set(key.customerId, (failures.get(key.customerId) ?? 0) + 1);
        if (failing) throw new Error('ProvisionedThroughputExceededException');
        return ledger.get(key);
      };
      // The batch's read together fails with either of them in it; its sender then reads each entry on its own.
      faulty.getMany = async (keys) => {
        if (keys.some((key) => fails(key.customerId))) throw new Error('ProvisionedThroughputExceededException');
        return ledger.getMany(keys);
      };
      return { ...deps, ledger: faulty };
    };

    // Act
    const run = await runNightWorkflow(night, { dependencies });

    // Assess: 2 failed receives of the flaky one, 5 (maxReceiveCount) of the broken one
    expect(run.status).toBe('SUCCEEDED');
    expect(run.sendQueue).toMatchObject({ enqueued: 3, sent: 2, failedReceives: 7 });
    expect(run.sendQueue.deadLetters).toHaveLength(1);
    expect(run.sendQueue.deadLetters[0]).toMatchObject({
      eventSource: 'aws:sqs',
      attributes: { ApproximateReceiveCount: '5' },
      body: expect.stringContaining(broken!),
    });
    expect(failures.get(flaky!)).toBe(3);
  });

  it("runs the night of the scheduled time's date in the shop's time zone, from the Scheduler target's input", async () => {
    // Prepare: 02:00 UTC on 22 Nov is 03:00 in Amsterdam, the night of 22 Nov
    const shop = await workflowShop(['Lena']);

    // Act
    const run = await runNightWorkflow(scheduled('valid-scheduled-time.json'));

    // Assess
    expect(run.summary).toMatchObject({ asOf: '2026-11-22', customersScanned: 1, lost: 1, emailsQueued: 1 });
    expect(await inboxOf(shop.sesEndpoint, shop.customers[0]!.customer.email!)).toHaveLength(1);
  });

  it('fails in StartNight on a malformed input, naming the field, before touching anything', async () => {
    // Prepare
    const shop = await workflowShop(['Nia']);

    // Act
    const run = await runNightWorkflow(scheduled('invalid-date.json'));

    // Assess: Lambda's error envelope, after the function-error retries; no segment ran
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatchObject({ Error: 'Error', Cause: expect.stringContaining('invalid night input: asOf: expected YYYY-MM-DD') });
    expect(run.states).toEqual({ StartNight: 1 });
    expect(run.runId).toBeUndefined();
    expect(await shop.deps.runs.latest()).toBeUndefined();
  });
});

describe('one SES rate: the mornings go through the send queue too', () => {
  it('hands the sends that waited out quiet hours to the queue, whose sender records them when they fell due, once', async () => {
    // Prepare: 03:00 in Amsterdam is inside the quiet hours (21:00-08:00), so the night schedules both emails
    const shop = await workflowShop(['Oli', 'Pam'], (raw) => {
      (raw.guardrails as { quietHours?: unknown }).quietHours = { start: '21:00', end: '08:00' };
    });
    const completed: SendOutcome[] = [];
    const dependencies = <T extends object>(handler: string, deps: T): T => {
      if (handler !== 'send-worker') return deps;
      const ledger = (deps as unknown as { ledger: SendLedger }).ledger;
      const watched: SendLedger = Object.create(ledger) as SendLedger;
      watched.complete = async (key, outcome) => {
        completed.push(outcome);
        return ledger.complete(key, outcome);
      };
      return { ...deps, ledger: watched };
    };
    const run = await runNightWorkflow(night, { dependencies });
    const sweep = { source: 'winback.local', upTo: '2026-11-23T02:00:00.000Z' };

    // Act
    const morning = await invokeWithQueue('scheduled-sender', sweep, { dependencies });
    const again = await invokeWithQueue('scheduled-sender', sweep, { dependencies });

    // Assess: nothing reached SES but through the queue's sender, at 08:00 Amsterdam (07:00 UTC)
    expect(run.summary).toMatchObject({ emailsScheduled: 2, emailsQueued: 0 });
    expect(run.sendQueue.sent).toBe(0);
    expect(morning.result).toEqual({ dispatched: 2, notQueued: 0 });
    expect(morning.sendQueue).toMatchObject({ enqueued: 2, sent: 2 });
    expect(again.result).toEqual({ dispatched: 0, notQueued: 0 });
    expect(completed).toEqual([
      expect.objectContaining({ status: 'sent', at: '2026-11-22T07:00:00.000Z' }),
      expect.objectContaining({ status: 'sent', at: '2026-11-22T07:00:00.000Z' }),
    ]);
    for (const { customer } of shop.customers) expect(await inboxOf(shop.sesEndpoint, customer.email!)).toHaveLength(1);
  });
});
