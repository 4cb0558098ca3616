import { afterEach, describe, expect, it } from 'vitest';
import { ShopifyAdminClient } from '../../lib/adapters/shopify/admin-client.js';
import { shopifyBulkOrders } from '../../lib/adapters/shopify/bulk-orders.js';
import { wooCommerceApiOrders } from '../../lib/adapters/woocommerce/orders-import.js';
import { WooCommerceClient } from '../../lib/adapters/woocommerce/rest-client.js';
import type { ImportRecord } from '../../lib/import/records.js';
import { addBulkOperations } from '../support/fakes/shopify-bulk.js';
import { ShopifyGraphqlFake, shopifyTestToken } from '../support/fakes/shopify-graphql.js';
import { WooCommerceOrdersFake, wooTestCredentials } from '../support/fakes/woocommerce-orders.js';

const receivedAt = new Date('2026-01-20T00:00:00Z');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function all(records: AsyncIterable<ImportRecord>): Promise<ImportRecord[]> {
  const out: ImportRecord[] = [];
  for await (const record of records) out.push(record);
  return out;
}

const order = (id: number, email: string | null) => ({
  id: `gid://shopify/Order/${id}`,
  createdAt: '2025-05-01T10:00:00Z',
  updatedAt: '2025-05-02T10:00:00Z',
  cancelledAt: null,
  test: false,
  displayFinancialStatus: 'PAID',
  email,
  discountCodes: [],
  totalPriceSet: { shopMoney: { amount: '20.00', currencyCode: 'EUR' } },
  customer: email
    ? { id: `gid://shopify/Customer/${id + 1000}`, email, emailMarketingConsent: { marketingState: 'SUBSCRIBED', consentUpdatedAt: '2025-01-01T00:00:00Z' } }
    : null,
});
const lineItem = (id: number, parent: number) => ({
  id: `gid://shopify/LineItem/${id}`,
  title: `Item ${id}`,
  quantity: 1,
  sku: null,
  originalUnitPriceSet: { shopMoney: { amount: '10.00' } },
  __parentId: `gid://shopify/Order/${parent}`,
});
const jsonl = [order(1, 'a@example.org'), lineItem(11, 1), lineItem(12, 1), order(2, 'b@example.org'), lineItem(21, 2), order(3, null)]
  .map((line) => JSON.stringify(line))
  .join('\n');

async function shopify(options: { bucket?: { maximumAvailable: number; restoreRate: number }; bulk?: Parameters<typeof addBulkOperations>[1] } = {}) {
  let clock = 0;
  const fake = await ShopifyGraphqlFake.start({ now: () => clock, ...(options.bucket ? { bucket: options.bucket } : {}) });
  const bulk = await addBulkOperations(fake, options.bulk ?? { jsonl, pollsWhileRunning: 2 });
  cleanups.push(
    () => fake.close(),
    () => bulk.close(),
  );
  const slept: number[] = [];
  // The fake's bucket refills on its own clock; waiting moves that clock on instead of the test's wall time.
  const sleep = async (ms: number) => {
    slept.push(ms);
    clock += ms;
  };
  const client = (token = shopifyTestToken) => new ShopifyAdminClient({ endpoint: fake.url, token, sleep });
  return { fake, bulk, slept, sleep, client };
}

describe('the Shopify bulk-operation importer, against a fake of the GraphQL Admin API', () => {
  it('starts the operation, polls it until COMPLETED, downloads the JSONL and rebuilds each order from its lines', async () => {
    // Prepare
    const { fake, client, sleep } = await shopify();
    // Act
    const records = await all(shopifyBulkOrders(client(), { receivedAt, sleep }));
    // Assess
    expect(records.map((record) => record.kind)).toEqual(['order', 'order', 'skipped']);
    expect(records[0]).toMatchObject({
      order: {
        orderId: '1',
        customer: { platformCustomerId: '1001', email: 'a@example.org', consent: { state: 'subscribed' } },
        lineItems: [{ title: 'Item 11' }, { title: 'Item 12' }],
      },
    });
    expect(fake.callsTo('bulkOperationRunQuery')).toHaveLength(1);
    expect(fake.callsTo('node').length).toBeGreaterThanOrEqual(2);
  });

  it('waits out a THROTTLED answer by the cost bucket, then carries on', async () => {
    // Prepare
    const { fake, client, sleep, slept } = await shopify({ bucket: { maximumAvailable: 50, restoreRate: 10 } });
    fake.drain();
    // Act
    const records = await all(shopifyBulkOrders(client(), { receivedAt, sleep }));
    // Assess
    expect(fake.calls.some((call) => call.outcome === 'throttled')).toBe(true);
    expect(slept.some((ms) => ms >= 500)).toBe(true);
    expect(records.filter((record) => record.kind === 'order')).toHaveLength(2);
  });

  it('says plainly when the token is refused, when an operation is already running, and when it fails', async () => {
    // Prepare
    const { client, sleep } = await shopify();
    const failing = await shopify({ bulk: { jsonl, outcome: { status: 'FAILED', errorCode: 'ACCESS_DENIED' } } });
    const busy = await shopify({ bulk: { jsonl, pollsWhileRunning: 100 } });
    const startBulk = 'mutation($query: String!) { bulkOperationRunQuery(query: $query) { bulkOperation { id } userErrors { message } } }';
    await busy.client().request(startBulk, { query: '{ orders { edges { node { id } } } }' });
    // Act
    const [refused, failed, already] = await Promise.allSettled([
      all(shopifyBulkOrders(client('shpat_wrong'), { receivedAt, sleep })),
      all(shopifyBulkOrders(failing.client(), { receivedAt, sleep: failing.sleep })),
      all(shopifyBulkOrders(busy.client(), { receivedAt, sleep: busy.sleep })),
    ]);
    // Assess
    expect(refused).toMatchObject({ status: 'rejected', reason: { code: 'unauthorized' } });
    expect(failed).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/FAILED \(ACCESS_DENIED\)/) } });
    expect(already).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/already in progress/) } });
  });
});

describe('the WooCommerce REST importer, against a fake of /wp-json/wc/v3/orders', () => {
  const wooOrder = (id: number) => ({
    id,
    status: 'completed',
    currency: 'EUR',
    date_created_gmt: '2025-09-01T10:10:00',
    total: '5.00',
    customer_id: id % 3,
    billing: { email: `c${id % 7}@example.org` },
    line_items: [],
  });

  async function woo(count: number) {
    const fake = await WooCommerceOrdersFake.start(Array.from({ length: count }, (_, index) => wooOrder(index + 1)));
    cleanups.push(() => fake.close());
    const slept: number[] = [];
    const client = (credentials = wooTestCredentials) =>
      new WooCommerceClient({ base: `${fake.base}/wp-json/wc/v3`, credentials, sleep: async (ms) => void slept.push(ms) });
    return { fake, client, slept };
  }

  it('pages through every order, 100 a page, until X-WP-TotalPages', async () => {
    // Prepare
    const { fake, client } = await woo(250);
    // Act
    const records = await all(wooCommerceApiOrders(client(), { receivedAt }));
    // Assess
    expect(records).toHaveLength(250);
    expect(records.every((record) => record.kind === 'order')).toBe(true);
    expect(fake.requests.map((request) => [request.page, request.perPage])).toEqual([
      [1, 100],
      [2, 100],
      [3, 100],
    ]);
  });

  it('waits out a 429 for as long as Retry-After says, and a 500, then goes on', async () => {
    // Prepare
    const { fake, client, slept } = await woo(120);
    fake.fail(429, { retryAfter: '2' }).fail(500);
    // Act
    const records = await all(wooCommerceApiOrders(client(), { receivedAt }));
    // Assess
    expect(records).toHaveLength(120);
    expect(fake.requests.map((request) => request.status)).toEqual([429, 500, 200, 200]);
    expect(slept[0]).toBe(2000);
  });

  it('stops with the reason when the API key is refused', async () => {
    // Prepare
    const { client } = await woo(3);
    // Act
    const refused = await all(wooCommerceApiOrders(client({ consumerKey: 'ck_wrong', consumerSecret: 'cs_wrong' }), { receivedAt })).catch(
      (error: Error) => error,
    );
    // Assess
    expect(refused).toMatchObject({ message: expect.stringMatching(/refused the API key/) });
  });
});
