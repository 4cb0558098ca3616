import { afterEach, describe, expect, it } from 'vitest';
import { PlatformCouponProvider } from '../../lib/adapters/coupons/platform.js';
import { ShopifyAdminClient } from '../../lib/adapters/shopify/admin-client.js';
import { ShopifyCoupons } from '../../lib/adapters/shopify/coupons.js';
import { type CouponRequest, CouponUnavailableError } from '../../lib/ports/coupons.js';
import { installShopifyDiscounts } from '../support/fakes/shopify-discounts.js';
import { ShopifyGraphqlFake, type ShopifyGraphqlFakeOptions, shopifyTestToken } from '../support/fakes/shopify-graphql.js';

const secret = 'coupon-test-secret-0123456789abcdef';
let fake: ShopifyGraphqlFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const noWait = async () => {};

async function shopify(options: ShopifyGraphqlFakeOptions & { failingCodes?: (code: string) => boolean; patienceMs?: number; realSleep?: boolean } = {}) {
  fake = await ShopifyGraphqlFake.start(options);
  const store = installShopifyDiscounts(fake, { ...(options.failingCodes ? { failingCodes: options.failingCodes } : {}) });
  const build = () => {
    const client = new ShopifyAdminClient({
      endpoint: fake!.url,
      token: shopifyTestToken,
      patienceMs: options.patienceMs ?? 10_000,
      ...(options.realSleep ? {} : { sleep: noWait }),
    });
    return {
      client,
      provider: new PlatformCouponProvider(new ShopifyCoupons(client, { secret, timeZone: 'Europe/Amsterdam', currency: 'EUR', sleep: noWait }), secret),
    };
  };
  return { fake, store, build };
}

const request = (customer: number, overrides: Partial<CouponRequest> = {}): CouponRequest => ({
  send: { customerId: `c${customer}`, campaignId: 'lapsed', episode: '2026-05-01', step: 2 },
  prefix: 'BACK',
  offer: { kind: 'percent', value: 15 },
  expiresOn: '2026-12-06',
  arm: 'control',
  provider: 'shopify',
  shop: { shopifyDomain: 'winback-test.myshopify.com', timeZone: 'Europe/Amsterdam', currency: 'EUR' },
  ...overrides,
});

describe('Shopify coupon codes', () => {
  it('makes one discount per step, arm and offer, and adds the codes in bulk calls of at most 250', async () => {
    // Prepare
    const { store, build } = await shopify();
    const { provider } = build();
    const requests = Array.from({ length: 300 }, (_, index) => request(index));
    // Act
    provider.prepare(requests);
    const codes = await Promise.all(requests.map((each) => provider.issue(each)));
    // Assess
    expect(new Set(codes).size).toBe(300);
    expect(store.discounts.size).toBe(1);
    const discount = [...store.discounts.values()][0]!;
    expect(discount.input).toMatchObject({
      usageLimit: 1,
      appliesOncePerCustomer: true,
      endsAt: '2026-12-06T23:00:00.000Z',
      customerGets: { value: { percentage: 0.15 }, items: { all: true } },
    });
    for (const code of codes) expect(store.find(code)?.discount.id).toBe(discount.id);
    const adds = fake!.callsTo('discountRedeemCodeBulkAdd');
    expect(adds.map((call) => (call.variables.codes as unknown[]).length).sort()).toEqual([250, 50]);
  });

  it('makes a fixed amount and a free-shipping offer as their own discounts, with the amount as a decimal string', async () => {
    // Prepare
    const { store, build } = await shopify();
    const { provider } = build();
    // Act
    await provider.issue(request(1, { offer: { kind: 'fixed_amount', value: 1050 } }));
    await provider.issue(request(2, { offer: { kind: 'free_shipping', value: 0 } }));
    // Assess
    const inputs = [...store.discounts.values()].map((discount) => [discount.kind, discount.input]);
    expect(inputs).toEqual([
      [
        'basic',
        expect.objectContaining({
          customerGets: { items: { all: true }, value: { discountAmount: { amount: '10.50', appliesOnEachItem: false } } },
          usageLimit: 1,
        }),
      ],
      ['free_shipping', expect.objectContaining({ destination: { all: true }, usageLimit: 1, appliesOncePerCustomer: true })],
    ]);
  });

  it('waits for the cost bucket to refill when throttled, and gets every code made', async () => {
    // Prepare: a bucket that holds one mutation at a time, refilled quickly
    const { store, build } = await shopify({ bucket: { maximumAvailable: 20, restoreRate: 200 }, realSleep: true });
    const { client, provider } = build();
    const requests = Array.from({ length: 40 }, (_, index) => request(index, { arm: index % 2 === 0 ? 'control' : 'bold' }));
    // Act
    provider.prepare(requests);
    const codes = await Promise.all(requests.map((each) => provider.issue(each)));
    // Assess
    // The bucket ran dry: the client waited for it, before asking or after a THROTTLED answer.
    expect(client.stats.throttled + client.stats.waited).toBeGreaterThan(0);
    expect(codes.every((code) => store.find(code) !== undefined)).toBe(true);
    expect(store.discounts.size).toBe(2);
  });

  it('is throttled and recovers: a THROTTLED answer is asked again once the bucket holds the cost', async () => {
    // Prepare
    const { store, build } = await shopify({ realSleep: true });
    const { client, provider } = build();
    fake!.fail('throttle', { times: 2 });
    // Act
    const code = await provider.issue(request(7));
    // Assess
    expect(client.stats.throttled).toBe(2);
    expect(fake!.calls.filter((call) => call.outcome === 'throttled')).toHaveLength(2);
    expect(store.find(code)).toBeDefined();
  });

  it('confirms the codes that were made and refuses the ones that failed in the middle of a batch', async () => {
    // Prepare
    const requests = Array.from({ length: 10 }, (_, index) => request(index));
    const { build } = await shopify();
    const { provider } = build();
    const failing = new Set([provider.codeFor(requests[3]!), provider.codeFor(requests[6]!)]);
    fake!.close();
    const second = await shopify({ failingCodes: (code) => failing.has(code) });
    const { provider: withFailures } = second.build();
    // Act
    withFailures.prepare(requests);
    const outcomes = await Promise.allSettled(requests.map((each) => withFailures.issue(each)));
    // Assess
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    const refused = outcomes[3] as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(CouponUnavailableError);
    expect((refused.reason as CouponUnavailableError).reason).toBe('shopify:INVALID');
    expect(second.store.find(provider.codeFor(requests[3]!))).toBeUndefined();
  });

  it('takes a retried night without error: the same codes, the same discount, nothing twice', async () => {
    // Prepare: a first night made the codes; the retry is a new process (nothing remembered)
    const { store, build } = await shopify();
    const requests = Array.from({ length: 5 }, (_, index) => request(index));
    const first = await Promise.all(requests.map((each) => build().provider.issue(each)));
    const discountsBefore = store.discounts.size;
    // Act
    const retry = build().provider;
    retry.prepare(requests);
    const again = await Promise.all(requests.map((each) => retry.issue(each)));
    // Assess
    expect(again).toEqual(first);
    expect(store.discounts.size).toBe(discountsBefore);
    expect([...store.discounts.values()][0]!.codes.size).toBe(6);
  });

  it('refuses every code when Shopify keeps failing, naming why', async () => {
    // Prepare
    const { build } = await shopify({ patienceMs: 50 });
    fake!.fail({ status: 503, body: { errors: 'Service Unavailable' } }, { times: 1000 });
    // Act
    const outcome = build().provider.issue(request(1));
    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'CouponUnavailableError', reason: 'shopify:http_503' });
  });

  it('refuses every code for a token without discount write access', async () => {
    // Prepare
    const { build } = await shopify({ scopes: ['read_orders'] });
    // Act
    const outcome = build().provider.issue(request(1));
    // Assess
    await expect(outcome).rejects.toMatchObject({ reason: 'shopify:ACCESS_DENIED' });
  });

  it('removes Winback discounts that ended before the grace period, and nothing else', async () => {
    // Prepare
    const { store, build } = await shopify();
    const { client, provider } = build();
    await provider.issue(request(1, { expiresOn: '2026-01-10' }));
    await provider.issue(request(2, { expiresOn: '2099-01-10' }));
    await client.request('mutation { discountCodeBasicCreate(basicCodeDiscount: $discount) { userErrors { code } } }', {
      discount: { title: 'Summer sale', code: 'SUMMER', endsAt: '2026-01-01T00:00:00Z' },
    });
    // Act
    const { removed } = await new ShopifyCoupons(client, { secret, timeZone: 'UTC', currency: 'EUR' }).removeExpired('2026-02-01T00:00:00.000Z');
    // Assess
    expect(removed).toBe(1);
    expect([...store.discounts.values()].map((discount) => discount.title).sort()).toEqual(['Summer sale', expect.stringContaining('until 2099-01-10')]);
  });
});
