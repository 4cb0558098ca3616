import { describe, expect, it } from 'vitest';
import { hashEmail } from '../../lib/domain/email.js';
import { parseSesEvent } from '../../lib/domain/ses-events.js';
import { signFeedbackToken, signUnsubscribeToken } from '../../lib/domain/unsubscribe-token.js';
import { type SimulatedEvent, sesEventEnvelope } from '../../lib/local/ses-event-envelopes.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { recordEmailEvent } from '../../lib/usecases/record-email-event.js';
import { recordFeedback } from '../../lib/usecases/record-feedback.js';
import { unsubscribe } from '../../lib/usecases/unsubscribe.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { inboxOf, localShop, testUnsubscribeSecret } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';

const lost = ['2026-03-01', '2026-04-01', '2026-05-01'];

/** A shop whose night has emailed the named lost customers. */
async function emailedShop(names: readonly string[]) {
  const shop = await localShop();
  await applyCampaignConfig(testConfig(), 'test', shop.deps);
  const entries = names.map((name) => customerFrom({ name, orderDays: lost }));
  await shop.deps.customers.putMany(entries);
  await workflowNight(shop, '2026-11-22');
  const people = new Map(
    await Promise.all(
      entries.map(async ({ customer }) => {
        const [send] = await shop.deps.ledger.sendsOf(customer.customerId);
        return [customer.firstName!, { customer, send: send! }] as const;
      }),
    ),
  );
  const event = (name: string, type: SimulatedEvent['type'], extra: Partial<SimulatedEvent> = {}) =>
    recordEmailEvent(
      parseSesEvent(
        sesEventEnvelope({ type, messageId: people.get(name)!.send.messageId!, recipient: people.get(name)!.customer.email!, at: new Date(), ...extra }),
        new Date(),
      ),
      shop.deps,
    );
  const suppressed = async (name: string) => (await shop.deps.suppressions.suppressedAmong([hashEmail(people.get(name)!.customer.email!)])).size === 1;
  return { ...shop, people, event, suppressed };
}

describe('SES events', () => {
  it('suppresses a permanent bounce at once, and the next night does not email that address', async () => {
    // Prepare
    const shop = await emailedShop(['Bruno', 'Tina']);
    // Act
    const permanent = await shop.event('Bruno', 'Bounce', { bounceType: 'Permanent' });
    const transient = await shop.event('Tina', 'Bounce', { bounceType: 'Transient' });
    await shop.deps.customers.putMany([{ customer: { ...shop.people.get('Bruno')!.customer, lastSend: undefined, lastEmailedAt: undefined }, orders: [] }]);
    const nextNight = await workflowNight(shop, '2026-12-22');
    // Assess
    expect(permanent).toEqual({ matchedSend: true, suppressed: 1 });
    expect(transient).toEqual({ matchedSend: true, suppressed: 0 });
    expect(await shop.suppressed('Bruno')).toBe(true);
    expect(await shop.suppressed('Tina')).toBe(false);
    expect(nextNight.skipped.suppressed).toBe(1);
    expect(await inboxOf(shop.sesEndpoint, shop.people.get('Bruno')!.customer.email!)).toHaveLength(1);
  });

  it('suppresses a complaint and withdraws consent', async () => {
    // Prepare
    const shop = await emailedShop(['Cora']);
    // Act
    await shop.event('Cora', 'Complaint');
    // Assess
    expect(await shop.suppressed('Cora')).toBe(true);
    expect((await shop.deps.customers.get(shop.people.get('Cora')!.customer.customerId))!.consent).toMatchObject({
      state: 'unsubscribed',
      source: 'complaint',
    });
  });

  it('records delivery, open and click once on the send, however often they arrive', async () => {
    // Prepare
    const shop = await emailedShop(['Olga']);
    const first = new Date('2026-11-23T08:00:00.000Z');
    // Act
    await shop.event('Olga', 'Delivery', { at: first });
    await shop.event('Olga', 'Open', { at: first });
    await shop.event('Olga', 'Click', { at: first });
    await shop.event('Olga', 'Click', { at: new Date('2026-11-24T08:00:00.000Z') });
    // Assess
    const [send] = await shop.deps.ledger.sendsOf(shop.people.get('Olga')!.customer.customerId);
    expect(send!.events).toEqual({ delivered: first.toISOString(), opened: first.toISOString(), clicked: first.toISOString() });
  });

  it('still suppresses a bouncing address when the message is not one of ours', async () => {
    // Prepare
    const shop = await emailedShop([]);
    const envelope = sesEventEnvelope({ type: 'Bounce', messageId: 'not-ours-1', recipient: 'stranger@example.org', at: new Date() });
    // Act
    const result = await recordEmailEvent(parseSesEvent(envelope, new Date()), shop.deps);
    // Assess
    expect(result).toEqual({ matchedSend: false, suppressed: 1 });
    expect((await shop.deps.suppressions.suppressedAmong([hashEmail('stranger@example.org')])).size).toBe(1);
  });
});

describe('one-click unsubscribe and feedback', () => {
  it('unsubscribes at once, records it on the send, and repeating is harmless', async () => {
    // Prepare
    const shop = await emailedShop(['Ulla']);
    const { customer } = shop.people.get('Ulla')!;
    const token = signUnsubscribeToken(
      { customerId: customer.customerId, campaignId: 'lost-winback', emailHash: hashEmail(customer.email!) },
      testUnsubscribeSecret,
    );
    const deps = { ...shop.deps, secret: testUnsubscribeSecret };
    // Act
    const outcomes = [await unsubscribe(token, deps), await unsubscribe(token, deps), await unsubscribe(`${token}x`, deps)];
    // Assess
    expect(outcomes).toEqual(['unsubscribed', 'unsubscribed', 'invalid_token']);
    expect(await shop.suppressed('Ulla')).toBe(true);
    expect((await shop.deps.customers.get(customer.customerId))!.consent).toMatchObject({ state: 'unsubscribed', source: 'unsubscribe_link' });
    expect((await shop.deps.ledger.sendsOf(customer.customerId))[0]!.events).toHaveProperty('unsubscribed');
  });

  it('records a feedback answer once per send, replaces it when answered again, and keeps free text as text', async () => {
    // Prepare
    const shop = await emailedShop(['Fred']);
    const { customer, send } = shop.people.get('Fred')!;
    const token = signFeedbackToken(send, testUnsubscribeSecret);
    const deps = { ...shop.deps, secret: testUnsubscribeSecret };
    // Act
    const first = await recordFeedback(token, 'delivery', 'Took <b>two</b> weeks', deps);
    const second = await recordFeedback(token, 'prices', 'x'.repeat(5_000), deps);
    const invalid = await recordFeedback(token, 'because', '', deps);
    // Assess
    expect([first, second, invalid]).toEqual(['recorded', 'recorded', 'invalid_answer']);
    const sends = await shop.deps.ledger.sendsOf(customer.customerId);
    expect(sends).toHaveLength(1);
    expect(sends[0]!.feedback).toMatchObject({ answer: 'prices' });
    expect(sends[0]!.feedback!.comment).toHaveLength(1_000);
    expect((await shop.deps.customers.get(customer.customerId))!.feedback).toMatchObject({ answer: 'prices', campaignId: 'lost-winback' });
  });
});
