import { describe, expect, it } from 'vitest';
import { applyOrder, emptySummary, type Order } from '../../lib/domain/customer.js';

const zone = 'Europe/Amsterdam';
const order = (orderId: string, placedAt: string, totalMinor: number, title = 'Tote'): Order => ({
  orderId,
  customerId: '9007199254740993',
  placedAt,
  totalMinor,
  currency: 'EUR',
  lineItems: [{ title, quantity: 1, priceMinor: totalMinor }],
  source: 'test',
});

describe('the purchase summary', () => {
  it('counts orders and distinct purchase days, and keeps money exact', () => {
    // Prepare
    const orders = [order('1', '2026-01-10T09:00:00Z', 1999), order('2', '2026-01-10T18:00:00Z', 1), order('3', '2026-02-09T12:00:00Z', 1000)];
    // Act
    const summary = orders.reduce((current, next) => applyOrder(current, next, zone), emptySummary);
    // Assess
    expect(summary).toMatchObject({
      orderCount: 3,
      purchaseDays: 2,
      totalSpendMinor: 3000,
      averageOrderValueMinor: 1000,
      typicalGapDays: 30,
      firstRepeatGapDays: 30,
    });
  });

  it('gives the same summary whatever order the orders arrive in', () => {
    // Prepare
    const orders = [order('1', '2026-01-01T12:00:00Z', 500, 'A'), order('2', '2026-03-01T12:00:00Z', 700, 'B'), order('3', '2026-02-01T12:00:00Z', 900, 'C')];
    // Act
    const forward = orders.reduce((current, next) => applyOrder(current, next, zone), emptySummary);
    const backward = [...orders].reverse().reduce((current, next) => applyOrder(current, next, zone), emptySummary);
    // Assess
    expect(backward).toEqual(forward);
    expect(forward).toMatchObject({ firstOrderAt: '2026-01-01T12:00:00Z', lastOrderAt: '2026-03-01T12:00:00Z', lastProducts: ['B'], firstRepeatGapDays: 31 });
  });

  it("counts purchase days in the shop's time zone", () => {
    // Prepare: 23:30 UTC on 31 Jan is already 1 Feb in Amsterdam, the same day as the second order
    const orders = [order('1', '2026-01-31T23:30:00Z', 100), order('2', '2026-02-01T10:00:00Z', 100)];
    // Act
    const summary = orders.reduce((current, next) => applyOrder(current, next, zone), emptySummary);
    // Assess
    expect(summary.purchaseDays).toBe(1);
    expect(summary.recentPurchaseDays).toEqual(['2026-02-01']);
  });
});
