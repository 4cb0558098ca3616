import { afterEach, describe, expect, it } from 'vitest';
import { connectShopify, connectWooCommerce } from '../../lib/cli/connect.js';
import { installShopifyDiscounts } from '../support/fakes/shopify-discounts.js';
import { ShopifyGraphqlFake, shopifyTestToken } from '../support/fakes/shopify-graphql.js';
import { WooCommerceRestFake, woocommerceTestKey } from '../support/fakes/woocommerce-rest.js';

const apiUrl = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
let shopify: ShopifyGraphqlFake | undefined;
let woocommerce: WooCommerceRestFake | undefined;
afterEach(async () => {
  await shopify?.close();
  await woocommerce?.close();
  shopify = woocommerce = undefined;
});

describe('winback connect shopify', () => {
  it('checks the token and its scopes, registers every topic once, and verifies them on a second run', async () => {
    // Prepare
    shopify = await ShopifyGraphqlFake.start();
    const store = installShopifyDiscounts(shopify);
    const environment = { SHOPIFY_ADMIN_TOKEN: shopifyTestToken, SHOPIFY_ADMIN_API_URL: shopify.url };
    // Act
    const first = await connectShopify({ shop: 'winback-test.myshopify.com', apiUrl }, environment);
    const second = await connectShopify({ shop: 'winback-test.myshopify.com', apiUrl }, environment);
    // Assess
    expect(first.ok).toBe(true);
    expect(first.checks.map((check) => [check.name, check.ok])).toEqual([
      ['credentials', true],
      ['scope read_orders', true],
      ['scope read_customers', true],
      ['scope write_discounts', true],
    ]);
    expect(first.webhooks.map((hook) => [hook.topic, hook.state])).toEqual([
      ['orders/create', 'created'],
      ['orders/paid', 'created'],
      ['orders/updated', 'created'],
      ['orders/cancelled', 'created'],
      ['customers/update', 'created'],
    ]);
    expect(store.webhooks.map((hook) => [hook.topic, hook.uri])).toContainEqual(['ORDERS_CREATE', `${apiUrl}/webhooks/shopify`]);
    expect(second.webhooks.every((hook) => hook.state === 'verified')).toBe(true);
    expect(store.webhooks).toHaveLength(5);
    expect(first.cannot.join(' ')).toMatch(/compliance webhooks .* app's configuration/);
  });

  it('fails plainly on a missing discount write scope and on a refused token', async () => {
    // Prepare
    shopify = await ShopifyGraphqlFake.start({ scopes: ['read_orders', 'read_customers'] });
    installShopifyDiscounts(shopify);
    // Act
    const withoutDiscounts = await connectShopify(
      { shop: 'winback-test.myshopify.com', apiUrl },
      { SHOPIFY_ADMIN_TOKEN: shopifyTestToken, SHOPIFY_ADMIN_API_URL: shopify.url },
    );
    const refused = await connectShopify(
      { shop: 'winback-test.myshopify.com', apiUrl },
      { SHOPIFY_ADMIN_TOKEN: 'shpat_revoked', SHOPIFY_ADMIN_API_URL: shopify.url },
    );
    const none = await connectShopify({ shop: 'winback-test.myshopify.com', apiUrl }, {});
    // Assess
    expect(withoutDiscounts.ok).toBe(false);
    expect(withoutDiscounts.checks.find((check) => check.name === 'scope write_discounts')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('coupon codes'),
    });
    expect(refused.checks).toEqual([{ name: 'credentials', ok: false, detail: expect.stringContaining('refused SHOPIFY_ADMIN_TOKEN') }]);
    expect(none.checks[0]).toMatchObject({ ok: false, detail: expect.stringContaining('SHOPIFY_ADMIN_TOKEN is not set') });
  });

  it('refuses a webhook address that is not https', async () => {
    // Act / Assess
    await expect(connectShopify({ shop: 'winback-test.myshopify.com', apiUrl: 'http://api.example.com' }, {})).rejects.toThrow(/https only/);
  });
});

describe('winback connect woocommerce', () => {
  const environment = () => ({
    WOOCOMMERCE_CONSUMER_KEY: woocommerceTestKey.consumerKey,
    WOOCOMMERCE_CONSUMER_SECRET: woocommerceTestKey.consumerSecret,
    WOOCOMMERCE_API_URL: woocommerce!.url,
    WOOCOMMERCE_WEBHOOK_SECRET: 'woo-webhook-secret-0123456789',
  });

  it('checks the key reads and writes, registers the order topics with the secret, and verifies them on a second run', async () => {
    // Prepare
    woocommerce = await WooCommerceRestFake.start();
    // Act
    const first = await connectWooCommerce({ url: 'https://shop.example', apiUrl }, environment());
    const second = await connectWooCommerce({ url: 'https://shop.example', apiUrl }, environment());
    // Assess
    expect(first.ok).toBe(true);
    expect(first.webhooks.map((hook) => [hook.topic, hook.state])).toEqual([
      ['order.created', 'created'],
      ['order.updated', 'created'],
    ]);
    expect(woocommerce.webhooks.map((hook) => [hook.topic, hook.delivery_url, hook.secret])).toEqual([
      ['order.created', `${apiUrl}/webhooks/woocommerce`, 'woo-webhook-secret-0123456789'],
      ['order.updated', `${apiUrl}/webhooks/woocommerce`, 'woo-webhook-secret-0123456789'],
    ]);
    expect(second.webhooks.every((hook) => hook.state === 'verified')).toBe(true);
    expect(woocommerce.coupons.size).toBe(0);
  });

  it('says a read-only key cannot make coupons, and names a webhook WooCommerce disabled', async () => {
    // Prepare
    woocommerce = await WooCommerceRestFake.start({ permissions: 'read' });
    woocommerce.webhooks.push({ id: 7, name: 'Winback', topic: 'order.created', delivery_url: `${apiUrl}/webhooks/woocommerce`, status: 'disabled' });
    // Act
    const report = await connectWooCommerce({ url: 'https://shop.example', apiUrl }, environment());
    // Assess
    expect(report.ok).toBe(false);
    expect(report.checks.find((check) => check.name === 'permission write')).toMatchObject({ ok: false, detail: expect.stringContaining('Read/Write') });
    expect(report.webhooks[0]).toMatchObject({ topic: 'order.created', state: 'disabled', detail: expect.stringContaining('webhook 7 is disabled') });
  });
});
