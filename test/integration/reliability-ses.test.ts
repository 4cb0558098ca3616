import { afterEach, describe, expect, it } from 'vitest';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { faultySes, faultySesEnvironment, type SesFault } from '../support/faulty-ses.js';
import { inboxOf, localShop } from '../support/local-aws.js';
import { sweepDue, workflowNight } from '../support/night.js';

/**
 * SES's faults as the night's send worker meets them on AWS: its own SES client (the SDK's retries included) calls
 * a proxy that answers like SES v2 (test/support/faulty-ses.ts). What SES did not take goes back on the due list,
 * and the scheduled sender sends it once when SES lets it.
 */

let closeProxy: (() => Promise<void>) | undefined;
afterEach(async () => {
  await closeProxy?.();
  closeProxy = undefined;
});

const asOf = '2026-11-22';
const lost = ['2026-03-01', '2026-04-01', '2026-05-01'];

/** The scheduled sender's sweep the day after the night: SES's refusals put sends back on the due list until then. */
const nextMorning = '2026-11-23T02:00:00.000Z';

/** A shop whose nights send through the faulty SES: `environment` points the handlers' SES client at it, fewer attempts allowed. */
async function shopBehindFaultySes(names: readonly string[], faultFor: (index: number) => SesFault | undefined, maxAttempts = 3) {
  const shop = await localShop();
  await applyCampaignConfig(testConfig(), 'test', shop.deps);
  const entries = names.map((name) => customerFrom({ name, orderDays: lost }));
  await shop.deps.customers.putMany(entries);
  const proxy = await faultySes(shop.sesEndpoint, faultFor);
  closeProxy = proxy.close;
  const inboxes = async () => Promise.all(entries.map(({ customer }) => inboxOf(shop.sesEndpoint, customer.email!).then((mails) => mails.length)));
  const statuses = async () =>
    Promise.all(entries.map(async ({ customer }) => (await shop.deps.ledger.sendsOf(customer.customerId)).map((entry) => entry.status)));
  return { ...shop, entries, proxy, environment: faultySesEnvironment(proxy, maxAttempts), inboxes, statuses };
}

describe('SES TooManyRequestsException', () => {
  it('backs off and goes on: every customer gets their email once, however often SES said slow down', async () => {
    // Prepare: the first two SendEmail calls are throttled
    const shop = await shopBehindFaultySes(['Ann', 'Bea', 'Cal'], (index) => (index < 2 ? 'TooManyRequestsException' : undefined));
    // Act
    const night = await workflowNight(shop, asOf, { environment: shop.environment });
    // Assess: the SDK's retries took them; the queue redelivered nothing
    expect(night).toMatchObject({ emailsSent: 3 });
    expect(night.skipped).toEqual({});
    expect(night.stoppedBy).toBeUndefined();
    expect(night.workflow.sendQueue).toMatchObject({ enqueued: 3, sent: 3, failedReceives: 0, deadLetters: [] });
    expect(shop.proxy.sendCalls()).toBe(5);
    expect(await shop.inboxes()).toEqual([1, 1, 1]);
  });

  it('loses nothing when the retries run out: the step goes back on the due list and is sent once later', async () => {
    // Prepare: SES throttles every call tonight
    const shop = await shopBehindFaultySes(['Dan', 'Eli'], () => 'TooManyRequestsException', 2);
    // Act
    const throttled = await workflowNight(shop, asOf, { environment: shop.environment });
    const entriesAfter = await shop.statuses();
    const later = await sweepDue(shop, nextMorning);
    const again = await sweepDue(shop, nextMorning);
    const nextNight = await workflowNight(shop, '2026-11-23');
    // Assess
    expect(throttled).toMatchObject({ emailsSent: 0 });
    expect(throttled.workflow.sendQueue).toMatchObject({ enqueued: 2, sent: 0, deadLetters: [] });
    expect(entriesAfter).toEqual([['scheduled'], ['scheduled']]);
    expect(later.sendQueue.sent).toBe(2);
    expect(again.dispatched).toBe(0);
    expect(nextNight.emailsSent).toBe(0);
    expect(await shop.inboxes()).toEqual([1, 1]);
  });
});

describe('SES stops the account', () => {
  it.each(['SendingPausedException', 'AccountSuspendedException'] as const)(
    '%s stops the sending, says so in the run, and the sender sends each email once when SES lets it',
    async (fault) => {
      // Prepare
      const names = ['Fia', 'Gio', 'Hep', 'Ida'];
      const shop = await shopBehindFaultySes(names, () => fault);
      // Act
      const stopped = await workflowNight(shop, asOf, { environment: shop.environment });
      const entriesAfter = await shop.statuses();
      const resumed = await sweepDue(shop, nextMorning);
      const again = await sweepDue(shop, nextMorning);
      // Assess: SES is asked once per queued email, never again by a redelivery; every email waits on the due list
      expect(stopped).toMatchObject({ emailsSent: 0, stoppedBy: fault });
      expect(stopped.workflow.sendQueue).toMatchObject({ enqueued: names.length, failedReceives: 0, deadLetters: [], stoppedBy: fault });
      expect(shop.proxy.sendCalls()).toBe(names.length);
      expect(entriesAfter).toEqual(names.map(() => ['scheduled']));
      expect(resumed.sendQueue.sent).toBe(names.length);
      expect(again.dispatched).toBe(0);
      expect(await shop.inboxes()).toEqual(names.map(() => 1));
    },
  );
});

describe('SES MessageRejected', () => {
  it('marks the message failed once: neither the SDK, the queue nor a later night asks SES again, nor sends the next step', async () => {
    // Prepare
    const shop = await shopBehindFaultySes(['Jo'], () => 'MessageRejected', 5);
    // Act
    const first = await workflowNight(shop, asOf, { environment: shop.environment });
    const sweep = await sweepDue(shop, nextMorning, { environment: shop.environment });
    const second = await workflowNight(shop, '2026-11-23', { environment: shop.environment });
    // The day step 1 falls due (7 days after step 0)
    const stepOneDue = await workflowNight(shop, '2026-11-29', { environment: shop.environment });
    // Assess
    expect(first).toMatchObject({ emailsSent: 0 });
    expect(first.workflow.sendQueue).toMatchObject({ enqueued: 1, sent: 0, failedReceives: 0, deadLetters: [] });
    expect(sweep.dispatched).toBe(0);
    expect(second).toMatchObject({ emailsSent: 0, emailsQueued: 0 });
    // The sequence stops at the refused step: no follow-up to an email Jo never got
    expect(second.skipped).toEqual({ failed_before: 1 });
    expect(stepOneDue).toMatchObject({ emailsSent: 0, emailsQueued: 0 });
    expect(stepOneDue.skipped).toEqual({ failed_before: 1 });
    expect(shop.proxy.sendCalls()).toBe(1);
    expect(await shop.deps.ledger.sendsOf(shop.entries[0]!.customer.customerId)).toEqual([
      expect.objectContaining({ status: 'failed', errorCode: 'MessageRejected' }),
    ]);
  });
});
