import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCampaignConfig } from '../../lib/config/campaign-config.js';
import defaultCampaignConfig from '../../lib/config/default-campaign-config.json' with { type: 'json' };
import { applyOrder, emptySummary, type Order } from '../../lib/domain/customer.js';
import { convertMinor, inShopCurrency } from '../../lib/domain/money.js';
import { checkCustomerTotal, shopAmountOf } from '../../lib/domain/orders/amounts.js';
import type { IncomingOrder } from '../../lib/domain/orders/incoming-order.js';
import { thrownBy } from '../support/webhooks.js';

const zone = 'Europe/Amsterdam';
const euroShop = { currency: 'EUR' };
const euroShopWithYen = { currency: 'EUR', exchangeRates: { JPY: '0.0061' } };

function order(day: string, totalMinor: number, currency: string): Order {
  return {
    orderId: `${day}-${currency}`,
    customerId: 'c-1',
    placedAt: `${day}T12:00:00.000Z`,
    totalMinor,
    currency,
    lineItems: [{ title: 'Beans', quantity: 1, priceMinor: totalMinor }],
    source: 'shopify',
  };
}

function incoming(source: IncomingOrder['source'], totalMinor: number, currency: string): IncomingOrder {
  return {
    source,
    orderId: 'o-1',
    placedAt: '2026-11-22T12:00:00.000Z',
    updatedAt: '2026-11-22T12:00:00.000Z',
    totalMinor,
    currency,
    lineItems: [],
    couponCodes: [],
    counts: true,
    customer: { email: 'ana@example.org' },
  };
}

describe('converting money between currencies', () => {
  it('converts exactly in integers, rounding half to even', () => {
    expect(convertMinor(1000, 'JPY', 'EUR', '0.0061')).toBe(610);
    expect(convertMinor(1, 'JPY', 'EUR', '0.005')).toBe(0); // 0.5 cent: to the even 0
    expect(convertMinor(3, 'JPY', 'EUR', '0.005')).toBe(2); // 1.5 cents: to the even 2
    expect(convertMinor(1999, 'EUR', 'JPY', '163.9344')).toBe(3277); // 19.99 EUR = 3277.0486... JPY
    expect(convertMinor(1000, 'KWD', 'EUR', '2.8')).toBe(280); // 1.000 KWD has three decimals
  });

  it('at rate "1" between two-decimal currencies changes nothing, and never loses a unit to binary floats', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), (minor) => {
        expect(convertMinor(minor, 'USD', 'EUR', '1')).toBe(minor);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 1, max: 99 }), (minor, cents) => {
        // Rate 0.cc: the exact product, rounded half to even, computed here with BigInt.
        const exact = BigInt(minor) * BigInt(cents);
        const [quotient, remainder] = [exact / 100n, exact % 100n];
        const expected = remainder > 50n || (remainder === 50n && quotient % 2n === 1n) ? quotient + 1n : quotient;
        expect(convertMinor(minor, 'USD', 'EUR', `0.${String(cents).padStart(2, '0')}`)).toBe(Number(expected));
      }),
    );
  });

  it('leaves an amount in another currency out when the shop has no rate for it', () => {
    expect(inShopCurrency(5000, 'JPY', euroShop)).toBeUndefined();
    expect(inShopCurrency(5000, 'JPY', euroShopWithYen)).toBe(3050);
    expect(inShopCurrency(5000, 'EUR', euroShop)).toBe(5000);
  });
});

describe('an order in another currency than the shop', () => {
  it('counts as a purchase but adds nothing to spend or the average order value without a rate', () => {
    // Prepare
    const euros = order('2026-10-01', 4000, 'EUR');
    const yen = order('2026-11-01', 500_000, 'JPY');
    // Act
    const summary = [euros, yen].reduce((current, next) => applyOrder(current, next, zone, euroShop), emptySummary);
    // Assess
    expect(summary).toMatchObject({
      orderCount: 2,
      purchaseDays: 2,
      lastOrderAt: yen.placedAt,
      totalSpendMinor: 4000,
      averageOrderValueMinor: 4000,
      lastOrderMinor: 4000,
      currency: 'EUR',
      unpricedOrders: 1,
    });
  });

  it('is converted at the config rate when there is one', () => {
    // Act
    const summary = [order('2026-10-01', 4000, 'EUR'), order('2026-11-01', 1_000, 'JPY')].reduce(
      (current, next) => applyOrder(current, next, zone, euroShopWithYen),
      emptySummary,
    );
    // Assess
    expect(summary).toMatchObject({ orderCount: 2, totalSpendMinor: 4610, averageOrderValueMinor: 2305, lastOrderMinor: 610, currency: 'EUR' });
    expect(summary.unpricedOrders).toBeUndefined();
  });

  it('is a one-time buyer with no spend when it is the only order, and the summary is in the shop currency', () => {
    const summary = applyOrder(emptySummary, order('2026-11-01', 9_999_999, 'JPY'), zone, euroShop);
    expect(summary).toMatchObject({ orderCount: 1, purchaseDays: 1, totalSpendMinor: 0, averageOrderValueMinor: 0, currency: 'EUR', unpricedOrders: 1 });
    expect(summary.lastOrderMinor).toBeUndefined();
  });
});

describe('absurd amounts are a 400 naming the field, never a 5xx', () => {
  it.each([
    ['shopify', 'total_price'],
    ['woocommerce', 'total'],
    ['generic', 'order.total'],
  ] as const)('%s: an order above 1,000,000 of the shop currency is refused at %s', (source, field) => {
    // Act
    const error = thrownBy(() => shopAmountOf(incoming(source, 100_000_001, 'EUR'), euroShop));
    // Assess
    expect(error.status).toBe(400);
    expect(error.details.field).toBe(field);
    expect(shopAmountOf(incoming(source, 100_000_000, 'EUR'), euroShop)).toBe(100_000_000);
  });

  it('measures the ceiling in the shop currency equivalent: a converted order above it is refused, one without a rate is never refused', () => {
    expect(thrownBy(() => shopAmountOf(incoming('shopify', 200_000_000, 'JPY'), euroShopWithYen)).details.field).toBe('total_price');
    expect(shopAmountOf(incoming('shopify', 900_000_000_000, 'JPY'), euroShop)).toBeUndefined();
  });

  it('refuses an order that would take the customer total above 100,000,000 of the shop currency', () => {
    // Prepare
    const summary = { ...emptySummary, orderCount: 200, totalSpendMinor: 10_000_000_001 };
    // Act / Assess
    expect(thrownBy(() => checkCustomerTotal(summary, incoming('woocommerce', 100, 'EUR'), euroShop)).details).toMatchObject({ field: 'total' });
    expect(() => checkCustomerTotal({ ...summary, totalSpendMinor: 10_000_000_000 }, incoming('woocommerce', 100, 'EUR'), euroShop)).not.toThrow();
  });

  it('answers any amount in any currency with an amount, nothing, or a 400', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.constantFrom('EUR', 'JPY', 'KWD', 'USD'),
        fc.constantFrom('0.0061', '163.9344', '999999999.999999999999', '0.000000000001'),
        (minor, currency, rate) => {
          try {
            const amount = shopAmountOf(incoming('generic', minor, currency), { currency: 'EUR', exchangeRates: { JPY: rate, KWD: rate, USD: rate } });
            if (amount !== undefined) expect(Number.isSafeInteger(amount)).toBe(true);
          } catch (error) {
            expect(
              thrownBy(() => {
                throw error;
              }).status,
            ).toBe(400);
          }
        },
      ),
    );
  });
});

describe('shop.exchangeRates in the campaign config', () => {
  const withRates = (exchangeRates: unknown) => ({ ...structuredClone(defaultCampaignConfig), shop: { ...defaultCampaignConfig.shop, exchangeRates } });

  it('takes decimal-string rates keyed by ISO 4217 codes', () => {
    expect(parseCampaignConfig(withRates({ JPY: '0.0061', USD: '0.92' })).shop.exchangeRates).toEqual({ JPY: '0.0061', USD: '0.92' });
    expect(parseCampaignConfig(structuredClone(defaultCampaignConfig)).shop.exchangeRates).toBeUndefined();
  });

  it.each([[{ JPY: 0.0061 }], [{ JPY: '0' }], [{ JPY: '-1' }], [{ JPY: '1e-3' }], [{ jpy: '0.0061' }], [{ JPY: '' }]])('refuses %j', (rates) => {
    expect(() => parseCampaignConfig(withRates(rates))).toThrow(/exchangeRates/);
  });
});
