import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PlatformCode } from '../../lib/adapters/coupons/platform.js';
import { ShopifyAdminClient, ShopifyApiError } from '../../lib/adapters/shopify/admin-client.js';
import { ShopifyCoupons } from '../../lib/adapters/shopify/coupons.js';
import { WooCommerceCoupons } from '../../lib/adapters/woocommerce/coupons.js';
import { WooCommerceClient } from '../../lib/adapters/woocommerce/rest-client.js';
import { InvalidCampaignConfigError, parseCampaignConfig } from '../../lib/config/campaign-config.js';
import defaultCampaignConfig from '../../lib/config/default-campaign-config.json' with { type: 'json' };
import { testConfig } from '../support/customers.js';

function problemsOf(input: unknown): { path: string; problem: string }[] {
  try {
    parseCampaignConfig(input);
  } catch (error) {
    if (error instanceof InvalidCampaignConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

/** A platform answering anything at all: any status, any text, any JSON. */
const anyAnswer = fc.record({
  status: fc.constantFrom(200, 201, 400, 401, 403, 404, 413, 429, 500, 503),
  body: fc.oneof(
    fc.constantFrom('null', '[]', '{}', '{"create": null}', '{"create": [null, 7, {"id": 5, "code": 7}]}'),
    fc.string(),
    fc.json(),
    fc.jsonValue().map((value) => JSON.stringify({ data: value, errors: value })),
    fc.jsonValue().map((value) => JSON.stringify({ create: [value, { id: 0, error: value }] })),
  ),
});
const fetchAnswering = (answer: { status: number; body: string }) =>
  (async () => new Response(answer.body, { status: answer.status })) as unknown as typeof fetch;
const codes: PlatformCode[] = [
  {
    code: 'BACK-0000AAAA',
    request: {
      send: { customerId: 'c1', campaignId: 'lapsed', episode: '2026-05-01', step: 0 },
      prefix: 'BACK',
      offer: { kind: 'percent', value: 15 },
      expiresOn: '2026-12-06',
      email: 'a@example.org',
    },
  },
];

describe('what the platforms answer', () => {
  it('never makes the Shopify client throw anything but a ShopifyApiError', async () => {
    await fc.assert(
      fc.asyncProperty(anyAnswer, async (answer) => {
        const client = new ShopifyAdminClient({
          endpoint: 'https://x.myshopify.com/admin/api/2025-10/graphql.json',
          token: 't',
          patienceMs: 0,
          sleep: async () => {},
          fetch: fetchAnswering(answer),
        });
        await client.request('{ shop { name } }').catch((error: unknown) => expect(error).toBeInstanceOf(ShopifyApiError));
      }),
      { numRuns: 200 },
    );
  });

  it('never makes code creation throw: any answer gives each code a result', async () => {
    await fc.assert(
      fc.asyncProperty(anyAnswer, async (answer) => {
        const shopify = new ShopifyCoupons(
          new ShopifyAdminClient({ endpoint: 'https://x/graphql.json', token: 't', patienceMs: 0, sleep: async () => {}, fetch: fetchAnswering(answer) }),
          { secret: 's', timeZone: 'UTC', currency: 'EUR', sleep: async () => {}, bulkPatienceMs: 0 },
        );
        const woocommerce = new WooCommerceCoupons(
          new WooCommerceClient({
            base: 'https://x/wp-json/wc/v3',
            credentials: { consumerKey: 'k', consumerSecret: 's' },
            patienceMs: 0,
            sleep: async () => {},
            fetch: fetchAnswering(answer),
          }),
          { currency: 'EUR' },
        );
        for (const platform of [shopify, woocommerce]) {
          const results = await platform.create(codes);
          expect(results.get('BACK-0000AAAA')).toEqual(expect.objectContaining({ ok: expect.any(Boolean) }));
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('the coupon provider in the campaign config', () => {
  it('defaults to local, and names the shop address a platform provider needs', () => {
    // Prepare
    const raw = structuredClone(defaultCampaignConfig) as typeof defaultCampaignConfig;
    Object.assign(raw.campaigns[0]!.coupon!, { provider: 'shopify' });
    Object.assign(raw.campaigns[1]!.coupon!, { provider: 'woocommerce' });
    // Act
    const problems = problemsOf(raw).map((problem) => [problem.path, problem.problem]);
    // Assess
    expect(testConfig().campaigns.map((campaign) => campaign.coupon?.provider)).toEqual(['local', 'local']);
    expect(problems).toEqual([
      ['campaigns[at-risk-nudge].coupon.provider', expect.stringContaining('set shop.shopifyDomain')],
      ['campaigns[lost-winback].coupon.provider', expect.stringContaining('set shop.woocommerceUrl')],
    ]);
  });

  it('takes a NAME.myshopify.com address and an https WooCommerce site, and refuses others by field', () => {
    // Prepare
    const raw = structuredClone(defaultCampaignConfig) as typeof defaultCampaignConfig;
    Object.assign(raw.shop, { shopifyDomain: 'My-Shop.myshopify.com', woocommerceUrl: 'https://shop.example' });
    const wrong = structuredClone(defaultCampaignConfig) as typeof defaultCampaignConfig;
    Object.assign(wrong.shop, { shopifyDomain: 'my-shop.com', woocommerceUrl: 'http://shop.example' });
    // Act
    const parsed = parseCampaignConfig(raw);
    const problems = problemsOf(wrong).map((problem) => problem.path);
    // Assess
    expect(parsed.shop).toMatchObject({ shopifyDomain: 'my-shop.myshopify.com', woocommerceUrl: 'https://shop.example' });
    expect(problems).toEqual(['shop.shopifyDomain', 'shop.woocommerceUrl']);
  });
});
