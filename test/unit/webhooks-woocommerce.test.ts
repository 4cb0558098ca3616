import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDecimalAmount } from '../../lib/domain/money.js';
import type { IncomingOrder, WebhookDelivery } from '../../lib/domain/orders/incoming-order.js';
import { isWooCommercePing, numberToDecimalText, parseWooCommerceDelivery, roundHalfUp } from '../../lib/domain/orders/woocommerce.js';
import { parseJsonText } from '../../lib/domain/webhooks/raw-json.js';
import { expectReadOrRefused, orderOf, thrownBy } from '../support/webhooks.js';

/** When the deliveries arrived: pinned, after every fixture's times (the parsers refuse times later than receipt). */
const receivedAt = new Date('2026-12-01T00:00:00.000Z');

const fixtureText = (name: string): string => readFileSync(new URL(`../fixtures/woocommerce/${name}`, import.meta.url), 'utf8');
const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/woocommerce/${name}`, import.meta.url));
const fixtureHeaders = (name: string): Record<string, string> =>
  JSON.parse(fixtureText(name.replace(/\.(json|txt)$/, '.headers.json'))) as Record<string, string>;
const orderHeaders = { 'X-WC-Webhook-Topic': 'order.updated', 'X-WC-Webhook-Delivery-ID': '7a1e0c9b2d3f4e5a6b7c8d9e0f1a2b3c' };

describe('WooCommerce orders', () => {
  it('reads order.created for a guest (customer_id 0): exact ids, UTC times, numeric prices as decimals', () => {
    // Act
    const delivery = parseWooCommerceDelivery(fixture('order-created-guest.json'), fixtureHeaders('order-created-guest.json'), receivedAt);
    // Assess
    expect(delivery).toEqual({
      kind: 'order',
      deliveryId: '0f6f1f7c3e9a4b1d8c2e5a7b9d0c1e2f',
      order: {
        source: 'woocommerce',
        orderId: '9007199254740993001',
        placedAt: '2026-11-22T09:15:00.000Z',
        updatedAt: '2026-11-22T09:15:04.000Z',
        totalMinor: 14788,
        currency: 'EUR',
        lineItems: [
          { title: 'Kaffeebohnen Äthiopien - 1 kg', quantity: 2, priceMinor: 1999, sku: 'BEAN-ETH-1KG' },
          // WooCommerce sends total / quantity as a float: 33.333333333333336
          { title: 'Probierset – drei Sorten', quantity: 3, priceMinor: 3333 },
          { title: '渡辺さんのお茶', quantity: 1, priceMinor: 300, sku: 'TEA-WTN' },
        ],
        couponCodes: ['winback-zoe'],
        counts: true,
        customer: { email: 'zoe.astrom@example.org', firstName: 'Zoë', lastName: 'Åström', country: 'PT' },
      },
    } satisfies WebhookDelivery);
  });

  it('reads order.updated cancelled: not counted, the registered customer by id, an invalid email dropped', () => {
    // Act
    const order = orderOf(parseWooCommerceDelivery(fixture('order-updated-cancelled.json'), fixtureHeaders('order-updated-cancelled.json'), receivedAt));
    // Assess
    expect(order).toEqual({
      source: 'woocommerce',
      orderId: '4128',
      placedAt: '2026-11-20T18:02:11.000Z',
      updatedAt: '2026-11-21T08:00:00.000Z',
      totalMinor: 1250,
      currency: 'GBP',
      lineItems: [{ title: 'Mug', quantity: 1, priceMinor: 1250, sku: 'MUG-1' }],
      couponCodes: [],
      counts: false,
      notCountedBecause: 'cancelled',
      customer: { platformCustomerId: '9007199254740993', firstName: 'Ana', lastName: 'Lopes', country: 'GB' },
    } satisfies IncomingOrder);
  });

  it.each([
    ['completed', true],
    ['processing', true],
    ['on-hold', true],
    ['cancelled', false],
    ['refunded', false],
    ['failed', false],
    ['trash', false],
    ['pending', false],
    ['checkout-draft', false],
    ['some-plugin-status', false],
  ])('status %s counts: %s', (status, counts) => {
    // Prepare
    const text = fixtureText('order-updated-cancelled.json').replace('"status": "cancelled"', `"status": "${status}"`);
    // Act
    const order = orderOf(parseWooCommerceDelivery(Buffer.from(text), orderHeaders, receivedAt));
    // Assess
    expect(order.counts).toBe(counts);
    expect(order.notCountedBecause).toBe(counts ? undefined : status);
  });

  it('accepts a line price sent as a string, and rounds store decimals beyond the currency half-up', () => {
    // Prepare
    const text = fixtureText('order-updated-cancelled.json').replace('"price": 12.5 }', '"price": "12.505" }').replace('"total": "12.50"', '"total": "12.504"');
    // Act
    const order = orderOf(parseWooCommerceDelivery(Buffer.from(text), orderHeaders, receivedAt));
    // Assess
    expect([order.totalMinor, order.lineItems[0]?.priceMinor]).toEqual([1250, 1251]);
  });

  it('falls back to date_created_gmt when date_modified_gmt is null', () => {
    // Prepare
    const text = fixtureText('order-updated-cancelled.json').replace('"date_modified_gmt": "2026-11-21T08:00:00"', '"date_modified_gmt": null');
    // Act / Assess
    expect(orderOf(parseWooCommerceDelivery(Buffer.from(text), orderHeaders, receivedAt)).updatedAt).toBe('2026-11-20T18:02:11.000Z');
  });
});

describe('the WooCommerce creation ping', () => {
  it('is recognised before any signature is asked for', () => {
    // Prepare
    const body = fixture('ping.txt');
    // Act / Assess
    expect(isWooCommercePing(body, fixtureHeaders('ping.txt'))).toBe(true);
    expect(isWooCommercePing(body, { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' })).toBe(true);
    expect(isWooCommercePing(body, {})).toBe(true);
    expect(parseWooCommerceDelivery(body, fixtureHeaders('ping.txt'), receivedAt)).toEqual({ kind: 'ping' });
  });

  it.each([
    ['webhook_id=17', { 'content-type': 'application/json' }],
    ['webhook_id=abc', {}],
    ['webhook_id=17&topic=order.created', {}],
    ['{"webhook_id": 17}', {}],
  ])('is not %s with %j', (body, headers) => {
    expect(isWooCommercePing(Buffer.from(body), headers)).toBe(false);
  });
});

describe('WooCommerce deliveries we do not use or cannot read', () => {
  it('ignores other topics without reading the body', () => {
    expect(parseWooCommerceDelivery(Buffer.from('{}'), { 'X-WC-Webhook-Topic': 'product.updated', 'X-WC-Webhook-Delivery-ID': 'd-1' }, receivedAt)).toEqual({
      kind: 'ignored',
      deliveryId: 'd-1',
      reason: 'topic "product.updated" is not used',
    });
  });

  it.each([
    ['invalid-missing-total.json', 'total'],
    ['invalid-line-item-price.json', 'line_items[0].price'],
    ['invalid-date-created-gmt.json', 'date_created_gmt'],
    ['invalid-customer-id.json', 'customer_id'],
  ])('refuses %s with a 400 naming %s', (name, field) => {
    // Act
    const error = thrownBy(() => parseWooCommerceDelivery(fixture(name), orderHeaders, receivedAt));
    // Assess
    expect([error.status, error.code, error.details.field]).toEqual([400, 'invalid_body', field]);
  });

  it('refuses malformed JSON with a 400 malformed_json', () => {
    expect(thrownBy(() => parseWooCommerceDelivery(fixture('invalid-malformed.txt'), orderHeaders, receivedAt)).code).toBe('malformed_json');
  });

  it('refuses a date that does not exist', () => {
    // Prepare
    const text = fixtureText('order-updated-cancelled.json').replace('"date_created_gmt": "2026-11-20T18:02:11"', '"date_created_gmt": "2026-02-30T18:02:11"');
    // Act / Assess
    expect(thrownBy(() => parseWooCommerceDelivery(Buffer.from(text), orderHeaders, receivedAt)).details.field).toBe('date_created_gmt');
  });

  it.each([
    [{ 'X-WC-Webhook-Delivery-ID': 'd' }, 'X-WC-Webhook-Topic'],
    [{ 'X-WC-Webhook-Topic': 'order.created' }, 'X-WC-Webhook-Delivery-ID'],
  ])('names the missing header in %j', (headers, field) => {
    expect(thrownBy(() => parseWooCommerceDelivery(fixture('order-updated-cancelled.json'), headers, receivedAt)).details.field).toBe(field);
  });
});

describe('WooCommerce amounts as decimal text', () => {
  it.each([
    [19.99, '19.99'],
    [12.5, '12.5'],
    [3, '3'],
    [33.333333333333336, '33.333333333333336'],
    [1e-7, '0.0000001'],
    [1.5e-10, '0.00000000015'],
    [1e21, '1000000000000000000000'],
    [-2.5e-7, '-0.00000025'],
  ])('writes %s as %s', (value, text) => {
    expect(numberToDecimalText(value)).toBe(text);
  });

  it.each([
    ['33.333333333333336', 2, '33.33'],
    ['1.005', 2, '1.01'],
    ['0.995', 2, '1.00'],
    ['9.995', 2, '10.00'],
    ['-2.345', 2, '-2.35'],
    ['1500.5', 0, '1501'],
    ['19.99', 2, '19.99'],
    ['7', 2, '7'],
  ])('rounds %s to %i places as %s', (text, digits, rounded) => {
    expect(roundHalfUp(text, digits)).toBe(rounded);
  });

  it('reads every cent amount sent as a JSON number exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 13 }), (cents) => {
        expect(parseDecimalAmount(roundHalfUp(numberToDecimalText(cents / 100) ?? '', 2), 'EUR')).toBe(cents);
      }),
    );
  });
});

describe('WooCommerce parsing never fails with anything but a 400', () => {
  const topics = fc.constantFrom('order.created', 'order.updated', 'product.created');
  const headersFor = (topic: string) => ({ 'X-WC-Webhook-Topic': topic, 'X-WC-Webhook-Delivery-ID': 'fuzz' });

  it('on arbitrary bytes', () => {
    fc.assert(
      fc.property(topics, fc.uint8Array({ maxLength: 600 }), (topic, bytes) =>
        expectReadOrRefused(() => parseWooCommerceDelivery(Buffer.from(bytes), headersFor(topic), receivedAt)),
      ),
    );
  });

  it('on arbitrary strings, form bodies included', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 100 }),
          fc.string().map((text) => `webhook_id=${text}`),
        ),
        (text) =>
          expectReadOrRefused(() =>
            parseWooCommerceDelivery(Buffer.from(text), { 'content-type': 'application/x-www-form-urlencoded', ...headersFor('order.created') }, receivedAt),
          ),
      ),
    );
  });

  it('on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) =>
        expectReadOrRefused(() => parseWooCommerceDelivery(Buffer.from(JSON.stringify(value)), headersFor('order.created'), receivedAt)),
      ),
    );
  });

  it('on a real order with any one field replaced by any JSON value', () => {
    // Prepare
    const base = parseJsonText(fixtureText('order-created-guest.json'));
    const paths: readonly (readonly (string | number)[])[] = [
      ['id'],
      ['status'],
      ['currency'],
      ['date_created_gmt'],
      ['date_modified_gmt'],
      ['total'],
      ['customer_id'],
      ['billing'],
      ['billing', 'email'],
      ['billing', 'first_name'],
      ['billing', 'country'],
      ['line_items'],
      ['line_items', 0],
      ['line_items', 1, 'price'],
      ['line_items', 0, 'quantity'],
      ['line_items', 2, 'name'],
      ['line_items', 0, 'sku'],
      ['coupon_lines'],
      ['coupon_lines', 0, 'code'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue(), (path, value) => {
        const body = Buffer.from(JSON.stringify(replaced(base, path, value)));
        expectReadOrRefused(() => parseWooCommerceDelivery(body, headersFor('order.created'), receivedAt));
      }),
      { numRuns: 500 },
    );
  });

  it('on arbitrary header values', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('X-WC-Webhook-Topic', 'x-wc-webhook-delivery-id', 'Content-Type', 'other'),
          fc.string({ unit: 'binary', maxLength: 300 }),
        ),
        (headers) => expectReadOrRefused(() => parseWooCommerceDelivery(fixture('order-updated-cancelled.json'), headers, receivedAt)),
      ),
    );
  });
});

function replaced(base: unknown, path: readonly (string | number)[], value: unknown): unknown {
  const copy = structuredClone(base) as Record<string | number, unknown>;
  let holder: Record<string | number, unknown> | undefined = copy;
  for (const key of path.slice(0, -1)) {
    const next: unknown = holder?.[key];
    holder = next !== null && typeof next === 'object' ? (next as Record<string | number, unknown>) : undefined;
  }
  const last = path[path.length - 1];
  if (holder && last !== undefined) holder[last] = value;
  return copy;
}
