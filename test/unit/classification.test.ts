import { describe, expect, it } from 'vitest';
import { classify, type ShopPace } from '../../lib/domain/classification.js';
import { addDays } from '../../lib/domain/dates.js';
import { customerFrom, shopTimeZone, testConfig } from '../support/customers.js';

const settings = testConfig().classification;
const pace: ShopPace = { secondOrderGapDays: 40, measuredOn: 100 };
const asOf = '2026-11-22';

/** A regular who buys every `gap` days and last bought `daysAgo` days before asOf. */
function regular(gap: number, daysAgo: number) {
  const last = addDays(asOf, -daysAgo);
  return customerFrom({ name: 'Ana', orderDays: [addDays(last, -2 * gap), addDays(last, -gap), last] }).customer;
}

describe('the cadence rule', () => {
  it('calls a customer who ordered today active', () => {
    // Prepare
    const customer = customerFrom({ name: 'Ana', orderDays: [asOf] }).customer;
    // Act
    const result = classify(customer, asOf, pace, settings, shopTimeZone);
    // Assess
    expect(result).toMatchObject({ status: 'active', daysSinceLastOrder: 0, expectedGapDays: 40 });
  });

  it('keeps a customer at exactly 1.5x their gap active and calls one day later at risk', () => {
    // Prepare
    const onTheEdge = regular(30, 45);
    const past = regular(30, 46);
    // Act
    const edge = classify(onTheEdge, asOf, pace, settings, shopTimeZone);
    const later = classify(past, asOf, pace, settings, shopTimeZone);
    // Assess
    expect(edge).toMatchObject({ status: 'active', expectedGapDays: 30, overdueRatio: 1.5 });
    expect(later.status).toBe('at_risk');
  });

  it('keeps a customer at exactly 2x at risk and calls them lost beyond it', () => {
    // Prepare / Act
    const atTwice = classify(regular(30, 60), asOf, pace, settings, shopTimeZone);
    const beyond = classify(regular(30, 61), asOf, pace, settings, shopTimeZone);
    // Assess
    expect(atTwice.status).toBe('at_risk');
    expect(beyond.status).toBe('lost');
  });

  it("holds one-time buyers to the shop's second-order gap", () => {
    // Prepare
    const oneTime = customerFrom({ name: 'Bo', orderDays: [addDays(asOf, -61)] }).customer;
    const oneTimeLost = customerFrom({ name: 'Cy', orderDays: [addDays(asOf, -81)] }).customer;
    // Act
    const atRisk = classify(oneTime, asOf, pace, settings, shopTimeZone);
    const lost = classify(oneTimeLost, asOf, pace, settings, shopTimeZone);
    // Assess
    expect(atRisk).toMatchObject({ status: 'at_risk', expectedGapDays: 40 });
    expect(lost.status).toBe('lost');
  });

  it('never expects a gap shorter than the configured floor', () => {
    // Prepare: two orders two days apart, last one 20 days ago
    const customer = customerFrom({ name: 'Di', orderDays: [addDays(asOf, -22), addDays(asOf, -20)] }).customer;
    // Act
    const result = classify(customer, asOf, pace, settings, shopTimeZone);
    // Assess
    expect(result).toMatchObject({ status: 'active', expectedGapDays: settings.minExpectedGapDays });
  });

  it('puts customers without orders aside instead of guessing', () => {
    // Prepare
    const customer = customerFrom({ name: 'Ed', orderDays: [] }).customer;
    // Act
    const result = classify(customer, asOf, pace, settings, shopTimeZone);
    // Assess
    expect(result).toMatchObject({ status: 'no_orders', valueAtStakeMinor: 0, priority: 0 });
  });

  it('ranks a more valuable customer above a cheaper one at the same lateness', () => {
    // Prepare
    const big = customerFrom({ name: 'Fay', orderDays: ['2026-06-01', '2026-07-01', '2026-08-01'], amount: '200.00' }).customer;
    const small = customerFrom({ name: 'Gus', orderDays: ['2026-06-01', '2026-07-01', '2026-08-01'], amount: '20.00' }).customer;
    // Act
    const [bigScore, smallScore] = [big, small].map((customer) => classify(customer, asOf, pace, settings, shopTimeZone));
    // Assess
    // value at stake = average order value x expected orders a year
    expect(bigScore!.valueAtStakeMinor).toBe(Math.round((20_000 * 365) / bigScore!.expectedGapDays!));
    expect(bigScore!.valueAtStakeMinor).toBeGreaterThan(9 * smallScore!.valueAtStakeMinor);
    expect(bigScore!.priority).toBeGreaterThan(smallScore!.priority);
  });

  it('treats an order placed after the night as active, not as negative lateness', () => {
    // Prepare
    const customer = customerFrom({ name: 'Hal', orderDays: ['2026-12-01'] }).customer;
    // Act
    const result = classify(customer, asOf, pace, settings, shopTimeZone);
    // Assess
    expect(result).toMatchObject({ status: 'active', daysSinceLastOrder: 0 });
  });
});
