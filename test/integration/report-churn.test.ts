import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DynamoOrderStore } from '../../lib/adapters/dynamodb/orders.js';
import { DynamoReportSource } from '../../lib/adapters/dynamodb/report-source.js';
import { formatReport } from '../../lib/cli/report.js';
import { reportHtml } from '../../lib/cli/report-html.js';
import type { Customer } from '../../lib/domain/customer.js';
import { addDays, calendarDateIn, daysBetween } from '../../lib/domain/dates.js';
import { generateDemoShop } from '../../lib/domain/demo-shop.js';
import { expectedPurchases, parseFittedModel } from '../../lib/domain/scoring/models.js';
import type { FittedPurchaseModel } from '../../lib/domain/scoring/types.js';
import { signFeedbackToken } from '../../lib/domain/unsubscribe-token.js';
import { activeConfig } from '../../lib/usecases/active-config.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { buildReport } from '../../lib/usecases/build-report.js';
import { ingestOrder } from '../../lib/usecases/ingest-order.js';
import { recordFeedback } from '../../lib/usecases/record-feedback.js';
import { customerFrom, type RawConfig, shopTimeZone, testConfig } from '../support/customers.js';
import { localShop, testUnsubscribeSecret } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';
import { incomingOrder } from '../support/orders.js';

const day = 86_400_000;

async function shop(change: (raw: RawConfig) => void = () => {}) {
  const local = await localShop();
  await applyCampaignConfig(testConfig(change), 'test', local.deps);
  const orders = new DynamoOrderStore(local.client, local.tableName);
  const config = activeConfig(local.deps.configs, local.deps.clock);
  const order = (customer: Customer, placedAt: Date) =>
    ingestOrder(incomingOrder({ customerId: customer.customerId, email: customer.email!, placedAt: placedAt.toISOString(), totalMinor: 4_200 }), randomUUID(), {
      orders,
      clock: local.deps.clock,
      config,
    });
  const report = (options: Parameters<typeof buildReport>[1] = {}) =>
    buildReport({ source: new DynamoReportSource(local.client, local.tableName), configs: local.deps.configs, clock: local.deps.clock }, options);
  return { ...local, order, report };
}

describe('churn over time and why customers leave, on DynamoDB Local', () => {
  it('follows lapsed customers to their next order, and reads reasons and feedback per campaign', async () => {
    // Prepare: 3 lost and 2 at-risk customers who are emailed, and a lost one without consent (skipped, logged)
    const s = await shop();
    const lost = ['2026-03-01', '2026-04-01', '2026-05-01'];
    const lostOnes = Array.from({ length: 3 }, (_, index) => customerFrom({ name: `Lost${index}`, orderDays: lost }));
    const atRiskOnes = Array.from({ length: 2 }, (_, index) => customerFrom({ name: `Risk${index}`, orderDays: ['2026-09-12', '2026-10-02', '2026-10-22'] }));
    const unconsented = customerFrom({ name: 'Quiet', orderDays: lost, consent: 'not_subscribed' });
    await s.deps.customers.putMany([...lostOnes, ...atRiskOnes, unconsented]);
    const night = await workflowNight(s, '2026-11-22');
    const nightAt = Date.parse(night.nightAt);
    // one emailed lost customer and the unconsented one order again; another lost customer answers the survey
    await s.order(lostOnes[0]!.customer, new Date(nightAt + 3 * day));
    await s.order(unconsented.customer, new Date(nightAt + 5 * day));
    const [answered] = await s.deps.ledger.sendsOf(lostOnes[1]!.customer.customerId);
    expect(
      await recordFeedback(signFeedbackToken(answered!, testUnsubscribeSecret), 'prices', 'Cheaper elsewhere <3', { ...s.deps, secret: testUnsubscribeSecret }),
    ).toBe('recorded');
    // Act
    const report = await s.report();
    // Assess: churn is the night's own count
    expect(report.churn.nights).toEqual([
      expect.objectContaining({ night: '2026-11-22', active: night.active, atRisk: night.atRisk, lost: night.lost, classifiedBy: 'rule' }),
    ]);
    expect(night.atRisk + night.lost).toBe(6);
    // 6 lapsed customers: 5 emailed (1 ordered), 1 skipped for consent (ordered)
    expect(report.churn.reactivation).toMatchObject({ customers: 6, reactivated: 2, windowDays: 30 });
    expect(report.churn.reactivation.byContact).toMatchObject({
      emailed: { customers: 5, reactivated: 1 },
      not_emailed: { customers: 1, reactivated: 1 },
      held_out: { customers: 0 },
    });
    expect(report.churn.reactivation.wonBack).toBe(1);
    expect(report.churn.reactivation.byNight).toEqual([expect.objectContaining({ night: '2026-11-22', customers: 6, reactivated: 2 })]);
    // reasons as of the night that chose them; the one who ordered since is counted apart
    const lostWinback = report.reasons.codes.byCampaign.find((row) => row.campaignId === 'lost-winback')!;
    expect(lostWinback).toMatchObject({ customers: 2, orderedSince: 1, codes: { overdue_own_cadence: 2 } });
    expect(report.reasons.codes.byCampaign.find((row) => row.campaignId === 'at-risk-nudge')).toMatchObject({
      customers: 2,
      orderedSince: 0,
      codes: { overdue_own_cadence: 2 },
    });
    expect(report.reasons.codes.byNight).toEqual([expect.objectContaining({ night: '2026-11-22', customers: 4, orderedSince: 1 })]);
    // now: as of the latest night with today's profiles, so the two lost customers who ordered since are active again
    expect(report.reasons.codes.now).toMatchObject({
      asOf: '2026-11-22',
      byStatus: { lost: { customers: night.lost - 2 }, at_risk: { customers: night.atRisk } },
    });
    expect(report.reasons.feedback).toMatchObject({ total: 1, byCampaign: { 'lost-winback': { prices: 1 } } });
    expect(report.reasons.feedback.comments).toEqual([
      expect.objectContaining({ campaignId: 'lost-winback', night: '2026-11-22', answer: 'prices', comment: 'Cheaper elsewhere <3' }),
    ]);
    // every output of `winback report` carries it: the terminal tables and the HTML page (the comment as text)
    const text = formatReport(report);
    expect(text).toContain('Reactivation within 30 days: 2 / 6 (33.3%)');
    expect(text).toContain('(prices): Cheaper elsewhere <3');
    const html = reportHtml(report);
    expect(html).toContain('<h2>Churn over time</h2>');
    expect(html).toContain('<q>Cheaper elsewhere &lt;3</q>');
    expect(html).not.toContain('Cheaper elsewhere <3');
    if (process.env.SHOW_REPORT) console.log(text);
  });

  it("compares each model night's expected purchase days with the purchase days that followed", async () => {
    // Prepare: a demo shop with orders to 2026-11-21, classified by the model on two nights three weeks apart
    const s = await shop((raw) => {
      raw.classification.policy = 'model';
      raw.classification.model.minCustomers = 100;
    });
    const entries = [...generateDemoShop({ customers: 400, endDate: '2026-11-21', shopTimeZone, currency: 'EUR', seed: 11 })];
    await s.deps.customers.putMany(entries);
    const first = await workflowNight(s, '2026-10-31');
    const last = await workflowNight(s, '2026-11-21');
    // Act
    const report = await s.report({ calibrationDays: 14 });
    // Assess: the first night, over 14 days, recomputed here from the generated orders
    expect(first.scoring.used).toBe('model');
    expect(report.churn.nights.map((night) => [night.night, night.atRisk, night.lost, night.classifiedBy])).toEqual([
      ['2026-10-31', first.atRisk, first.lost, 'model'],
      ['2026-11-21', last.atRisk, last.lost, 'model'],
    ]);
    const night = '2026-10-31';
    const model = parseFittedModel(first.scoring.model) as FittedPurchaseModel;
    let predicted = 0;
    let actual = 0;
    let customers = 0;
    for (const { orders } of entries) {
      const days = [...new Set(orders.map((order) => calendarDateIn(order.placedAt, shopTimeZone)))].sort();
      const before = days.filter((purchaseDay) => purchaseDay < night);
      if (before.length === 0) continue;
      customers += 1;
      const x = before.length - 1;
      predicted += expectedPurchases(model, { x, tx: x === 0 ? 0 : daysBetween(before[0]!, before.at(-1)!), T: daysBetween(before[0]!, night) }, 14);
      actual += days.filter((purchaseDay) => purchaseDay >= night && purchaseDay < addDays(night, 14)).length;
    }
    const calibrated = report.churn.calibration.nights;
    expect(calibrated.map((row) => [row.night, row.horizonDays])).toEqual([[night, 14]]);
    expect(calibrated[0]).toMatchObject({ model: model.model, customers, skipped: 0, actual });
    expect(calibrated[0]!.predicted).toBeCloseTo(predicted, 1);
    expect(calibrated[0]!.bins.reduce((sum, bin) => sum + bin.customers, 0)).toBe(customers);
    // reason codes now: the statuses the latest night gave
    expect(report.reasons.codes.now).toMatchObject({ asOf: '2026-11-21', byStatus: { at_risk: { customers: last.atRisk }, lost: { customers: last.lost } } });
  });
});
