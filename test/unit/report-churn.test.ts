import { describe, expect, it } from 'vitest';
import { modelSummary } from '../../lib/domain/classification.js';
import { addDays } from '../../lib/domain/dates.js';
import type { ReportOrder } from '../../lib/domain/report.js';
import {
  calibrateNight,
  calibrationNights,
  churnByNight,
  feedbackDistribution,
  type LoggedDecision,
  measureReactivation,
  type NightRecord,
  reactivationUnits,
  summaryAsOf,
  tallyReasons,
} from '../../lib/domain/report-churn.js';
import { expectedPurchases, parseFittedModel } from '../../lib/domain/scoring/models.js';
import type { FittedPurchaseModel } from '../../lib/domain/scoring/types.js';
import type { SendRecord } from '../../lib/domain/sends.js';
import { customerFrom, shopTimeZone } from '../support/customers.js';

const instantOf = (night: string) => `${night}T02:00:00.000Z`;

function run(asOf: string, counts: Partial<NightRecord> = {}): NightRecord {
  return {
    runId: `run-${asOf}`,
    asOf,
    startedAt: `${asOf}T02:00:00.000Z`,
    status: 'finished',
    customersScanned: 100,
    active: 60,
    atRisk: 20,
    lost: 10,
    noOrders: 10,
    ...counts,
  };
}

function send(customerId: string, asOf: string, overrides: Partial<SendRecord> = {}): SendRecord {
  return {
    customerId,
    campaignId: 'lost-winback',
    episode: '2026-03-01',
    step: 0,
    runId: `run-${asOf}`,
    asOf,
    reservedAt: instantOf(asOf),
    status: 'sent',
    arm: 'control',
    ...overrides,
  };
}

function order(customerId: string, placedAt: string, extra: Partial<ReportOrder> = {}): ReportOrder {
  return { customerId, orderId: `${customerId}-${placedAt}`, placedAt, totalMinor: 5_000, currency: 'EUR', ...extra };
}

describe('churn per night', () => {
  it('keeps the latest run that scanned to the end per night, and shares the customers who have ordered', () => {
    // Prepare: night 1 ran twice; night 2 has a failed run after its finished one; night 3 only a running one
    const runs = [
      run('2026-10-01', { startedAt: '2026-10-01T02:00:00.000Z', active: 1, atRisk: 1, lost: 1 }),
      run('2026-10-01', { startedAt: '2026-10-01T05:00:00.000Z', active: 50, atRisk: 30, lost: 20, noOrders: 7, scoring: { used: 'model' } }),
      run('2026-10-02', { active: 40, atRisk: 40, lost: 20 }),
      run('2026-10-02', { startedAt: '2026-10-02T09:00:00.000Z', status: 'failed', active: 0, atRisk: 0, lost: 0 }),
      run('2026-10-03', { status: 'running' }),
    ];
    // Act
    const nights = churnByNight(runs);
    // Assess
    expect(nights.map((night) => night.night)).toEqual(['2026-10-01', '2026-10-02']);
    expect(nights[0]).toMatchObject({ withOrders: 100, active: 50, atRisk: 30, lost: 20, noOrders: 7, classifiedBy: 'model' });
    expect(nights[0]!.shares).toEqual({ active: 0.5, atRisk: 0.3, lost: 0.2 });
    expect(nights[1]).toMatchObject({ classifiedBy: 'rule', shares: { active: 0.4, atRisk: 0.4, lost: 0.2 } });
  });
});

describe('reactivation', () => {
  it('follows each lapsed customer from their first recorded night and counts counted orders within the window', () => {
    // Prepare: a emailed (orders on day 3), b held out (orders on day 40: too late), c skipped for consent (a
    // cancelled order, then a real one), d only ever "active" in an old log (not lapsed), e emailed on night 2
    const sends = [
      send('a', '2026-10-01'),
      send('a', '2026-10-08', { step: 1 }),
      send('b', '2026-10-01', { status: 'held_out', arm: 'holdout' }),
      send('e', '2026-10-02'),
    ];
    const decisions: LoggedDecision[] = [
      { customerId: 'c', asOf: '2026-10-01', outcome: 'skipped', reason: 'no_consent' },
      { customerId: 'a', asOf: '2026-09-30', outcome: 'skipped', reason: 'beyond_window' },
      { customerId: 'd', asOf: '2026-10-01', outcome: 'skipped', reason: 'active' },
    ];
    const orders: Record<string, ReportOrder[]> = {
      a: [order('a', '2026-10-03T10:00:00.000Z', { orderId: 'won' })],
      b: [order('b', '2026-11-09T10:00:00.000Z')],
      c: [order('c', '2026-10-05T10:00:00.000Z', { counts: false }), order('c', '2026-10-06T10:00:00.000Z')],
    };
    // Act
    const units = reactivationUnits(sends, decisions, instantOf, 30);
    const result = measureReactivation(units, (id) => orders[id] ?? [], new Set(['won']), 30, '2026-10-20T00:00:00.000Z');
    // Assess
    expect(units.map((unit) => [unit.customerId, unit.night, unit.contact]).sort()).toEqual([
      ['a', '2026-09-30', 'emailed'],
      ['b', '2026-10-01', 'held_out'],
      ['c', '2026-10-01', 'not_emailed'],
      ['e', '2026-10-02', 'emailed'],
    ]);
    expect(result).toMatchObject({ customers: 4, reactivated: 2, rate: 0.5, wonBack: 1, windowDays: 30 });
    expect(result.byContact).toEqual({
      emailed: { customers: 2, reactivated: 1, rate: 0.5 },
      held_out: { customers: 1, reactivated: 0, rate: 0 },
      not_emailed: { customers: 1, reactivated: 1, rate: 1 },
    });
    // the data ends on 2026-10-20: no 30-day window has closed yet
    expect(result.byNight.map((night) => [night.night, night.customers, night.reactivated, night.complete])).toEqual([
      ['2026-09-30', 1, 1, false],
      ['2026-10-01', 2, 1, false],
      ['2026-10-02', 1, 0, false],
    ]);
  });

  it('marks a night complete once its window has ended within the data', () => {
    // Prepare
    const units = reactivationUnits([send('a', '2026-10-01')], [], instantOf, 7);
    // Act
    const open = measureReactivation(units, () => [], new Set(), 7, '2026-10-08T01:59:59.000Z');
    const closed = measureReactivation(units, () => [], new Set(), 7, '2026-10-08T02:00:00.000Z');
    // Assess
    expect(open.byNight[0]!.complete).toBe(false);
    expect(closed.byNight[0]!.complete).toBe(true);
  });
});

describe('calibration', () => {
  const model = parseFittedModel({
    model: 'bgnbd',
    params: { r: 0.5, alpha: 20, a: 0.6, b: 2.5 },
    logLikelihood: -1,
    customers: 3,
    iterations: 1,
    ms: 0,
  }) as FittedPurchaseModel;
  const days = (start: string, count: number, every: number) => Array.from({ length: count }, (_, index) => addDays(start, index * every));

  it('rebuilds the summary a customer had on an earlier night from the purchase days the profile keeps', () => {
    // Prepare: a customer buying every 20 days, seen in full, and the same customer with only the orders before the night
    // one purchase falls on the night itself: it came after the night's 03:00 run, so it is not history yet
    const orderDays = days('2025-06-01', 20, 20);
    const night = '2026-01-07';
    expect(orderDays).toContain(night);
    const full = customerFrom({ name: 'Ana', orderDays });
    const then = customerFrom({ name: 'Ana', orderDays: orderDays.filter((day) => day < night) });
    // Act
    const rebuilt = summaryAsOf(full.customer, night, shopTimeZone);
    // Assess
    const expected = modelSummary(then.customer, night, shopTimeZone)!;
    expect(rebuilt).toEqual({ x: expected.x, tx: expected.tx, T: expected.T });
    expect(summaryAsOf(full.customer, '2025-06-01', shopTimeZone)).toBeUndefined();
  });

  it("sums the model's expected purchase days against the purchase days that followed, by prior repeat purchases", () => {
    // Prepare: a one-time buyer, a customer with 3 purchase days before the night and 2 after, one with 9 and 1 after,
    // one who first bought after the night (not a customer yet), and a one-time buyer who buys again on the night's day
    const night = '2026-02-01';
    const customers = [
      customerFrom({ name: 'One', orderDays: ['2025-12-01'] }),
      customerFrom({ name: 'Three', orderDays: ['2025-11-01', '2025-12-01', '2026-01-01', '2026-02-10', '2026-02-20'] }),
      customerFrom({ name: 'Nine', orderDays: [...days('2025-10-01', 9, 10), '2026-02-05', '2026-04-01'] }),
      customerFrom({ name: 'Late', orderDays: ['2026-02-03'] }),
      customerFrom({ name: 'Same', orderDays: ['2025-12-15', '2026-02-01'] }),
    ];
    const horizon = 30;
    // Act
    const result = calibrateNight(
      model,
      night,
      horizon,
      customers.map((entry) => entry.customer),
      shopTimeZone,
    );
    // Assess: the prediction is the model's for the summaries as they stood, computed from the orders before the night
    const before = [...customers.slice(0, 3), customers[4]!].map(
      ({ customer }, index) =>
        modelSummary(
          customerFrom({ name: `b${index}`, orderDays: customer.summary.recentPurchaseDays.filter((day) => day < night) }).customer,
          night,
          shopTimeZone,
        )!,
    );
    const predictions = before.map((summary) => expectedPurchases(model, { x: summary.x, tx: summary.tx, T: summary.T }, horizon));
    expect(result).toMatchObject({ night, model: 'bgnbd', horizonDays: horizon, customers: 4, skipped: 0, actual: 2 + 1 + 1 });
    expect(result.predicted).toBeCloseTo(
      predictions.reduce((sum, value) => sum + value, 0),
      9,
    );
    expect(result.error).toBeCloseTo(result.predicted / 4 - 1, 9);
    const bin = (name: string) => result.bins.find((row) => row.bin === name)!;
    expect(bin('0')).toMatchObject({ customers: 2, actual: 1 });
    expect(bin('2')).toMatchObject({ customers: 1, actual: 2 });
    expect(bin('7+')).toMatchObject({ customers: 1, actual: 1 });
    expect(bin('7+').predicted).toBeCloseTo(predictions[2]!, 9);
  });

  it('calibrates at most the given number of nights, spread from the first to the last with a day of history after it', () => {
    // Prepare
    const nights = days('2026-10-01', 21, 1);
    // Act
    const picked = calibrationNights(nights, '2026-10-21', 5);
    // Assess
    expect(picked).toHaveLength(5);
    expect(picked[0]).toBe('2026-10-01');
    expect(picked.at(-1)).toBe('2026-10-20');
    expect(calibrationNights(['2026-10-21', '2026-10-20'], '2026-10-21', 5)).toEqual(['2026-10-20']);
  });
});

describe('why customers leave', () => {
  it('counts feedback answers per campaign and night, and lists the comments newest first', () => {
    // Prepare
    const sends = [
      send('a', '2026-10-01', { feedback: { answer: 'prices', comment: 'Too dear <b>now</b>', at: '2026-10-02T10:00:00.000Z' } }),
      send('b', '2026-10-01', { feedback: { answer: 'prices', at: '2026-10-02T11:00:00.000Z' } }),
      send('c', '2026-10-02', { campaignId: 'at-risk-nudge', feedback: { answer: 'delivery', comment: 'Late twice', at: '2026-10-03T09:00:00.000Z' } }),
      send('d', '2026-10-02'),
    ];
    // Act
    const result = feedbackDistribution(sends, 10);
    // Assess
    expect(result.total).toBe(3);
    expect(result.answers.find((row) => row.answer === 'prices')).toEqual({ answer: 'prices', label: 'Prices', count: 2 });
    expect(result.answers.find((row) => row.answer === 'quality')!.count).toBe(0);
    expect(result.byCampaign).toEqual({ 'lost-winback': { prices: 2 }, 'at-risk-nudge': { delivery: 1 } });
    expect(result.byNight).toEqual([
      { night: '2026-10-01', total: 2, answers: { prices: 2 } },
      { night: '2026-10-02', total: 1, answers: { delivery: 1 } },
    ]);
    expect(result.comments.map((comment) => comment.comment)).toEqual(['Late twice', 'Too dear <b>now</b>']);
    expect(feedbackDistribution(sends, 1).comments).toHaveLength(1);
  });

  it('counts each customer once per reason code, overall and by status', () => {
    // Act
    const tally = tallyReasons([
      { status: 'lost', reasonCodes: ['overdue_own_cadence', 'regular_gone_quiet'] },
      { status: 'lost', reasonCodes: ['overdue_own_cadence', 'overdue_own_cadence'] },
      { status: 'at_risk', reasonCodes: [] },
    ]);
    // Assess
    expect(tally).toMatchObject({ customers: 3, withoutReason: 1, codes: { overdue_own_cadence: 2, regular_gone_quiet: 1 } });
    expect(tally.byStatus.at_risk).toEqual({ customers: 1, withoutReason: 1, codes: {} });
    expect(tally.byStatus.lost.codes).toEqual({ overdue_own_cadence: 2, regular_gone_quiet: 1 });
  });
});
