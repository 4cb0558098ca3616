import { describe, expect, it } from 'vitest';
import { campaignMetrics, estimateDiscountMinor, liftUnits, type ReportOrder, unitOutcome } from '../../lib/domain/report.js';
import type { SendRecord } from '../../lib/domain/sends.js';

const night = '2026-10-01T01:00:00.000Z';
const estimate = { freeShippingMinor: 495 };

function entry(overrides: Partial<SendRecord> & Pick<SendRecord, 'customerId' | 'status'>): SendRecord {
  return { campaignId: 'lost-winback', episode: '2026-03-01', step: 0, runId: 'run-1', asOf: '2026-10-01', reservedAt: night, arm: 'control', ...overrides };
}

function order(customerId: string, placedAt: string, totalMinor: number, extra: Partial<ReportOrder> = {}): ReportOrder {
  return { customerId, orderId: `${customerId}-${placedAt}`, placedAt, totalMinor, currency: 'EUR', ...extra };
}

describe('discount cost estimate', () => {
  it.each([
    [{ kind: 'percent', value: 15 }, 8_500, 1_500],
    [{ kind: 'percent', value: 10 }, 4_999, 555],
    [{ kind: 'fixed_amount', value: 1_000 }, 4_000, 1_000],
    [{ kind: 'free_shipping', value: 0 }, 4_000, 495],
    [{ kind: 'none', value: 0 }, 4_000, 0],
    [undefined, 4_000, 0],
  ])('estimates %o on a paid total of %i as %i minor units', (offer, paid, expected) => {
    // Act / Assess: a 15% coupon on a paid 85.00 means a list price of 100.00, so 15.00 was given away
    expect(estimateDiscountMinor(offer, paid, estimate)).toBe(expected);
  });
});

describe('funnel metrics', () => {
  it('counts each ledger entry once per campaign, variant, step and night, with attributed revenue and coupon cost', () => {
    // Prepare
    const sends: SendRecord[] = [
      entry({
        customerId: 'a',
        status: 'sent',
        completedAt: night,
        events: { delivered: night, opened: night, clicked: night },
        offer: { kind: 'percent', value: 15 },
        attribution: { orderId: 'o1', revenueMinor: 8_500, currency: 'EUR', placedAt: '2026-10-02T10:00:00.000Z', by: 'coupon' },
      }),
      entry({
        customerId: 'b',
        status: 'sent',
        completedAt: night,
        events: { delivered: night, complained: night },
        attribution: { orderId: 'o2', revenueMinor: 4_000, currency: 'EUR', placedAt: '2026-10-03T10:00:00.000Z', by: 'window' },
      }),
      entry({ customerId: 'c', status: 'sent', completedAt: night, events: { bounced: night } }),
      entry({ customerId: 'd', status: 'held_out', arm: 'holdout' }),
      entry({ customerId: 'e', status: 'scheduled', arm: 'bigger-first-offer', asOf: '2026-10-02' }),
      entry({ customerId: 'f', status: 'failed', step: 1 }),
      // Ambiguous: a run died between reserving and SES's answer, or SES timed out (never resent, shown apart).
      entry({ customerId: 'h', status: 'reserved' }),
      entry({ customerId: 'i', status: 'failed', errorCode: 'unconfirmed:TimeoutError' }),
      // Never sent: the shop's platform never confirmed its coupon code (docs/coupons.md); an opt-out's cancel is not that.
      entry({ customerId: 'j', status: 'cancelled', errorCode: 'coupon_unavailable' }),
      entry({ customerId: 'k', status: 'cancelled', errorCode: 'opted_out' }),
      entry({ customerId: 'g', status: 'sent', completedAt: night, campaignId: 'at-risk-nudge', events: { delivered: night, unsubscribed: night } }),
    ];
    // Act
    const metrics = campaignMetrics(sends, estimate);
    // Assess
    const lost = metrics.get('lost-winback')!;
    expect(lost.total).toEqual({
      eligible: 5,
      heldOut: 1,
      sent: 3,
      scheduled: 1,
      failed: 1,
      unconfirmed: 2,
      couponUnavailable: 1,
      delivered: 2,
      bounced: 1,
      complained: 1,
      opened: 1,
      clicked: 1,
      unsubscribed: 0,
      converted: 2,
      revenueMinor: 12_500,
      discountCostMinor: 1_500,
      couponRedemptions: 1,
      freeShippingRedemptions: 0,
    });
    expect([...lost.byVariant.keys()].sort()).toEqual(['bigger-first-offer', 'control', 'holdout']);
    expect(lost.byVariant.get('holdout')).toMatchObject({ eligible: 1, heldOut: 1, sent: 0 });
    expect(lost.byStep.get(1)).toMatchObject({ failed: 1, eligible: 0 });
    expect(lost.byNight.get('2026-10-02')).toMatchObject({ scheduled: 1, eligible: 1 });
    expect(metrics.get('at-risk-nudge')!.total).toMatchObject({ sent: 1, delivered: 1, unsubscribed: 1, converted: 0 });
  });
});

describe('lift units and their orders', () => {
  it('groups a journey’s steps into one customer, opening a window at each night that chose them', () => {
    // Prepare
    const sends = [
      entry({ customerId: 'a', status: 'sent', step: 0, offerCode: 'wb-1', offer: { kind: 'percent', value: 20 } }),
      entry({ customerId: 'a', status: 'sent', step: 1, reservedAt: '2026-10-08T01:00:00.000Z' }),
      entry({ customerId: 'b', status: 'held_out', arm: 'holdout' }),
      entry({ customerId: 'c', status: 'scheduled' }),
    ];
    // Act
    const units = liftUnits(sends);
    // Assess
    expect(units).toHaveLength(2);
    expect(units.find((unit) => unit.customerId === 'a')).toMatchObject({ holdout: false, arm: 'control', exposures: [night, '2026-10-08T01:00:00.000Z'] });
    expect(units.find((unit) => unit.customerId === 'a')!.coupons.get('WB-1')).toEqual({ kind: 'percent', value: 20 });
    expect(units.find((unit) => unit.customerId === 'b')).toMatchObject({ holdout: true, arm: 'holdout' });
  });

  it('counts counted orders within the window after a night, each once, and the discount of its coupon', () => {
    // Prepare: a 7-day window after the night of 2026-10-01 01:00 UTC
    const [unit] = liftUnits([entry({ customerId: 'a', status: 'sent', offerCode: 'WB-1', offer: { kind: 'percent', value: 20 } })]);
    const orders = [
      order('a', '2026-09-30T10:00:00.000Z', 1_000), // before the night
      order('a', '2026-10-03T10:00:00.000Z', 8_000, { couponCodes: ['wb-1'] }), // redeems the coupon: 8000 x 20/80 = 2000
      order('a', '2026-10-05T10:00:00.000Z', 3_000, { counts: false }), // cancelled
      order('a', '2026-10-08T01:00:00.000Z', 2_000), // exactly 7 days later: in
      order('a', '2026-10-08T01:00:01.000Z', 9_000), // a second past the window
    ];
    // Act
    const outcome = unitOutcome(unit!, orders, 7, estimate);
    // Assess
    expect(outcome).toEqual({ converted: true, orders: 2, revenueMinor: 10_000, discountMinor: 2_000 });
  });

  it('does not convert a customer whose only order falls outside every window', () => {
    // Prepare
    const [unit] = liftUnits([entry({ customerId: 'h', status: 'held_out', arm: 'holdout' })]);
    // Act
    const outcome = unitOutcome(unit!, [order('h', '2026-10-20T10:00:00.000Z', 5_000)], 7, estimate);
    // Assess
    expect(outcome).toEqual({ converted: false, orders: 0, revenueMinor: 0, discountMinor: 0 });
  });
});
