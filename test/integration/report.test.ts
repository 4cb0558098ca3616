import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DynamoOrderStore } from '../../lib/adapters/dynamodb/orders.js';
import { DynamoReportSource } from '../../lib/adapters/dynamodb/report-source.js';
import { assignArm } from '../../lib/domain/assignment.js';
import type { Customer, Order } from '../../lib/domain/customer.js';
import { newcombeInterval } from '../../lib/domain/report.js';
import { parseSesEvent } from '../../lib/domain/ses-events.js';
import { type SimulatedEvent, sesEventEnvelope } from '../../lib/local/ses-event-envelopes.js';
import { activeConfig } from '../../lib/usecases/active-config.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { buildReport } from '../../lib/usecases/build-report.js';
import { ingestOrder } from '../../lib/usecases/ingest-order.js';
import { recordEmailEvent } from '../../lib/usecases/record-email-event.js';
import { customerFrom, type RawConfig, testConfig } from '../support/customers.js';
import { localShop } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';
import { incomingOrder } from '../support/orders.js';

const lost = ['2026-03-01', '2026-04-01', '2026-05-01'];
const atRisk = ['2026-09-12', '2026-10-02', '2026-10-22'];
const day = 86_400_000;

/** A shop on its own table, with the wiring the report, SES events and order webhooks use. */
async function shop(change: (raw: RawConfig) => void) {
  const local = await localShop();
  const config = testConfig(change);
  await applyCampaignConfig(config, 'test', local.deps);
  const orders = new DynamoOrderStore(local.client, local.tableName);
  const active = activeConfig(local.deps.configs, local.deps.clock);
  const event = (customer: Customer, messageId: string, type: SimulatedEvent['type'], at: Date, extra: Partial<SimulatedEvent> = {}) =>
    recordEmailEvent(parseSesEvent(sesEventEnvelope({ type, messageId, recipient: customer.email!, at, ...extra }), new Date()), local.deps);
  const order = (customer: Customer, placedAt: Date, totalMinor: number, couponCodes: string[] = []) =>
    ingestOrder(
      incomingOrder({ customerId: customer.customerId, email: customer.email!, placedAt: placedAt.toISOString(), totalMinor, couponCodes }),
      randomUUID(),
      { orders, clock: local.deps.clock, config: active },
    );
  const report = (options: Parameters<typeof buildReport>[1] = {}) =>
    buildReport({ source: new DynamoReportSource(local.client, local.tableName), configs: local.deps.configs, clock: local.deps.clock }, options);
  return { ...local, config, event, order, report };
}

/** Lost customers, drawn until the campaign's own hash puts `treated` of them in a variant and `held` in the holdout. */
function lostCustomers(
  config: ReturnType<typeof testConfig>,
  treated: number,
  held: number,
): { treated: { customer: Customer; orders: Order[] }[]; held: { customer: Customer; orders: Order[] }[] } {
  const campaign = config.campaigns.find((candidate) => candidate.id === 'lost-winback')!;
  const groups = { treated: [] as { customer: Customer; orders: Order[] }[], held: [] as { customer: Customer; orders: Order[] }[] };
  while (groups.treated.length < treated || groups.held.length < held) {
    const entry = customerFrom({ name: 'Lena', orderDays: lost });
    const group = assignArm(entry.customer.customerId, campaign).arm === 'holdout' ? groups.held : groups.treated;
    if (group.length < (group === groups.held ? held : treated)) group.push(entry);
  }
  return groups;
}

describe('the campaign report, on DynamoDB Local', () => {
  it('counts attributed conversions and revenue, and measures lift on treated and holdout orders alike', async () => {
    // Prepare: 4 emailed and 3 held-out lost customers, one night, SES events, and the orders that follow
    const s = await shop((raw) => {
      for (const campaign of raw.campaigns) campaign.experiment.holdoutPercent = 50;
    });
    const people = lostCustomers(s.config, 4, 3);
    await s.deps.customers.putMany([...people.treated, ...people.held]);
    const night = await workflowNight(s, '2026-11-22');
    const nightAt = new Date(night.nightAt);
    const sends = await Promise.all(people.treated.map(async ({ customer }) => (await s.deps.ledger.sendsOf(customer.customerId))[0]!));
    for (const [index, { customer }] of people.treated.entries()) {
      await s.event(customer, sends[index]!.messageId!, 'Delivery', new Date(nightAt.getTime() + 3_600_000));
    }
    await s.event(people.treated[0]!.customer, sends[0]!.messageId!, 'Click', new Date(nightAt.getTime() + 2 * 3_600_000));
    // the coupon of the first send, 2 days later; a plain order 3 days later; one long after every window
    await s.order(people.treated[0]!.customer, new Date(nightAt.getTime() + 2 * day), 8_500, [sends[0]!.offerCode!]);
    await s.order(people.treated[1]!.customer, new Date(nightAt.getTime() + 3 * day), 4_000);
    await s.order(people.treated[3]!.customer, new Date(nightAt.getTime() + 20 * day), 9_900);
    // a held-out customer buys anyway
    await s.order(people.held[0]!.customer, new Date(nightAt.getTime() + 4 * day), 6_000);
    // Act
    const report = await s.report();
    // Assess
    const campaign = report.campaigns.find((candidate) => candidate.id === 'lost-winback')!;
    const percent = sends[0]!.offer!.value;
    const discount = Math.round((8_500 * percent) / (100 - percent));
    expect(campaign).toMatchObject({
      eligible: 7,
      heldOut: 3,
      sent: 4,
      delivered: 4,
      clicked: 1,
      conversions: 2,
      revenue: '125.00',
      revenueMinor: 12_500,
      discountCostMinor: discount,
      couponRedemptions: 1,
      treated: { customers: 4, converted: 2, rate: 0.5, orders: 2, revenueMinor: 12_500 },
      holdout: { customers: 3, converted: 1, orders: 1, revenueMinor: 6_000 },
      verdict: { kind: 'too_small' },
    });
    const [low, high] = newcombeInterval(2, 4, 1, 3);
    expect(campaign.lift.absolute).toBeCloseTo(0.5 - 1 / 3, 6);
    expect(campaign.lift.relative).toBeCloseTo(0.5, 6);
    expect(campaign.lift.ci95![0]).toBeCloseTo(low, 6);
    expect(campaign.lift.ci95![1]).toBeCloseTo(high, 6);
    // 2 orders - 1 x 4/3; 125.00 - 60.00 x 4/3 = 45.00 net, plus the coupon's discount for gross
    expect(campaign.lift.incrementalOrders).toBeCloseTo(0.7, 6);
    expect(campaign.lift.incrementalRevenue).toEqual({
      gross: ((4_500 + discount) / 100).toFixed(2),
      discountCost: (discount / 100).toFixed(2),
      net: '45.00',
      netMinor: 4_500,
    });
    expect(campaign.byNight).toEqual([expect.objectContaining({ night: '2026-11-22', eligible: 7, sent: 4, heldOut: 3 })]);
    expect(campaign.byVariant.find((row) => row.variant === 'holdout')).toMatchObject({ heldOut: 3, sent: 0 });
    expect(report.shop.deliverability).toMatchObject({ sent: 4, bounced: 0, complained: 0, state: 'below_min_volume' });
    expect(campaign).not.toHaveProperty('paused');
  });

  it('pauses sending after a spike of complaints: the next night skips with campaign_paused, the report says so, and a resume lets it send again', async () => {
    // Prepare: the volume floor scaled to a small shop; 4 lost customers (one complains) and 2 at-risk ones
    const s = await shop((raw) => {
      (raw.guardrails as Record<string, unknown>).deliverability = { minVolume: 3, minComplaints: 1 };
    });
    const lostOnes = Array.from({ length: 4 }, (_, index) => customerFrom({ name: `Lost${index}`, orderDays: lost }));
    const atRiskOnes = Array.from({ length: 2 }, (_, index) => customerFrom({ name: `Risk${index}`, orderDays: atRisk }));
    await s.deps.customers.putMany([...lostOnes, ...atRiskOnes]);
    const first = await workflowNight(s, '2026-11-22');
    const [complained] = await s.deps.ledger.sendsOf(lostOnes[0]!.customer.customerId);
    await s.event(lostOnes[0]!.customer, complained!.messageId!, 'Complaint', new Date(Date.parse(first.nightAt) + 3_600_000));
    // Act: a week later the second step is due for everyone
    const next = await workflowNight(s, '2026-11-29');
    const report = await s.report();
    // Assess: 1 complaint in lost-winback's 4 sends (25%) pauses it, and 1 in the shop's 6 (17%) pauses all sending
    expect(first.sentByCampaign).toEqual({ 'lost-winback': 4, 'at-risk-nudge': 2 });
    expect(next.paused).toEqual(['shop', 'lost-winback']);
    expect(next.skipped).toMatchObject({ campaign_paused: 5, unsubscribed: 1 });
    expect(next.emailsSent).toBe(0);
    const [lostWinback, atRiskNudge] = ['lost-winback', 'at-risk-nudge'].map((id) => report.campaigns.find((candidate) => candidate.id === id)!);
    expect(lostWinback!.paused).toMatchObject({ scope: 'campaign', reasons: ['complaint_rate'], rates: { sent: 4, complained: 1 } });
    expect(lostWinback!.deliverability).toMatchObject({ state: 'paused', sent: 4, complained: 1, complaintRate: 0.25 });
    expect(atRiskNudge!.paused).toMatchObject({ scope: 'shop' });
    expect(atRiskNudge!.deliverability.state).toBe('below_min_volume');
    expect(report.shop.paused).toMatchObject({ scope: 'shop', reasons: ['complaint_rate'], rates: { sent: 6, complained: 1 } });

    // Act: resumed on purpose, the steps that are due go out again
    for (const scope of [{ kind: 'shop' as const }, { kind: 'campaign' as const, campaignId: 'lost-winback' }]) {
      // Resumed before the next night's instant, whatever today's date: a resume later than the night would not count for it.
      expect(await s.deps.configs.resume(scope, 'test', '2026-12-01T09:00:00.000Z')).toBe(true);
    }
    const resumed = await workflowNight(s, '2026-12-06');
    // Assess
    expect(resumed.paused).toBeUndefined();
    expect(resumed.skipped.campaign_paused).toBeUndefined();
    expect(resumed.emailsSent).toBeGreaterThan(0);
    const after = await s.report();
    expect(after.shop).not.toHaveProperty('paused');
    expect(after.campaigns.find((candidate) => candidate.id === 'lost-winback')!.deliverability).toMatchObject({
      state: 'ok',
      complained: 0,
      resumed: { by: 'test' },
    });
  });
  it('reads of each ledger entry only what the report uses, so the whole history it holds at once stays small', async () => {
    // Prepare: one entry reserved with everything the sender writes (run, hold time, due time, offer expiry), then sent
    const s = await shop(() => {});
    const key = { customerId: '9007199254740993', campaignId: 'lost-winback', episode: '2026-05-01', step: 0 };
    await s.deps.ledger.reserve({
      ...key,
      runId: 'run-1',
      asOf: '2026-11-22',
      reservedAt: '2026-11-22T02:00:00.000Z',
      heldSince: '2026-11-22T02:00:01.000Z',
      arm: 'control',
      offer: { kind: 'percent', value: 10 },
      offerCode: 'BACK-ABCDEFGH',
      offerExpiresOn: '2026-12-06',
      notBefore: '2026-11-22T07:00:00.000Z',
    });
    await s.deps.ledger.complete(key, { status: 'sent', messageId: 'ses-message-1', at: '2026-11-22T07:00:02.000Z', night: '2026-11-22' });
    // Act
    const { sends } = await new DynamoReportSource(s.client, s.tableName).records('2026-11-01', '2026-11-30');
    // Assess: what the report counts is there; what only the sender and the event handlers need is not
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({
      ...key,
      asOf: '2026-11-22',
      status: 'sent',
      arm: 'control',
      offer: { kind: 'percent', value: 10 },
      offerCode: 'BACK-ABCDEFGH',
      completedAt: '2026-11-22T07:00:02.000Z',
    });
    for (const field of ['runId', 'heldSince', 'notBefore', 'offerExpiresOn', 'messageId', 'pk', 'sk', 'entity', 'sentNight'])
      expect(sends[0], field).not.toHaveProperty(field);
  });
});
