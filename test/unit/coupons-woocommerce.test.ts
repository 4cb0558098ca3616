import { afterEach, describe, expect, it } from 'vitest';
import { PlatformCouponProvider } from '../../lib/adapters/coupons/platform.js';
import { WooCommerceCoupons } from '../../lib/adapters/woocommerce/coupons.js';
import { WooCommerceClient } from '../../lib/adapters/woocommerce/rest-client.js';
import { type CouponRequest, CouponUnavailableError } from '../../lib/ports/coupons.js';
import { type WooCommerceFakeOptions, WooCommerceRestFake, woocommerceTestKey } from '../support/fakes/woocommerce-rest.js';

const secret = 'coupon-test-secret-0123456789abcdef';
let fake: WooCommerceRestFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function woocommerce(options: WooCommerceFakeOptions & { patienceMs?: number } = {}) {
  fake = await WooCommerceRestFake.start(options);
  const sleeps: number[] = [];
  const build = () => {
    const client = new WooCommerceClient({
      base: fake!.url,
      credentials: woocommerceTestKey,
      patienceMs: options.patienceMs ?? 10_000,
      sleep: async (ms) => void sleeps.push(ms),
    });
    return {
      client,
      coupons: new WooCommerceCoupons(client, { currency: 'EUR' }),
      provider: new PlatformCouponProvider(new WooCommerceCoupons(client, { currency: 'EUR' }), secret),
    };
  };
  return { fake, sleeps, build };
}

const request = (customer: number, overrides: Partial<CouponRequest> = {}): CouponRequest => ({
  send: { customerId: `c${customer}`, campaignId: 'lapsed', episode: '2026-05-01', step: 2 },
  prefix: 'BACK',
  offer: { kind: 'percent', value: 15 },
  expiresOn: '2026-12-06',
  arm: 'control',
  email: `customer${customer}@example.org`,
  provider: 'woocommerce',
  shop: { woocommerceUrl: 'https://shop.example', currency: 'EUR' },
  ...overrides,
});

describe('WooCommerce coupon codes', () => {
  it('creates one coupon per recipient in batches of at most 100: their email only, one use, the offer and its expiry', async () => {
    // Prepare
    const { build } = await woocommerce();
    const { provider } = build();
    const requests = Array.from({ length: 150 }, (_, index) => request(index));
    // Act
    provider.prepare(requests);
    const codes = await Promise.all(requests.map((each) => provider.issue(each)));
    // Assess
    expect(fake!.requests.filter((call) => call.path === '/coupons/batch')).toHaveLength(2);
    const coupon = fake!.byCode(codes[7]!);
    expect(coupon).toMatchObject({
      discount_type: 'percent',
      amount: '15.00',
      usage_limit: 1,
      usage_limit_per_user: 1,
      individual_use: true,
      email_restrictions: ['customer7@example.org'],
      date_expires: '2026-12-06T23:59:59',
    });
    expect(fake!.coupons.size).toBe(150);
  });

  it('makes a fixed amount off the cart and free shipping', async () => {
    // Prepare
    const { build } = await woocommerce();
    const { provider } = build();
    // Act
    const fixed = await provider.issue(request(1, { offer: { kind: 'fixed_amount', value: 1050 } }));
    const shipping = await provider.issue(request(2, { offer: { kind: 'free_shipping', value: 0 } }));
    // Assess
    expect(fake!.byCode(fixed)).toMatchObject({ discount_type: 'fixed_cart', amount: '10.50', free_shipping: false });
    expect(fake!.byCode(shipping)).toMatchObject({ amount: '0.00', free_shipping: true });
  });

  it('backs off on 429 as Retry-After says, then creates the codes', async () => {
    // Prepare
    const { build, sleeps } = await woocommerce();
    const { client, provider } = build();
    fake!.fail(429, { times: 2, retryAfter: '3' });
    // Act
    const code = await provider.issue(request(1));
    // Assess
    expect(client.stats.rateLimited).toBe(2);
    expect(sleeps).toEqual([3000, 3000]);
    expect(fake!.byCode(code)).toBeDefined();
  });

  it('confirms the items that were made and refuses the ones that failed in the middle of a batch', async () => {
    // Prepare
    const requests = Array.from({ length: 6 }, (_, index) => request(index));
    const { build } = await woocommerce({
      failingCodes: (code) => code === new PlatformCouponProvider({ name: 'x', maxBatch: 1, create: async () => new Map() }, secret).codeFor(requests[2]!),
    });
    const { provider } = build();
    // Act
    provider.prepare(requests);
    const outcomes = await Promise.allSettled(requests.map((each) => provider.issue(each)));
    // Assess
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({
      name: 'CouponUnavailableError',
      reason: 'woocommerce:woocommerce_rest_invalid_coupon',
    });
  });

  it('takes a retried night without error: codes that exist already are confirmed, not made twice', async () => {
    // Prepare
    const { build } = await woocommerce();
    const requests = Array.from({ length: 4 }, (_, index) => request(index));
    const first = await Promise.all(requests.map((each) => build().provider.issue(each)));
    // Act
    const retry = build().provider;
    const again = await Promise.all(requests.map((each) => retry.issue(each)));
    // Assess
    expect(again).toEqual(first);
    expect(fake!.coupons.size).toBe(4);
  });

  it('refuses the codes when the site keeps failing, and when the key cannot write', async () => {
    // Prepare
    const failing = await woocommerce({ patienceMs: 20 });
    fake!.fail(500, { times: 1000 });
    const down = failing.build().provider.issue(request(1));
    await expect(down).rejects.toBeInstanceOf(CouponUnavailableError);
    await expect(down).rejects.toMatchObject({ reason: 'woocommerce:http_500' });
    await fake!.close();
    const readOnly = await woocommerce({ permissions: 'read' });
    // Act
    const refused = readOnly.build().provider.issue(request(1));
    // Assess
    await expect(refused).rejects.toMatchObject({ reason: 'woocommerce:woocommerce_rest_cannot_batch' });
  });

  it('removes Winback coupons that expired unused before the grace period, and nothing else', async () => {
    // Prepare
    const { build } = await woocommerce();
    const { client, coupons, provider } = build();
    const expired = await provider.issue(request(1, { expiresOn: '2026-01-10' }));
    const used = await provider.issue(request(2, { expiresOn: '2026-01-10' }));
    const current = await provider.issue(request(3, { expiresOn: '2099-01-10' }));
    fake!.byCode(used)!.usage_count = 1;
    await client.request('POST', '/coupons/batch', {
      create: [{ code: 'SUMMER', amount: '5', date_expires: '2026-01-01T00:00:00', description: 'Summer sale' }],
    });
    // Act
    const { removed } = await coupons.removeExpired('2026-02-01T00:00:00.000Z');
    // Assess
    expect(removed).toBe(1);
    expect(fake!.byCode(expired)).toBeUndefined();
    expect([used, current, 'summer'].map((code) => fake!.byCode(code) !== undefined)).toEqual([true, true, true]);
  });
});
