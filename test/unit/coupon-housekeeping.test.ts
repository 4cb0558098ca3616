import { describe, expect, it } from 'vitest';
import { removeExpiredCoupons } from '../../lib/usecases/coupon-housekeeping.js';
import { testConfig } from '../support/customers.js';

describe('removing expired coupon codes', () => {
  it('asks each platform a campaign makes codes in, for codes past the grace period, and reports a failure without throwing', async () => {
    // Prepare
    const config = testConfig((raw) => {
      Object.assign(raw.shop, { shopifyDomain: 'winback-test.myshopify.com', woocommerceUrl: 'https://shop.example' });
      Object.assign(raw.campaigns[0]!.coupon!, { provider: 'shopify' });
      Object.assign(raw.campaigns[1]!.coupon!, { provider: 'woocommerce' });
    });
    const asked: [string, string][] = [];
    // Act
    const result = await removeExpiredCoupons(
      config,
      async (provider) => ({
        removeExpired: async (expiredBefore) => {
          asked.push([provider, expiredBefore]);
          if (provider === 'woocommerce') throw new Error('woocommerce: http_500');
          return { removed: 3 };
        },
      }),
      new Date('2026-12-05T03:00:00.000Z'),
    );
    // Assess
    expect(asked).toEqual([
      ['shopify', '2026-11-05T03:00:00.000Z'],
      ['woocommerce', '2026-11-05T03:00:00.000Z'],
    ]);
    expect(result).toEqual({ removed: { shopify: 3 }, failed: { woocommerce: 'woocommerce: http_500' } });
  });

  it('asks no platform when every campaign makes its codes locally', async () => {
    // Act
    const result = await removeExpiredCoupons(
      testConfig(),
      async () => {
        throw new Error('no platform should be asked');
      },
      new Date(),
    );
    // Assess
    expect(result).toEqual({ removed: {}, failed: {} });
  });
});
