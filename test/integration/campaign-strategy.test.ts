import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { SesEmailSender } from '../../lib/adapters/ses/email-sender.js';
import { addDays } from '../../lib/domain/dates.js';
import { hashEmail } from '../../lib/domain/email.js';
import { signUnsubscribeToken } from '../../lib/domain/unsubscribe-token.js';
import { activeConfig } from '../../lib/usecases/active-config.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { sendDue } from '../../lib/usecases/send-due.js';
import { unsubscribe } from '../../lib/usecases/unsubscribe.js';
import { customerFrom, type RawConfig, testConfig } from '../support/customers.js';
import { inboxOf, localShop, testUnsubscribeSecret } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';

const lost = ['2026-03-01', '2026-04-01', '2026-05-01'];

async function shopWith(names: readonly string[], change: (raw: RawConfig) => void = () => {}, timeZone?: string) {
  const shop = await localShop();
  await applyCampaignConfig(testConfig(change), 'test', shop.deps);
  const entries = names.map((name) => customerFrom({ name, orderDays: lost }));
  await shop.deps.customers.putMany(entries.map(({ customer, orders }) => ({ customer: timeZone ? { ...customer, timeZone } : customer, orders })));
  const deps = { ...shop.deps, config: activeConfig(shop.deps.configs, shop.deps.clock) };
  return { ...shop, deps, entries };
}

describe('sequences across nights', () => {
  it('sends step 0, then step 1 a week later, and never the same step twice', async () => {
    // Prepare
    const shop = await shopWith(['Sol']);
    const email = shop.entries[0]!.customer.email!;
    // Act: eight nights in a row
    const nights = [];
    for (let day = 0; day < 8; day += 1) nights.push(await workflowNight(shop, addDays('2026-11-22', day)));
    // Assess
    expect(nights.map((night) => night.emailsSent)).toEqual([1, 0, 0, 0, 0, 0, 0, 1]);
    expect(nights[3]!.skipped).toEqual({ waiting_next_step: 1 });
    const sends = await shop.deps.ledger.sendsOf(shop.entries[0]!.customer.customerId);
    expect(sends.map((send) => send.step).sort()).toEqual([0, 1]);
    expect(await inboxOf(shop.sesEndpoint, email)).toHaveLength(2);
  });
});

describe('quiet hours', () => {
  it("waits for the end of the customer's night in their own time zone, then sends once", async () => {
    // Prepare: a New York customer; the night runs at 03:00 Amsterdam (21:00 in New York)
    const shop = await shopWith(
      ['Nia'],
      (raw) => ((raw.guardrails as { quietHours?: unknown }).quietHours = { start: '21:00', end: '08:00' }),
      'America/New_York',
    );
    const email = shop.entries[0]!.customer.email!;
    // Act
    const night = await workflowNight(shop, '2026-11-22');
    const tooEarly = await sendDue(new Date('2026-11-22T12:59:00Z'), shop.deps);
    const due = await sendDue(new Date('2026-11-22T13:00:00Z'), shop.deps);
    const again = await sendDue(new Date('2026-11-22T18:00:00Z'), shop.deps);
    // Assess: 08:00 in New York on 22 November is 13:00 UTC
    expect(night).toMatchObject({ emailsSent: 0, emailsScheduled: 1 });
    expect(tooEarly.sent).toBe(0);
    expect(due.sent).toBe(1);
    expect(again.sent).toBe(0);
    const [send] = await shop.deps.ledger.sendsOf(shop.entries[0]!.customer.customerId);
    expect(send).toMatchObject({ status: 'sent', notBefore: '2026-11-22T13:00:00.000Z' });
    expect(await inboxOf(shop.sesEndpoint, email)).toHaveLength(1);
  });

  it('cancels a scheduled email when the customer unsubscribes before it goes', async () => {
    // Prepare
    const shop = await shopWith(['Una'], (raw) => ((raw.guardrails as { quietHours?: unknown }).quietHours = { start: '21:00', end: '08:00' }));
    const { customer } = shop.entries[0]!;
    await workflowNight(shop, '2026-11-22');
    const token = signUnsubscribeToken(
      { customerId: customer.customerId, campaignId: 'lost-winback', emailHash: hashEmail(customer.email!) },
      testUnsubscribeSecret,
    );
    await unsubscribe(token, { ...shop.deps, secret: testUnsubscribeSecret });
    // Act
    const due = await sendDue(new Date('2026-11-23T00:00:00Z'), shop.deps);
    // Assess
    expect(due).toMatchObject({ sent: 0, cancelled: 1 });
    expect(await inboxOf(shop.sesEndpoint, customer.email!)).toHaveLength(0);
  });
});

describe('holdouts and caps', () => {
  it('records holdout customers as would-have-been-sent and sends them nothing', async () => {
    // Prepare
    const names = Array.from({ length: 30 }, (_, index) => `H${index}`);
    const shop = await shopWith(names, (raw) => (raw.campaigns[1]!.experiment.holdoutPercent = 50));
    // Act
    const night = await workflowNight(shop, '2026-11-22');
    // Assess
    expect(night.heldOut + night.emailsSent).toBe(30);
    expect(night.heldOut).toBeGreaterThan(0);
    for (const { customer } of shop.entries) {
      const [entry] = await shop.deps.ledger.sendsOf(customer.customerId);
      const mails = await inboxOf(shop.sesEndpoint, customer.email!);
      if (entry!.status === 'held_out') expect(mails).toHaveLength(0);
      else expect(mails[0]!.headers?.find((header) => header.name === 'List-Unsubscribe')).toBeDefined();
    }
  });

  it("stops at the shop's daily send cap, most valuable customers first", async () => {
    // Prepare
    const shop = await shopWith(['Ann', 'Bob', 'Cat', 'Dan', 'Eve'], (raw) => (raw.guardrails.dailySendCap = 2));
    // Act
    const night = await workflowNight(shop, '2026-11-22');
    // Assess
    expect(night.emailsSent).toBe(2);
    expect(night.skipped.daily_cap).toBe(3);
  });
});

describe('the sender when SES throttles', () => {
  it('puts a throttled scheduled email back on the due list and sends it once later', async () => {
    // Prepare
    const shop = await shopWith(['Tia'], (raw) => ((raw.guardrails as { quietHours?: unknown }).quietHours = { start: '21:00', end: '08:00' }));
    await workflowNight(shop, '2026-11-22');
    const throttled = new SESv2Client({ region: 'eu-west-1', maxAttempts: 1 });
    mockClient(throttled)
      .on(SendEmailCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'TooManyRequestsException' }));
    // Act
    const first = await sendDue(new Date('2026-11-23T00:00:00Z'), { ...shop.deps, email: new SesEmailSender(throttled) });
    const second = await sendDue(new Date('2026-11-23T01:00:00Z'), shop.deps);
    const third = await sendDue(new Date('2026-11-23T02:00:00Z'), shop.deps);
    // Assess
    expect(first).toMatchObject({ sent: 0, rescheduled: 1 });
    expect(second).toMatchObject({ sent: 1 });
    expect(third).toMatchObject({ sent: 0 });
    expect(await inboxOf(shop.sesEndpoint, shop.entries[0]!.customer.email!)).toHaveLength(1);
  });
});
