import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoOrderStore } from '../../lib/adapters/dynamodb/orders.js';
import { DynamoReportSnapshots } from '../../lib/adapters/dynamodb/report-snapshots.js';
import { DynamoReportSource } from '../../lib/adapters/dynamodb/report-source.js';
import { keys } from '../../lib/adapters/dynamodb/table.js';
import { hashEmail } from '../../lib/domain/email.js';
import type { IncomingRedaction } from '../../lib/domain/orders/incoming-order.js';
import { activeConfig } from '../../lib/usecases/active-config.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { forgetCustomer, updateCustomerConsent } from '../../lib/usecases/customer-changes.js';
import { viewCustomer } from '../../lib/usecases/customer-view.js';
import { ingestOrder } from '../../lib/usecases/ingest-order.js';
import { refreshReportSnapshot } from '../../lib/usecases/report-snapshot.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { localShop } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';
import { incomingOrder } from '../support/orders.js';

async function shop() {
  const local = await localShop();
  await applyCampaignConfig(testConfig(), 'test', local.deps);
  const orders = new DynamoOrderStore(local.client, local.tableName);
  const snapshots = new DynamoReportSnapshots(local.client, local.tableName);
  const config = activeConfig(local.deps.configs, local.deps.clock);
  const changes = { customers: local.deps.customers, suppressions: local.deps.suppressions, ledger: local.deps.ledger, snapshots, clock: local.deps.clock };
  const ingest = (order: Parameters<typeof ingestOrder>[0]) => ingestOrder(order, randomUUID(), { orders, clock: local.deps.clock, config });
  const forget = (redaction: IncomingRedaction) => forgetCustomer(redaction, changes);
  const view = (email: string) => viewCustomer(email, { ...local.deps, config });
  const suppressed = async (email: string) => (await local.deps.suppressions.suppressedAmong([hashEmail(email)])).has(hashEmail(email));
  return { ...local, orders, snapshots, changes, config, ingest, forget, view, suppressed };
}

describe('one profile per person: platform ids namespaced by source', () => {
  it('keeps WooCommerce customer 700002 and Shopify customer 700002 apart, and forgetting one leaves the other', async () => {
    // Prepare
    const s = await shop();
    const shopifyOrder = incomingOrder({ source: 'shopify', customerId: '700002', email: 'ana.shopify@example.org' });
    const wooOrder = incomingOrder({ source: 'woocommerce', customerId: '700002', email: 'ben.woo@example.org' });
    // Act
    const fromShopify = await s.ingest(shopifyOrder);
    const fromWoo = await s.ingest(wooOrder);
    await s.forget({ source: 'shopify', platformCustomerId: '700002', email: 'ana.shopify@example.org' });
    // Assess
    expect(fromShopify).toMatchObject({ outcome: 'stored', customerId: 'shopify:700002' });
    expect(fromWoo).toMatchObject({ outcome: 'stored', customerId: 'woocommerce:700002' });
    expect(await s.deps.customers.get('shopify:700002')).toBeUndefined();
    expect(await s.deps.customers.get('woocommerce:700002')).toMatchObject({ email: 'ben.woo@example.org', summary: { orderCount: 1 } });
    expect(await s.view('ben.woo@example.org')).toMatchObject({ customerId: 'woocommerce:700002', orderCount: 1, suppressed: false });
    expect(await s.suppressed('ben.woo@example.org')).toBe(false);
  });

  it("never attaches an order to a profile whose address is another person's: it goes to the owner of its address, or a profile of its own", async () => {
    // Prepare: Shopify customer 700003 is Ana; Carl once ordered as a guest
    const s = await shop();
    await s.ingest(incomingOrder({ customerId: '700003', email: 'ana.700003@example.org' }));
    await s.ingest(incomingOrder({ email: 'carl@example.org' }));
    // Act: two orders under Ana's platform id, with Carl's address and with Dora's
    const carls = await s.ingest(incomingOrder({ customerId: '700003', email: ' Carl@Example.org ' }));
    const doras = await s.ingest(incomingOrder({ customerId: '700003', email: 'dora@example.org' }));
    const anas = await s.ingest(incomingOrder({ customerId: '700003', email: 'ANA.700003@example.org' }));
    // Assess
    expect(await s.view('ana.700003@example.org')).toMatchObject({ customerId: 'shopify:700003', orderCount: 2 });
    expect(anas).toMatchObject({ customerId: 'shopify:700003' });
    const carl = await s.view('carl@example.org');
    expect(carl).toMatchObject({ orderCount: 2 });
    expect(carls).toMatchObject({ customerId: carl!.customerId });
    const dora = await s.view('dora@example.org');
    expect(dora).toMatchObject({ orderCount: 1 });
    expect(dora!.customerId).not.toBe('shopify:700003');
    expect(doras).toMatchObject({ customerId: dora!.customerId });
  });

  it('merges a customer across sources by their normalized address only, keeping dots and plus tags apart', async () => {
    // Prepare
    const s = await shop();
    await s.ingest(incomingOrder({ source: 'shopify', customerId: '800001', email: 'eva@example.org' }));
    // Act
    const sameAddress = await s.ingest(incomingOrder({ source: 'woocommerce', customerId: '55', email: ' EVA@example.org' }));
    const plusTag = await s.ingest(incomingOrder({ source: 'woocommerce', customerId: '56', email: 'eva+shop@example.org' }));
    // Assess
    expect(sameAddress).toMatchObject({ customerId: 'shopify:800001' });
    expect(plusTag).toMatchObject({ customerId: 'woocommerce:56' });
    expect(await s.view('eva@example.org')).toMatchObject({ orderCount: 2 });
  });
});

describe('forgetting leaves no way back', () => {
  it('suppresses every address the profile had: after an address change and erasure, a guest order from the old address is not emailable', async () => {
    // Prepare: Shopify customer 700004 orders as old@, then changes the account's address to new@
    const s = await shop();
    const consent = { state: 'subscribed' as const, updatedAt: '2026-01-01T00:00:00.000Z' };
    await s.ingest(
      incomingOrder({ customerId: '700004', email: 'fay.old@example.org', customer: { platformCustomerId: '700004', email: 'fay.old@example.org', consent } }),
    );
    const moved = await updateCustomerConsent({ source: 'shopify', customer: { platformCustomerId: '700004', email: 'fay.new@example.org' } }, s.changes);
    // Act: forgotten by the new address, then a guest order (that opts in) from the old one
    await s.forget({ source: 'cli', email: 'fay.new@example.org' });
    const guest = await s.ingest(
      incomingOrder({
        source: 'generic',
        email: 'fay.old@example.org',
        customer: { email: 'fay.old@example.org', consent: { state: 'subscribed', updatedAt: '2026-11-25T10:00:00.000Z' } },
      }),
    );
    // Assess
    expect(moved).toBe('updated');
    expect(await s.deps.customers.get('shopify:700004')).toBeUndefined();
    expect(await s.suppressed('fay.old@example.org')).toBe(true);
    expect(await s.suppressed('fay.new@example.org')).toBe(true);
    expect(guest).toMatchObject({ outcome: 'stored' });
    expect(await s.view('fay.old@example.org')).toMatchObject({ suppressed: true });
    expect(await s.deps.customers.customerIdForEmail(hashEmail('fay.new@example.org'))).toBeUndefined();
  });

  it('removes the order pointers and email pointers of a forgotten customer, and no stored order keeps their name or address', async () => {
    // Prepare
    const s = await shop();
    const order = incomingOrder({ customerId: '700005', email: 'gus@example.org' });
    await s.ingest(order);
    // Act
    await s.forget({ source: 'shopify', platformCustomerId: '700005' });
    // Assess
    const { Items } = await s.client.send(new ScanCommand({ TableName: s.tableName, ConsistentRead: true }));
    const left = JSON.stringify(Items);
    expect(Items!.filter((item) => item.pk === keys.orderPointer('shopify', order.orderId).pk)).toEqual([]);
    expect(Items!.filter((item) => item.pk === keys.emailPointer(hashEmail('gus@example.org')).pk)).toEqual([]);
    expect(left).not.toContain('gus@example.org');
    expect(left).not.toContain('Zoë');
    expect(await s.suppressed('gus@example.org')).toBe(true);
  });

  it("takes the forgotten customer's survey comment out of every stored report snapshot, and keeps everyone else's", async () => {
    // Prepare: two lapsed customers emailed, each answers the survey with a comment; the report is stored twice
    const s = await shop();
    const hana = customerFrom({ name: 'Hana', orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'] });
    const ivo = customerFrom({ name: 'Ivo', orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'] });
    await s.deps.customers.putMany([hana, ivo]);
    await workflowNight(s, '2026-11-22');
    const answer = async (customerId: string, comment: string) => {
      const [send] = await s.deps.ledger.sendsOf(customerId);
      await s.deps.ledger.recordFeedback(send!, { answer: 'prices', comment, at: new Date().toISOString() });
    };
    await answer(hana.customer.customerId, 'Hana here: my neighbour works at your warehouse');
    await answer(ivo.customer.customerId, 'Ivo: shipping to Malta costs too much');
    const reports = { source: new DynamoReportSource(s.client, s.tableName), snapshots: s.snapshots, configs: s.deps.configs, clock: s.deps.clock };
    await refreshReportSnapshot(reports);
    await refreshReportSnapshot(reports);
    expect(JSON.stringify((await s.snapshots.latest())!.report.reasons.feedback.comments)).toContain('Hana here');
    // Act
    await s.forget({ source: 'cli', email: hana.customer.email! });
    // Assess
    const comments = (await s.snapshots.latest())!.report.reasons.feedback.comments.map((listed) => listed.comment);
    expect(comments).toEqual(['Ivo: shipping to Malta costs too much']);
    const { Items } = await s.client.send(
      new ScanCommand({ TableName: s.tableName, FilterExpression: 'entity = :part', ExpressionAttributeValues: { ':part': 'report-part' } }),
    );
    const stored = Items!.map((item) => gunzipSync(Buffer.from(item.body as Uint8Array)).toString('utf8'));
    expect(stored.length).toBeGreaterThan(0);
    for (const text of stored) expect(text).not.toContain('Hana here');
  });
});
