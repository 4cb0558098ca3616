import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readEnvironment } from '../../lib/config/environment.js';
import { addDays, instantAt } from '../../lib/domain/dates.js';
import { campaignMetrics } from '../../lib/domain/report.js';
import type { SendRecord } from '../../lib/domain/sends.js';
import { runNightWorkflow } from '../../lib/local/night-workflow.js';
import type { EmailSender, OutgoingEmail } from '../../lib/ports/email-sender.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { sendDue } from '../../lib/usecases/send-due.js';
import { nightDependencies } from '../../lib/wiring.js';
import { customerFrom, type RawConfig, testConfig } from '../support/customers.js';
import { installShopifyDiscounts, type ShopifyDiscountStore } from '../support/fakes/shopify-discounts.js';
import { ShopifyGraphqlFake, shopifyTestToken } from '../support/fakes/shopify-graphql.js';
import { WooCommerceRestFake, woocommerceTestKey } from '../support/fakes/woocommerce-rest.js';
import { inboxOf, localShop, useShopEnvironment } from '../support/local-aws.js';

const night = { source: 'winback.local', asOf: '2026-11-22' };
const lapsed = (name: string) => customerFrom({ name, orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'] });
/** The shipped lost-customer campaign: 15% (control) or 20% (bigger-first-offer) in its first email, valid 21 days. */
const expiresOn = addDays(night.asOf, 21);

let shopify: ShopifyGraphqlFake | undefined;
let woocommerce: WooCommerceRestFake | undefined;
beforeEach(() => vi.resetModules());
afterEach(async () => {
  vi.unstubAllEnvs();
  await shopify?.close();
  await woocommerce?.close();
  shopify = woocommerce = undefined;
});

async function shopWith(
  provider: 'shopify' | 'woocommerce',
  names: readonly string[],
  environment: Record<string, string>,
  change: (config: RawConfig) => void = () => {},
) {
  const shop = await localShop();
  await applyCampaignConfig(
    testConfig((config) => {
      Object.assign(config.shop, provider === 'shopify' ? { shopifyDomain: 'winback-test.myshopify.com' } : { woocommerceUrl: 'https://shop.example' });
      for (const campaign of config.campaigns) Object.assign(campaign.coupon!, { provider });
      change(config);
    }),
    'test',
    shop.deps,
  );
  const customers = names.map(lapsed);
  await shop.deps.customers.putMany(customers);
  useShopEnvironment(shop, environment);
  return { ...shop, customers };
}

/** Wraps every handler's email sender: what each email carried, and whether its code existed in the platform right then. */
function watchSends(codeExists: (code: string) => boolean) {
  const sent: { to: string; html: string; codeExisted: boolean | undefined; code: string | undefined }[] = [];
  const dependencies = <T extends object>(_handler: string, deps: T): T => {
    const email = (deps as { email?: EmailSender }).email;
    if (!email) return deps;
    return {
      ...deps,
      email: {
        send: async (message: OutgoingEmail) => {
          const code = /\b(WELCOMEBACK|COMEBACK)-[0-9A-Z]{8}\b/.exec(message.html)?.[0];
          sent.push({ to: message.to, html: message.html, code, codeExisted: code ? codeExists(code) : undefined });
          return email.send(message);
        },
      },
    };
  };
  return { sent, dependencies };
}

async function entriesOf(shop: Awaited<ReturnType<typeof shopWith>>): Promise<SendRecord[]> {
  return (await Promise.all(shop.customers.map(({ customer }) => shop.deps.ledger.sendsOf(customer.customerId)))).flat();
}

describe('a night with codes made in Shopify', () => {
  async function shopifyShop(names: readonly string[], change?: (config: RawConfig) => void) {
    shopify = await ShopifyGraphqlFake.start();
    const store = installShopifyDiscounts(shopify);
    const shop = await shopWith('shopify', names, { SHOPIFY_ADMIN_TOKEN: shopifyTestToken, SHOPIFY_ADMIN_API_URL: shopify.url }, change);
    return { shop, store };
  }
  const existsIn = (store: ShopifyDiscountStore) => (code: string) => store.find(code) !== undefined;

  it("sends every email with a code Shopify received before it went: the offer, one use, the offer's expiry", async () => {
    // Prepare
    const { shop, store } = await shopifyShop(['Ada', 'Ben', 'Cleo', 'Dev', 'Eli', 'Fay']);
    const watch = watchSends(existsIn(store));
    // Act
    const run = await runNightWorkflow(night, { dependencies: watch.dependencies });
    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(watch.sent).toHaveLength(6);
    expect(watch.sent.every((email) => email.code !== undefined && email.codeExisted === true)).toBe(true);
    const entries = await entriesOf(shop);
    for (const entry of entries) {
      expect(entry.status).toBe('sent');
      const found = store.find(entry.offerCode!)!;
      expect(watch.sent.find((email) => email.code === entry.offerCode)).toBeDefined();
      expect(found.discount.input).toMatchObject({
        usageLimit: 1,
        appliesOncePerCustomer: true,
        endsAt: instantAt(addDays(expiresOn, 1), 0, 'Europe/Amsterdam').toISOString(),
        customerGets: { value: { percentage: entry.offer!.value / 100 } },
      });
      expect(found.discount.title).toContain(`step 1 ${entry.arm}`);
    }
    // One discount per arm (and offer), not one per customer. How many codes share a bulk call depends on how the
    // night's segments and pages fall (under load, one each), so here a call per code at most; batches of up to 250
    // are proved in test/unit/coupons-shopify.test.ts.
    expect(store.discounts.size).toBe(new Set(entries.map((entry) => `${entry.arm}:${entry.offer!.value}`)).size);
    expect(shopify!.callsTo('discountRedeemCodeBulkAdd').length).toBeLessThanOrEqual(entries.length);
  });

  it('sends no email with a code while Shopify fails: the emails wait, the ledger says why, and they go once it is back', async () => {
    // Prepare
    const { shop, store } = await shopifyShop(['Gus', 'Hal', 'Ivy']);
    shopify!.fail({ status: 403, body: { errors: 'Forbidden' } }, { times: 10_000 });
    const watch = watchSends(existsIn(store));
    // Act
    const run = await runNightWorkflow(night, { dependencies: watch.dependencies });
    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(watch.sent).toEqual([]);
    for (const { customer } of shop.customers) expect(await inboxOf(shop.sesEndpoint, customer.email!)).toEqual([]);
    const waiting = await entriesOf(shop);
    expect(waiting.map((entry) => [entry.status, (entry as { couponPending?: string }).couponPending])).toEqual(
      Array(3).fill(['scheduled', 'shopify:unauthorized']),
    );

    // Act: Shopify is back; the due sender's next sweep, an hour later
    shopify!.clearFaults();
    const deps = await nightDependencies(readEnvironment());
    const summary = await sendDue(new Date(Date.parse(waiting[0]!.notBefore!) + 60_000), { ...deps, ...watch.dependencies('sender', { email: deps.email }) });
    // Assess
    expect(summary.sent).toBe(3);
    expect(watch.sent.every((email) => email.codeExisted === true)).toBe(true);
    expect((await entriesOf(shop)).map((entry) => entry.status)).toEqual(['sent', 'sent', 'sent']);
  });

  it('gives an email up as coupon_unavailable, in the ledger and the report, once too little of its offer would be left', async () => {
    // Prepare: an offer valid one day: no retry leaves enough of it
    const { shop, store } = await shopifyShop(['Jo', 'Kai'], (config) => {
      for (const campaign of config.campaigns) campaign.coupon!.expiresInDays = 1;
    });
    shopify!.fail({ status: 403, body: { errors: 'Forbidden' } }, { times: 10_000 });
    const watch = watchSends(existsIn(store));
    await runNightWorkflow(night, { dependencies: watch.dependencies });
    const waiting = await entriesOf(shop);
    // Act
    const deps = await nightDependencies(readEnvironment());
    const summary = await sendDue(new Date(Date.parse(waiting[0]!.notBefore!) + 60_000), { ...deps, ...watch.dependencies('sender', { email: deps.email }) });
    // Assess
    expect(summary).toMatchObject({ sent: 0, cancelled: 2 });
    expect(watch.sent).toEqual([]);
    const entries = await entriesOf(shop);
    expect(entries.map((entry) => [entry.status, entry.errorCode])).toEqual([
      ['cancelled', 'coupon_unavailable'],
      ['cancelled', 'coupon_unavailable'],
    ]);
    expect(campaignMetrics(entries, { freeShippingMinor: 0 }).get('lost-winback')?.total).toMatchObject({ sent: 0, couponUnavailable: 2 });
  });
});

describe('a night with codes made in WooCommerce', () => {
  async function wooShop(names: readonly string[]) {
    woocommerce = await WooCommerceRestFake.start();
    const shop = await shopWith('woocommerce', names, {
      WOOCOMMERCE_CONSUMER_KEY: woocommerceTestKey.consumerKey,
      WOOCOMMERCE_CONSUMER_SECRET: woocommerceTestKey.consumerSecret,
      WOOCOMMERCE_API_URL: woocommerce.url,
    });
    return shop;
  }

  it('sends every email with a coupon WooCommerce made before it went: the offer, the recipient only, one use, the expiry', async () => {
    // Prepare
    const shop = await wooShop(['Lea', 'Max', 'Nia', 'Oz']);
    const watch = watchSends((code) => woocommerce!.byCode(code) !== undefined);
    // Act
    const run = await runNightWorkflow(night, { dependencies: watch.dependencies });
    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(watch.sent).toHaveLength(4);
    expect(watch.sent.every((email) => email.codeExisted === true)).toBe(true);
    for (const entry of await entriesOf(shop)) {
      const email = shop.customers.find(({ customer }) => customer.customerId === entry.customerId)!.customer.email!;
      expect(woocommerce!.byCode(entry.offerCode!)).toMatchObject({
        discount_type: 'percent',
        amount: `${entry.offer!.value}.00`,
        usage_limit: 1,
        usage_limit_per_user: 1,
        email_restrictions: [email],
        date_expires: `${expiresOn}T23:59:59`,
      });
    }
  });

  it('sends no email with a code while WooCommerce fails, and the ledger says why', async () => {
    // Prepare
    const shop = await wooShop(['Pia', 'Quin']);
    woocommerce!.options = { permissions: 'read' };
    const watch = watchSends((code) => woocommerce!.byCode(code) !== undefined);
    // Act
    const run = await runNightWorkflow(night, { dependencies: watch.dependencies });
    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(watch.sent).toEqual([]);
    const entries = await entriesOf(shop);
    expect(entries.map((entry) => [entry.status, (entry as { couponPending?: string }).couponPending])).toEqual(
      Array(2).fill(['scheduled', 'woocommerce:woocommerce_rest_cannot_batch']),
    );
  });
});
