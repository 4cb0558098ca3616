import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type GroupOutcome, groupOutcome, measureLift, newcombeInterval, relativeLiftInterval, wilsonInterval } from '../../lib/domain/report.js';

const settings = { minConversions: 20, currency: 'EUR', locale: 'en-IE' };

/** A group of `customers` of whom `converted` ordered once, each order worth `orderMinor`. */
function group(customers: number, converted: number, orderMinor = 5_000, discountMinor = 0): GroupOutcome {
  return groupOutcome(
    Array.from({ length: customers }, (_, index) =>
      index < converted
        ? { converted: true, orders: 1, revenueMinor: orderMinor, discountMinor: index === 0 ? discountMinor : 0 }
        : { converted: false, orders: 0, revenueMinor: 0, discountMinor: 0 },
    ),
  );
}

describe('confidence intervals', () => {
  it('matches Wilson by hand: 0 of 10 gives [0, z²/n / (1 + z²/n)]', () => {
    // Prepare: z = 1.95996, z² = 3.84146, so the upper bound is 0.384146 / 1.384146 = 0.27753
    // Act
    const [low, high] = wilsonInterval(0, 10);
    // Assess
    expect(low).toBe(0);
    expect(high).toBeCloseTo(0.27753, 5);
  });

  it('matches Wilson by hand for 81 of 263 (Newcombe 1998, the single-proportion example)', () => {
    // Act
    const [low, high] = wilsonInterval(81, 263);
    // Assess
    expect(low).toBeCloseTo(0.2553, 4);
    expect(high).toBeCloseTo(0.3662, 4);
  });

  // Newcombe (1998), "Interval estimation for the difference between independent proportions", Table II, method 10.
  it.each([
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.809],
    [6, 7, 2, 7, 0.0582, 0.8062],
    [5, 56, 0, 29, -0.0381, 0.1926],
    [0, 10, 0, 20, -0.1611, 0.2775],
    [10, 10, 0, 20, 0.6791, 1],
    [10, 10, 0, 10, 0.6075, 1],
  ])('gives Newcombe’s hybrid score interval for %i/%i − %i/%i', (x1, n1, x2, n2, low, high) => {
    // Act
    const interval = newcombeInterval(x1, n1, x2, n2);
    // Assess
    expect(interval[0]).toBeCloseTo(low, 4);
    expect(interval[1]).toBeCloseTo(high, 4);
  });

  it('works the 0/10 − 0/20 case through by hand: each bound is the other group’s Wilson upper bound', () => {
    // Prepare: Wilson upper bounds 0.384146 / 1.384146 = 0.27753 (n = 10) and 0.192073 / 1.192073 = 0.16113 (n = 20); the difference is 0
    // Act
    const [low, high] = newcombeInterval(0, 10, 0, 20);
    // Assess
    expect(low).toBeCloseTo(-0.16113, 5);
    expect(high).toBeCloseTo(0.27753, 5);
  });

  it('keeps the difference inside its interval and the interval inside [-1, 1]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n1, n2, s1, s2) => {
          const [x1, x2] = [Math.round(s1 * n1), Math.round(s2 * n2)];
          const [low, high] = newcombeInterval(x1, n1, x2, n2);
          const difference = x1 / n1 - x2 / n2;
          expect(low).toBeLessThanOrEqual(difference + 1e-12);
          expect(high).toBeGreaterThanOrEqual(difference - 1e-12);
          expect(low).toBeGreaterThanOrEqual(-1 - 1e-12);
          expect(high).toBeLessThanOrEqual(1 + 1e-12);
        },
      ),
    );
  });

  it('gives the Katz log interval for the relative lift, and none when a group has no conversions', () => {
    // Prepare: 20/100 vs 10/100, risk ratio 2, se = sqrt(1/20 − 1/100 + 1/10 − 1/100) = sqrt(0.13) = 0.360555
    // ratio interval 2 × exp(∓1.959964 × 0.360555) = [0.98660, 4.05434]
    // Act
    const interval = relativeLiftInterval(20, 100, 10, 100);
    // Assess
    expect(interval![0]).toBeCloseTo(0.9866 - 1, 3);
    expect(interval![1]).toBeCloseTo(4.05434 - 1, 3);
    expect(relativeLiftInterval(5, 100, 0, 50)).toBeUndefined();
  });
});

describe('lift against the holdout', () => {
  it('computes absolute and relative lift, incremental orders and revenue net of discount', () => {
    // Prepare: 60 of 1000 emailed ordered (6%), 10 of 500 held out (2%); every order 50.00; 30.00 given in discounts
    const treated = group(1000, 60, 5_000, 3_000);
    const holdout = group(500, 10);
    // Act
    const lift = measureLift(treated, holdout, settings);
    // Assess: 60 - 10 × 1000/500 = 40 extra orders; 3000.00 - 500.00 × 2 = 2000.00 extra revenue, as paid
    expect(lift.absolute).toBeCloseTo(0.04, 10);
    expect(lift.relative).toBeCloseTo(2, 10);
    expect(lift.incrementalOrders).toBeCloseTo(40, 10);
    expect(lift.incrementalRevenue).toEqual({ grossMinor: 203_000, discountCostMinor: 3_000, netMinor: 200_000 });
    expect(lift.ci95![0]).toBeGreaterThan(0);
    expect(lift.verdict.kind).toBe('positive');
    expect(lift.verdict.text).toContain('about 40 extra orders and €2,000.00 of extra revenue after discounts');
  });

  it('says it is too early to tell with fewer conversions than the minimum, even when the interval excludes zero', () => {
    // Prepare: 9 of 20 against 0 of 20: the interval is clear of zero, but 9 conversions are not evidence
    const lift = measureLift(group(20, 9), group(20, 0), settings);
    // Assess
    expect(lift.ci95![0]).toBeGreaterThan(0);
    expect(lift.verdict.kind).toBe('too_small');
    expect(lift.verdict.text).toMatch(/^Too early to tell: only 9 conversions so far \(9 emailed, 0 holdout; at least 20 are needed\)/);
    expect(lift.relative).toBeUndefined();
  });

  it('calls an interval that spans zero inconclusive, not a win', () => {
    // Prepare: 5.5% against 5% with plenty of conversions
    const lift = measureLift(group(1000, 55), group(400, 20), settings);
    // Assess
    expect(lift.ci95![0]).toBeLessThan(0);
    expect(lift.ci95![1]).toBeGreaterThan(0);
    expect(lift.verdict.kind).toBe('inconclusive');
    expect(lift.verdict.text).toContain('includes zero');
  });

  it('warns when the emailed group orders clearly less than the holdout', () => {
    // Act
    const lift = measureLift(group(1000, 20), group(1000, 60), settings);
    // Assess
    expect(lift.ci95![1]).toBeLessThan(0);
    expect(lift.verdict.kind).toBe('negative');
  });

  it('measures nothing without a holdout, and says how to get one', () => {
    // Act
    const lift = measureLift(group(300, 30), group(0, 0), settings);
    // Assess
    expect(lift.ci95).toBeUndefined();
    expect(lift.absolute).toBeUndefined();
    expect(lift.verdict).toMatchObject({ kind: 'no_holdout', text: expect.stringContaining('holdoutPercent') });
  });
});
