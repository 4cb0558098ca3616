import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoHistoryStore } from '../../lib/adapters/dynamodb/history-store.js';
import { DynamoOrderStore } from '../../lib/adapters/dynamodb/orders.js';
import { signShopify } from '../../lib/domain/webhooks/signatures.js';
import { readOrdersCsv } from '../../lib/import/orders-csv.js';
import type { ImportRecord, ParseOptions } from '../../lib/import/records.js';
import { readShopifyCustomers } from '../../lib/import/shopify-customers.js';
import { readShopifyOrders } from '../../lib/import/shopify-orders.js';
import { readWooCommerceOrders } from '../../lib/import/woocommerce-orders.js';
import { localLambdaContext } from '../../lib/local/lambda-context.js';
import { runNightWorkflow } from '../../lib/local/night-workflow.js';
import { shopifyOrderCreatedBody } from '../../lib/local/shopify-order-payload.js';
import { activeConfig } from '../../lib/usecases/active-config.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { viewCustomer } from '../../lib/usecases/customer-view.js';
import { type ImportProblem, importHistory } from '../../lib/usecases/import-history.js';
import { ingestOrder } from '../../lib/usecases/ingest-order.js';
import { testConfig } from '../support/customers.js';
import { apiGatewayEvent } from '../support/http.js';
import { localShop, useShopEnvironment } from '../support/local-aws.js';
import { incomingOrder } from '../support/orders.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/import/${name}`, import.meta.url));
const parse: ParseOptions = { receivedAt: new Date('2026-01-20T00:00:00Z'), exportedAt: new Date('2026-01-19T08:00:00Z'), defaultCurrency: 'EUR' };
const secret = 'test-shopify-webhook-secret-0123';

async function shop() {
  const local = await localShop();
  await applyCampaignConfig(testConfig(), 'test', local.deps);
  const config = activeConfig(local.deps.configs, local.deps.clock);
  const orders = new DynamoOrderStore(local.client, local.tableName);
  const store = new DynamoHistoryStore(local.client, local.tableName);
  const problems: ImportProblem[] = [];
  const load = (records: AsyncIterable<ImportRecord>, chunkSize?: number) =>
    importHistory(
      records,
      { store, orders, clock: local.deps.clock, config },
      { onProblem: (problem) => problems.push(problem), ...(chunkSize ? { chunkSize } : {}) },
    );
  const view = async (email: string) => (await viewCustomer(email, { ...local.deps, config }))!;
  return { ...local, orders, store, config, load, view, problems };
}

beforeEach(() => vi.resetModules());
afterEach(() => vi.unstubAllEnvs());

describe('importing a Shopify orders export', () => {
  it('gives each customer the right order count, spend and consent, and reports bad rows by line and column', async () => {
    // Prepare
    const s = await shop();
    // Act
    const counts = await s.load(readShopifyOrders(createReadStream(fixture('shopify-orders.csv')), parse));
    // Assess
    expect(counts).toEqual({
      rows: 10,
      orders: 7,
      customers: 3,
      stored: 7,
      duplicates: 0,
      ignored: 3,
      invalid: 1,
      skipped: { 'no email (phone or point-of-sale order)': 1 },
    });
    expect(s.problems).toEqual([{ line: 10, field: 'Total', problem: expect.stringContaining('"12,50"') }]);
    expect(await s.view('ana.lopes@example.org')).toMatchObject({
      orderCount: 2,
      totalSpent: '84.90',
      firstName: 'Ana',
      consent: { state: 'subscribed', updatedAt: '2026-01-19T08:00:00.000Z' },
    });
    // Paid and pending count; voided-and-cancelled and refunded are stored without counting.
    expect(await s.view('bo@example.org')).toMatchObject({ orderCount: 2, totalSpent: '41.99', consent: { state: 'not_subscribed' } });
    expect(await s.view('carla@example.org')).toMatchObject({ orderCount: 0, totalSpent: '0.00' });
  });

  it('stores nothing when the same export is imported again, in chunks of any size', async () => {
    // Prepare
    const s = await shop();
    await s.load(readShopifyOrders(createReadStream(fixture('shopify-orders.csv')), parse), 2);
    // Act
    const again = await s.load(readShopifyOrders(createReadStream(fixture('shopify-orders.csv')), parse), 3);
    // Assess
    expect(again).toMatchObject({ stored: 0, duplicates: 7, customers: 0 });
    expect(await s.view('ana.lopes@example.org')).toMatchObject({ orderCount: 2, totalSpent: '84.90' });
  });

  it('leaves the customer unchanged when a signed orders/create webhook arrives for an imported order', async () => {
    // Prepare
    const s = await shop();
    await s.load(readShopifyOrders(createReadStream(fixture('shopify-orders.csv')), parse));
    const before = await s.deps.customers.get((await s.view('ana.lopes@example.org')).customerId);
    useShopEnvironment(s, { SHOPIFY_WEBHOOK_SECRET: secret });
    const { handler } = await import('../../functions/webhook-shopify/handler.js');
    const body = shopifyOrderCreatedBody({
      orderId: '5624365672583728497',
      orderNumber: 1001,
      placedAt: new Date('2025-03-02T09:14:31Z'),
      timeZone: 'Europe/Lisbon',
      currency: 'EUR',
      customer: { id: '700002', email: 'ana.lopes@example.org', firstName: 'Ana', consent: { state: 'unsubscribed', updatedAt: '2025-01-01T00:00:00Z' } },
      lineItems: [
        { id: '1', title: 'Espresso beans 1 kg', quantity: 2, priceMinor: 2495 },
        { id: '2', title: 'Paper filters', quantity: 1, priceMinor: 490 },
      ],
    });
    const headers = {
      'content-type': 'application/json',
      'x-shopify-topic': 'orders/create',
      'x-shopify-webhook-id': 'import-test-1',
      'x-shopify-shop-domain': 'kaffee-example.myshopify.com',
      'x-shopify-hmac-sha256': signShopify(body, secret),
    };
    // Act
    const response = await handler(apiGatewayEvent('POST', '/webhooks/shopify', { headers, body }), localLambdaContext('webhook-shopify-test'));
    // Assess
    expect(response.statusCode).toBeLessThan(300);
    const after = await s.deps.customers.get(before!.customerId);
    expect(after).toEqual(before);
  });

  it("stores an order once when its webhook came first, and files the export's other orders with that customer", async () => {
    // Prepare
    const s = await shop();
    const config = s.config;
    await ingestOrder(
      incomingOrder({
        orderId: '5624365672583728497',
        customerId: '700002',
        email: 'ana.lopes@example.org',
        placedAt: '2025-03-02T09:14:31.000Z',
        totalMinor: 5490,
      }),
      'webhook-1',
      { orders: s.orders, clock: s.deps.clock, config },
    );
    // Act
    const counts = await s.load(readShopifyOrders(createReadStream(fixture('shopify-orders.csv')), parse));
    // Assess
    expect(counts).toMatchObject({ stored: 6, duplicates: 1 });
    expect(await s.view('ana.lopes@example.org')).toMatchObject({ customerId: 'shopify:700002', orderCount: 2, totalSpent: '84.90' });
  });

  it('then runs the night, which classifies the imported customers', async () => {
    // Prepare
    const s = await shop();
    await s.load(readShopifyOrders(createReadStream(fixture('shopify-orders.csv')), parse));
    useShopEnvironment(s);
    // Act
    const night = await runNightWorkflow({ source: 'winback.local', asOf: '2026-01-20' });
    // Assess
    expect(night.status).toBe('SUCCEEDED');
    expect(night.summary).toMatchObject({ customersScanned: 3 });
    expect(night.summary!.active + night.summary!.atRisk + night.summary!.lost).toBe(2);
    expect((await s.view('ana.lopes@example.org')).status).toMatch(/^(at_risk|lost)$/);
  });
});

describe('importing the other formats', () => {
  it('reads WooCommerce REST orders as their webhooks are read', async () => {
    // Prepare
    const s = await shop();
    // Act
    const counts = await s.load(readWooCommerceOrders(createReadStream(fixture('woocommerce-orders.json')), parse));
    // Assess
    expect(counts).toMatchObject({ rows: 5, orders: 3, stored: 3, ignored: 1, invalid: 1, skipped: { 'no email (phone or point-of-sale order)': 1 } });
    expect(s.problems).toEqual([{ line: 5, field: 'date_created_gmt', problem: expect.any(String) }]);
    expect(await s.view('eva@example.org')).toMatchObject({ customerId: 'woocommerce:26', orderCount: 1, totalSpent: '36.40' });
    expect(await s.view('guest.buyer@example.org')).toMatchObject({ orderCount: 1, totalSpent: '12.00' });
  });

  it('reads the plain orders CSV, and stores nothing the second time', async () => {
    // Prepare
    const s = await shop();
    // Act
    const first = await s.load(readOrdersCsv(createReadStream(fixture('orders.csv')), parse));
    const second = await s.load(readOrdersCsv(createReadStream(fixture('orders.csv')), parse));
    // Assess
    expect(first).toMatchObject({ rows: 6, orders: 3, stored: 3, customers: 2, invalid: 2, skipped: { 'no email (phone or point-of-sale order)': 1 } });
    expect(s.problems.slice(0, 2)).toEqual([
      { line: 6, field: 'date', problem: expect.any(String) },
      { line: 7, field: 'email', problem: expect.stringContaining('not an email address') },
    ]);
    expect(second).toMatchObject({ stored: 0, duplicates: 3 });
    expect(await s.view('fay@example.org')).toMatchObject({ customerId: 'generic:c-1', orderCount: 2, totalSpent: '55.50', consent: { state: 'subscribed' } });
  });

  it('reads the customers export: customers who never ordered, and consent for those who did', async () => {
    // Prepare
    const s = await shop();
    await s.load(readShopifyOrders(createReadStream(fixture('shopify-orders.csv')), parse));
    const later: ParseOptions = { ...parse, exportedAt: new Date('2026-01-19T12:00:00Z') };
    // Act
    const counts = await s.load(readShopifyCustomers(createReadStream(fixture('shopify-customers.csv')), later));
    const again = await s.load(readShopifyCustomers(createReadStream(fixture('shopify-customers.csv')), later));
    // Assess
    expect(counts).toMatchObject({ rows: 4, customers: 1, stored: 2, invalid: 1, skipped: { 'no email (phone or point-of-sale order)': 1 } });
    expect(again).toMatchObject({ stored: 0, duplicates: 2 });
    expect(await s.view('jo@example.org')).toMatchObject({ customerId: 'shopify:700003', orderCount: 0, consent: { state: 'not_subscribed' } });
    expect(await s.view('ana.lopes@example.org')).toMatchObject({ orderCount: 2, consent: { state: 'subscribed', updatedAt: '2026-01-19T12:00:00.000Z' } });
  });
});
