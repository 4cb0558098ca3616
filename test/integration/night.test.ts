import { afterEach, describe, expect, it } from 'vitest';
import type { NightStarted } from '../../functions/night-start/handler.js';
import { hashEmail } from '../../lib/domain/email.js';
import { verifyUnsubscribeToken } from '../../lib/domain/unsubscribe-token.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { type CustomerSpec, customerFrom, testConfig } from '../support/customers.js';
import { faultySes, faultySesEnvironment, type SesFault } from '../support/faulty-ses.js';
import { inboxOf, localShop, testUnsubscribeSecret } from '../support/local-aws.js';
import { sweepDue, WorkflowNightFailed, workflowNight } from '../support/night.js';

const asOf = '2026-11-22';
const lost = ['2026-03-01', '2026-04-01', '2026-05-01'];
const atRisk = ['2026-09-12', '2026-10-02', '2026-10-22'];
const active = ['2026-10-20', '2026-11-01', '2026-11-15'];
/** The scheduled sender's sweep the day after the night: SES's refusals put sends back on the due list until then. */
const nextMorning = '2026-11-23T02:00:00.000Z';

/** A small shop on its own table: the people who should be emailed and the ones who must never be. */
async function shopWith(specs: readonly CustomerSpec[], options: { suppressed?: readonly string[] } = {}) {
  const shop = await localShop();
  await applyCampaignConfig(testConfig(), 'test', shop.deps);
  const entries = specs.map((spec) => customerFrom(spec));
  await shop.deps.customers.putMany(entries);
  const byName = new Map(entries.map((entry) => [entry.customer.firstName!, entry.customer]));
  for (const name of options.suppressed ?? []) {
    await shop.deps.suppressions.add({ emailHash: hashEmail(byName.get(name)!.email!), reason: 'bounced', source: 'test', at: '2026-01-01T00:00:00Z' });
  }
  const inbox = (name: string) => inboxOf(shop.sesEndpoint, byName.get(name)!.email!);
  return { ...shop, byName, inbox };
}

describe('the night, on DynamoDB Local and the local SES', () => {
  it('emails at-risk and lost customers once, personalised, with one-click unsubscribe headers', async () => {
    // Prepare
    const shop = await shopWith([
      { name: 'Lena', orderDays: lost },
      { name: 'Rita', orderDays: atRisk },
      { name: 'Aldo', orderDays: active },
    ]);
    // Act
    const summary = await workflowNight(shop, asOf);
    // Assess
    expect(summary).toMatchObject({
      customersScanned: 3,
      active: 1,
      atRisk: 1,
      lost: 1,
      emailsSent: 2,
      sentByCampaign: { 'lost-winback': 1, 'at-risk-nudge': 1 },
    });
    expect(await shop.inbox('Aldo')).toHaveLength(0);
    const [mail] = await shop.inbox('Lena');
    const [send] = await shop.deps.ledger.sendsOf(shop.byName.get('Lena')!.customerId);
    const offerPercent = send!.arm === 'bigger-first-offer' ? 20 : 15;
    expect(mail!.subject).toBe(`We miss you, Lena — ${offerPercent}% off your next order`);
    expect(send).toMatchObject({
      status: 'sent',
      step: 0,
      offer: { kind: 'percent', value: offerPercent },
      offerCode: expect.stringMatching(/^WELCOMEBACK-[0-9A-Z]{8}$/),
    });
    expect(mail!.body.text).toContain(`with code ${send!.offerCode}, valid until 13 December 2026`);
    expect(mail!.body.text).toContain('Prinsengracht 263');
    const header = (name: string) => mail!.headers?.find((candidate) => candidate.name === name)?.value;
    expect(header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const url = /^<(https:\/\/shop\.example\/winback\/unsubscribe\/([^>]+))>$/.exec(header('List-Unsubscribe') ?? '');
    expect(url).not.toBeNull();
    expect(mail!.body.html).toContain(url![1]);
    expect(verifyUnsubscribeToken(url![2]!, testUnsubscribeSecret)).toEqual({
      customerId: shop.byName.get('Lena')!.customerId,
      campaignId: 'lost-winback',
      emailHash: hashEmail(shop.byName.get('Lena')!.email!),
    });
    const tampered = url![2]!.replace(/^./, (first) => (first === 'e' ? 'f' : 'e'));
    expect(verifyUnsubscribeToken(tampered, testUnsubscribeSecret)).toBeUndefined();
  });

  it('sends nobody a second email when the same night runs again', async () => {
    // Prepare
    const shop = await shopWith([
      { name: 'Lena', orderDays: lost },
      { name: 'Rita', orderDays: atRisk },
    ]);
    // Act
    const first = await workflowNight(shop, asOf);
    const second = await workflowNight(shop, asOf);
    // Assess
    expect(first.emailsSent).toBe(2);
    expect(second.emailsSent).toBe(0);
    expect(second.skipped).toEqual({ already_sent: 2 });
    expect(await shop.inbox('Lena')).toHaveLength(1);
    expect(await shop.inbox('Rita')).toHaveLength(1);
  });

  it('runs at most MaxConcurrency segment workers at once and still scans every customer once', async () => {
    // Prepare: the Map's MaxConcurrency at 2 for the night's 4 segments
    const names = ['Lena', 'Rita', 'Mona', 'Ines', 'Omar', 'Yuki', 'Pia'];
    const shop = await shopWith(names.map((name) => ({ name, orderDays: lost })));
    let open = 0;
    let mostOpen = 0;
    const aroundTask = async (state: string, _payload: unknown, invoke: () => Promise<unknown>) => {
      if (state !== 'ScoreSegment') return invoke();
      open += 1;
      mostOpen = Math.max(mostOpen, open);
      try {
        return await invoke();
      } finally {
        open -= 1;
      }
    };
    // Act
    const summary = await workflowNight(shop, asOf, { aroundTask, maxConcurrency: 2 });
    // Assess
    expect(mostOpen).toBe(2);
    expect(summary.workflow.states.ScoreSegment).toBe(4);
    expect(summary).toMatchObject({ totalSegments: 4, customersScanned: names.length, emailsSent: names.length });
  });

  it('sends each customer at most one email when two executions of the night overlap', async () => {
    // Prepare: a second execution of the same night (the schedule and an operator's start), played state for state
    // alongside the first: its StartNight, each of its segment workers and its FinishNight at the same moment as the
    // first's, on the same customers and the same send queue
    const names = ['Ada', 'Ben', 'Cas', 'Dee', 'Eli', 'Fen', 'Gil', 'Hux'];
    const shop = await shopWith(names.map((name) => ({ name, orderDays: lost })));
    let other: NightStarted | undefined;
    let otherFinished: { emailsQueued?: number } | undefined;
    const aroundTask = async (state: string, payload: unknown, invoke: (payload?: unknown) => Promise<unknown>) => {
      if (state === 'StartNight') {
        const [mine, theirs] = await Promise.all([invoke(), invoke()]);
        other = theirs as NightStarted;
        return mine;
      }
      if (state === 'ScoreSegment') {
        const { segment, cursor } = payload as { segment: number; cursor?: string };
        if (cursor) return invoke();
        const theirs = async () => {
          let progress = (await invoke({ runId: other!.runId, segment })) as { cursor?: string };
          while (progress.cursor) progress = (await invoke(progress)) as { cursor?: string };
        };
        const [mine] = await Promise.all([invoke(), theirs()]);
        return mine;
      }
      // Theirs first: the run record the night reads back is the last one finished.
      if (state === 'FinishNight') otherFinished = (await invoke({ runId: other!.runId })) as { emailsQueued?: number };
      return invoke();
    };
    // Act
    const mine = await workflowNight(shop, asOf, { aroundTask });
    // Assess
    expect(other!.runId).not.toBe(mine.runId);
    expect(mine.workflow.summary!.emailsQueued! + otherFinished!.emailsQueued!).toBe(names.length);
    expect(mine.workflow.sendQueue).toMatchObject({ enqueued: names.length, sent: names.length });
    for (const name of names) expect(await shop.inbox(name)).toHaveLength(1);
  });

  it('never emails suppressed, unsubscribed or non-consenting customers', async () => {
    // Prepare
    const shop = await shopWith(
      [
        { name: 'Sue', orderDays: lost },
        { name: 'Uma', orderDays: lost, consent: 'unsubscribed' },
        { name: 'Nia', orderDays: lost, consent: 'not_subscribed' },
        { name: 'Pip', orderDays: lost, consent: 'pending' },
        { name: 'Noe', orderDays: lost, email: null },
        { name: 'Ola', orderDays: lost },
      ],
      { suppressed: ['Sue'] },
    );
    // Act
    const summary = await workflowNight(shop, asOf);
    // Assess
    expect(summary.emailsSent).toBe(1);
    expect(summary.skipped).toEqual({ suppressed: 1, unsubscribed: 1, no_consent: 2, no_email: 1 });
    for (const name of ['Sue', 'Uma', 'Nia', 'Pip']) expect(await shop.inbox(name)).toHaveLength(0);
    expect(await shop.inbox('Ola')).toHaveLength(1);
  });

  it('refuses a bad stored config with its paths named, and sends nothing', async () => {
    // Prepare
    const shop = await shopWith([{ name: 'Lena', orderDays: lost }]);
    const raw = structuredClone(testConfig()) as Record<string, unknown> & { campaigns: Record<string, unknown>[] };
    raw.campaigns[1]!.audience = 'gone';
    raw.colour = 'blue';
    await shop.deps.configs.putVersion({ version: 2, config: raw as never, appliedAt: '2026-11-22T00:00:00Z', appliedBy: 'someone in a hurry' });
    // Act
    const night = workflowNight(shop, asOf);
    // Assess: StartNight fails, and the execution with it, naming each bad path in Lambda's error envelope
    await expect(night).rejects.toBeInstanceOf(WorkflowNightFailed);
    const { run } = (await night.catch((error: unknown) => error)) as WorkflowNightFailed;
    expect(run.error?.Error).toBe('InvalidCampaignConfigError');
    expect(run.error?.Cause).toContain('campaigns[lost-winback].audience');
    expect(run.error?.Cause).toContain('colour');
    expect(run.states.ScoreSegment).toBeUndefined();
    expect(await shop.inbox('Lena')).toHaveLength(0);
  });

  it('does not store a config that fails validation', async () => {
    // Prepare
    const shop = await shopWith([]);
    const before = await shop.deps.configs.latest();
    // Act
    const applying = applyCampaignConfig({ ...testConfig(), version: 3 }, 'test', shop.deps);
    // Assess
    await expect(applying).rejects.toMatchObject({ problems: [{ path: 'version' }] });
    expect((await shop.deps.configs.latest())!.version).toBe(before!.version);
  });

  it('stops sending when SES pauses the account, and the sender sends each email once when it resumes', async () => {
    // Prepare: SES answers SendingPausedException, a fault the local SES cannot produce
    const names = ['Ivo', 'Jan', 'Kai'];
    const shop = await shopWith(names.map((name) => ({ name, orderDays: lost })));
    const { calls: _calls, ...environment } = await sesAnswering(shop, 'SendingPausedException');
    // Act
    const paused = await workflowNight(shop, asOf, { environment });
    const resumed = await sweepDue(shop, nextMorning);
    const again = await sweepDue(shop, nextMorning);
    // Assess: SES took nothing; each send went back on the due list, not to the dead letters
    expect(paused).toMatchObject({ emailsSent: 0, stoppedBy: 'SendingPausedException' });
    expect(paused.workflow.sendQueue).toMatchObject({ enqueued: 3, failedReceives: 0, deadLetters: [] });
    expect(resumed.sendQueue.sent).toBe(3);
    expect(again).toMatchObject({ dispatched: 0, sendQueue: { sent: 0 } });
    for (const name of names) expect(await shop.inbox(name)).toHaveLength(1);
  });
});

let closeProxy: (() => Promise<void>) | undefined;
afterEach(async () => {
  await closeProxy?.();
  closeProxy = undefined;
});

/** The environment of a night whose SES answers every SendEmail with `fault`; `calls` counts them. */
async function sesAnswering(shop: Awaited<ReturnType<typeof shopWith>>, fault: SesFault) {
  const proxy = await faultySes(shop.sesEndpoint, () => fault);
  closeProxy = proxy.close;
  return Object.assign(faultySesEnvironment(proxy), { calls: proxy.sendCalls });
}

describe('the night, when SES refuses', () => {
  it('marks a rejected message failed and never retries it', async () => {
    // Prepare
    const shop = await shopWith([{ name: 'Liv', orderDays: lost }]);
    const { calls, ...environment } = await sesAnswering(shop, 'MessageRejected');
    // Act
    const first = await workflowNight(shop, asOf, { environment });
    const sweep = await sweepDue(shop, nextMorning, { environment });
    const second = await workflowNight(shop, '2026-11-23', { environment });
    // Assess
    expect(first).toMatchObject({ emailsSent: 0 });
    expect(first.workflow.sendQueue).toMatchObject({ enqueued: 1, sent: 0, failedReceives: 0, deadLetters: [] });
    expect(await shop.deps.ledger.sendsOf(shop.byName.get('Liv')!.customerId)).toEqual([
      expect.objectContaining({ status: 'failed', errorCode: 'MessageRejected' }),
    ]);
    expect(sweep.dispatched).toBe(0);
    expect(second).toMatchObject({ emailsSent: 0, emailsQueued: 0 });
    expect(calls()).toBe(1);
  });

  it('stops on AccessDenied instead of burning every customer in the ledger', async () => {
    // Prepare
    const shop = await shopWith([{ name: 'Mo', orderDays: lost }]);
    const { calls: _calls, ...environment } = await sesAnswering(shop, 'AccessDeniedException');
    // Act
    const stopped = await workflowNight(shop, asOf, { environment });
    const statusAfter = (await shop.deps.ledger.sendsOf(shop.byName.get('Mo')!.customerId)).map((entry) => entry.status);
    const fixed = await sweepDue(shop, nextMorning);
    // Assess: the send waits on the due list, and goes once SES lets the account send
    expect(stopped).toMatchObject({ emailsSent: 0, stoppedBy: 'AccessDeniedException' });
    expect(statusAfter).toEqual(['scheduled']);
    expect(fixed.sendQueue.sent).toBe(1);
    expect(await shop.inbox('Mo')).toHaveLength(1);
  });
});
