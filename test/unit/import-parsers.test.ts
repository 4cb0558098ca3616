import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bulkOrderRecords } from '../../lib/adapters/shopify/bulk-orders.js';
import { exportTimeAt } from '../../lib/import/fields.js';
import { splitJsonValues } from '../../lib/import/json-values.js';
import { readOrdersCsv } from '../../lib/import/orders-csv.js';
import type { ImportRecord, ParseOptions } from '../../lib/import/records.js';
import { readShopifyCustomers } from '../../lib/import/shopify-customers.js';
import { readShopifyOrders } from '../../lib/import/shopify-orders.js';
import { readWooCommerceOrders } from '../../lib/import/woocommerce-orders.js';

const options: ParseOptions = { receivedAt: new Date('2026-01-20T00:00:00Z'), exportedAt: new Date('2026-01-19T08:00:00Z'), defaultCurrency: 'EUR' };
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/import/${name}`, import.meta.url));

async function all(records: AsyncIterable<ImportRecord>): Promise<ImportRecord[]> {
  const out: ImportRecord[] = [];
  for await (const record of records) out.push(record);
  return out;
}
const text = (body: string) => Readable.from([Buffer.from(body)]);
const orders = (records: ImportRecord[]) => records.flatMap((record) => (record.kind === 'order' ? [record.order] : []));

describe('the Shopify orders export', () => {
  it('groups line-item rows by Name, reads order fields from the first row and keeps big ids exact', async () => {
    // Act
    const records = await all(readShopifyOrders(createReadStream(fixture('shopify-orders.csv')), options));
    // Assess
    const first = orders(records)[0]!;
    expect(first).toMatchObject({
      source: 'shopify',
      orderId: '5624365672583728497',
      placedAt: '2025-03-02T09:14:31.000Z',
      totalMinor: 5490,
      currency: 'EUR',
      counts: true,
      customer: {
        email: 'ana.lopes@example.org',
        firstName: 'Ana',
        lastName: 'Lopes',
        country: 'PT',
        consent: { state: 'subscribed', updatedAt: '2026-01-19T08:00:00.000Z' },
      },
    });
    expect(first.lineItems).toEqual([
      { title: 'Espresso beans 1 kg', quantity: 2, priceMinor: 2495, sku: 'BEAN-1KG' },
      { title: 'Paper filters', quantity: 1, priceMinor: 500, sku: 'FILT-100' },
    ]);
    expect(records.find((record) => record.kind === 'order' && record.order.orderId === '5624365672583728497')).toMatchObject({ line: 2, rows: 2 });
  });

  it('counts paid, pending and partially refunded orders; not voided, cancelled, refunded or test ones', async () => {
    // Act
    const read = orders(await all(readShopifyOrders(createReadStream(fixture('shopify-orders.csv')), options)));
    // Assess
    expect(Object.fromEntries(read.map((order) => [order.orderId.slice(-3), order.notCountedBecause ?? 'counts']))).toEqual({
      '497': 'counts',
      '498': 'counts',
      '499': 'test',
      '500': 'counts',
      '501': 'cancelled',
      '502': 'refunded',
      '505': 'counts',
    });
  });

  it('skips an order without an email under its own reason and reports a bad amount by line and column', async () => {
    // Act
    const records = await all(readShopifyOrders(createReadStream(fixture('shopify-orders.csv')), options));
    // Assess
    expect(records.filter((record) => record.kind === 'skipped')).toEqual([
      { kind: 'skipped', line: 9, rows: 1, reason: 'no email (phone or point-of-sale order)' },
    ]);
    expect(records.filter((record) => record.kind === 'invalid')).toEqual([
      { kind: 'invalid', line: 10, rows: 1, field: 'Total', problem: expect.stringContaining('12,50') },
    ]);
  });

  it('reads Shopify export times with their offset, and refuses impossible ones', () => {
    expect(exportTimeAt('Created at', '2025-10-07 09:50:26 +0200', options.receivedAt)).toBe('2025-10-07T07:50:26.000Z');
    expect(exportTimeAt('Created at', '2025-10-07T09:50:26-05:00', options.receivedAt)).toBe('2025-10-07T14:50:26.000Z');
    expect(() => exportTimeAt('Created at', '2025-02-30 09:50:26 +0200', options.receivedAt)).toThrow(/Created at/);
    expect(() => exportTimeAt('Paid at', '2099-01-01 00:00:00 +0000', options.receivedAt)).toThrow();
  });
});

describe('the other formats', () => {
  it('reads a Shopify customers export in the current and the older layout', async () => {
    // Prepare
    const older = 'First Name,Last Name,Email,Company,Address1,Country Code,Accepts Marketing,Total Spent\nMia,Ode,MIA@example.org,,,dk,no,0.00\n';
    // Act
    const current = await all(readShopifyCustomers(createReadStream(fixture('shopify-customers.csv')), options));
    const old = await all(readShopifyCustomers(text(older), options));
    // Assess
    expect(current[0]).toMatchObject({
      kind: 'customer',
      line: 2,
      customer: { platformCustomerId: '700002', email: 'ana.lopes@example.org', country: 'PT', consent: { state: 'subscribed' } },
    });
    expect(current.map((record) => record.kind)).toEqual(['customer', 'customer', 'skipped', 'invalid']);
    expect(old).toEqual([
      {
        kind: 'customer',
        line: 2,
        rows: 1,
        source: 'shopify',
        customer: {
          email: 'mia@example.org',
          firstName: 'Mia',
          lastName: 'Ode',
          country: 'DK',
          consent: { state: 'not_subscribed', updatedAt: '2026-01-19T08:00:00.000Z' },
        },
      },
    ]);
  });

  it('reads WooCommerce orders saved as a JSON array or as one order per line alike', async () => {
    // Prepare
    const order = {
      id: 9007199254740993,
      status: 'completed',
      currency: 'EUR',
      date_created_gmt: '2025-09-01T10:10:00',
      total: '5.00',
      customer_id: 0,
      billing: { email: 'x@example.org' },
      line_items: [],
    };
    const line = JSON.stringify(order).replace('9007199254740992', '9007199254740993');
    // Act
    const array = await all(readWooCommerceOrders(text(`[${line},\n${line}]`), options));
    const lines = await all(readWooCommerceOrders(text(`${line}\n${line}\n`), options));
    // Assess
    expect(orders(array).map((o) => o.orderId)).toEqual(['9007199254740993', '9007199254740993']);
    expect(lines.map((record) => [record.kind, record.line])).toEqual([
      ['order', 1],
      ['order', 2],
    ]);
  });

  it('gives the plain CSV an identity of its own when it has no order id, so a re-import finds the same orders', async () => {
    // Act
    const first = orders(await all(readOrdersCsv(createReadStream(fixture('orders.csv')), options)));
    const second = orders(await all(readOrdersCsv(createReadStream(fixture('orders.csv')), options)));
    // Assess
    expect(first.map((order) => order.orderId)).toEqual(second.map((order) => order.orderId));
    expect(new Set(first.map((order) => order.orderId)).size).toBe(3);
    expect(first[0]).toMatchObject({
      source: 'generic',
      placedAt: '2025-01-15T12:00:00.000Z',
      totalMinor: 2000,
      customer: { platformCustomerId: 'c-1', consent: { state: 'subscribed' } },
    });
  });

  it("rebuilds a bulk operation's orders from their line items by __parentId", async () => {
    // Prepare
    const jsonl = [
      {
        id: 'gid://shopify/Order/5624365672583728497',
        createdAt: '2025-03-02T09:14:31Z',
        displayFinancialStatus: 'PAID',
        test: false,
        email: 'ana@example.org',
        discountCodes: ['WB-1'],
        totalPriceSet: { shopMoney: { amount: '54.90', currencyCode: 'EUR' } },
        customer: {
          id: 'gid://shopify/Customer/700002',
          email: 'Ana@example.org',
          emailMarketingConsent: { marketingState: 'SUBSCRIBED', consentUpdatedAt: '2025-01-01T00:00:00Z' },
        },
      },
      {
        id: 'gid://shopify/LineItem/1',
        title: 'Beans',
        quantity: 2,
        originalUnitPriceSet: { shopMoney: { amount: '24.95' } },
        __parentId: 'gid://shopify/Order/5624365672583728497',
      },
      {
        id: 'gid://shopify/Order/2',
        createdAt: '2025-03-03T09:00:00Z',
        displayFinancialStatus: 'REFUNDED',
        email: null,
        totalPriceSet: { shopMoney: { amount: '5.00', currencyCode: 'EUR' } },
        customer: null,
      },
      { id: 'gid://shopify/LineItem/9', title: 'Stray', quantity: 1, __parentId: 'gid://shopify/Order/5624365672583728497' },
    ]
      .map((line) => JSON.stringify(line))
      .join('\n');
    // Act
    const records = await all(bulkOrderRecords(text(jsonl), options.receivedAt));
    // Assess
    expect(records[0]).toMatchObject({
      kind: 'order',
      line: 1,
      rows: 2,
      order: {
        orderId: '5624365672583728497',
        totalMinor: 5490,
        couponCodes: ['WB-1'],
        lineItems: [{ title: 'Beans', quantity: 2, priceMinor: 2495 }],
        customer: { platformCustomerId: '700002', email: 'ana@example.org', consent: { state: 'subscribed', updatedAt: '2025-01-01T00:00:00.000Z' } },
      },
    });
    expect(records.slice(1).map((record) => record.kind)).toEqual(['invalid', 'skipped']);
  });
});

/** Whatever the bytes, a parser yields records: it never throws, and every bad record names a line and a field. */
describe('no input makes a parser throw', () => {
  const shopifyHeader =
    'Name,Email,Financial Status,Paid at,Accepts Marketing,Currency,Total,Created at,Lineitem quantity,Lineitem name,Lineitem price,Cancelled at,Refunded Amount,Id\n';
  const csvCell = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom(
      '',
      '#1001',
      'a@example.org',
      'paid',
      'refunded',
      '12.50',
      '-1',
      '1e9',
      'EUR',
      'eur',
      '2025-10-07 09:50:26 +0200',
      '2025-02-30 10:00:00 +0000',
      '"',
      '\n',
      '5624365672583728497',
      'yes',
    ),
  );
  const csvText = (header: string) =>
    fc
      .array(fc.array(fc.tuple(csvCell, fc.boolean()), { maxLength: 15 }), { maxLength: 8 })
      .map((rows) => header + rows.map((cells) => cells.map(([value, quoted]) => (quoted ? `"${value.replace(/"/g, '""')}"` : value)).join(',')).join('\n'));
  const check = (records: ImportRecord[]) => {
    for (const record of records) {
      expect(record.line).toBeGreaterThanOrEqual(0);
      if (record.kind === 'invalid') expect(record.field.length).toBeGreaterThan(0);
    }
  };

  it('holds for the Shopify orders and customers exports and the plain CSV', async () => {
    await fc.assert(
      fc.asyncProperty(csvText(shopifyHeader), fc.string(), async (body, junk) => {
        check(await all(readShopifyOrders(text(body), options)));
        check(await all(readShopifyCustomers(text(body.replace('Name,', 'Customer ID,')), options)));
        check(await all(readOrdersCsv(text(`customer_id,email,date,amount,currency,first_name,consent\n${junk}\n${body}`), options)));
      }),
      { numRuns: 150 },
    );
  });

  it('holds for WooCommerce JSON and Shopify bulk JSONL', async () => {
    const jsonish = fc.oneof(
      fc.json(),
      fc.string(),
      fc.jsonValue().map((value) => JSON.stringify([value, { id: 1, status: 'completed', total: value }])),
    );
    await fc.assert(
      fc.asyncProperty(jsonish, async (body) => {
        check(await all(readWooCommerceOrders(text(body), options)));
        check(await all(bulkOrderRecords(text(body), options.receivedAt)));
        for await (const value of splitJsonValues(text(body))) expect(['value', 'broken']).toContain(value.kind);
      }),
      { numRuns: 200 },
    );
  });
});
