import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MalformedJsonError } from '../../lib/domain/errors.js';
import type { IncomingOrder, WebhookDelivery } from '../../lib/domain/orders/incoming-order.js';
import { parseShopifyDelivery, shopifyConsentState, shopifyOrderTopics, unknownConsentTime } from '../../lib/domain/orders/shopify.js';
import { maxJsonDepth, parseJsonBody, parseJsonText, quoteUnsafeIntegers } from '../../lib/domain/webhooks/raw-json.js';
import { expectReadOrRefused, orderOf, thrownBy } from '../support/webhooks.js';

/** When the deliveries arrived: pinned, after every fixture's times (the parsers refuse times later than receipt). */
const receivedAt = new Date('2026-12-01T00:00:00.000Z');

const fixtureText = (name: string): string => readFileSync(new URL(`../fixtures/shopify/${name}`, import.meta.url), 'utf8');
const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/shopify/${name}`, import.meta.url));
const fixtureHeaders = (name: string): Record<string, string> => JSON.parse(fixtureText(name.replace(/\.json$/, '.headers.json'))) as Record<string, string>;
const orderHeaders = { 'x-shopify-topic': 'orders/create', 'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043' };

describe('Shopify orders', () => {
  it('reads orders/create with ids above 2^53 exactly, money in minor units and times in UTC', () => {
    // Prepare
    const body = fixture('orders-create.json');
    // Act
    const delivery = parseShopifyDelivery(body, fixtureHeaders('orders-create.json'), receivedAt);
    // Assess
    expect(delivery).toEqual({
      kind: 'order',
      deliveryId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      order: {
        source: 'shopify',
        orderId: '9007199254740993123',
        placedAt: '2026-11-22T15:15:00.000Z',
        updatedAt: '2026-11-22T15:15:03.000Z',
        totalMinor: 6061,
        currency: 'EUR',
        lineItems: [
          { title: 'Kaffeebohnen Äthiopien', quantity: 2, priceMinor: 2495, sku: 'BEAN-ETH-1KG' },
          { title: 'Tasse „Zoë“ 🍵', quantity: 1, priceMinor: 1200 },
        ],
        couponCodes: ['WINBACK-ZOE-7Q2'],
        counts: true,
        customer: {
          platformCustomerId: '9007199254740993',
          email: 'zoe.astrom@example.org',
          firstName: 'Zoë',
          lastName: 'Åström',
          country: 'SE',
          consent: { state: 'subscribed', updatedAt: '2024-03-01T07:00:05.000Z' },
        },
      },
    } satisfies WebhookDelivery);
  });

  it('reads the id from the raw text when there is no admin_graphql_api_id, and matches a guest by contact_email', () => {
    // Prepare: customer null, email null, lowercased header names, only X-Shopify-Event-Id
    const body = fixture('orders-create-guest.json');
    // Act
    const delivery = parseShopifyDelivery(body, fixtureHeaders('orders-create-guest.json'), receivedAt);
    // Assess
    expect(delivery.deliveryId).toBe('1f0c9a2e-3b44-4d8e-9a71-5d2b7e0c6f11');
    expect(orderOf(delivery)).toEqual({
      source: 'shopify',
      orderId: '9007199254740993777',
      placedAt: '2026-11-23T00:30:00.000Z',
      updatedAt: '2026-11-23T00:30:02.000Z',
      totalMinor: 3300,
      currency: 'JPY',
      lineItems: [{ title: '抹茶 (Matcha) 100 g', quantity: 1, priceMinor: 3300 }],
      couponCodes: [],
      counts: true,
      customer: { email: 'watanabe.haruka@example.jp', firstName: '遥', lastName: '渡辺', country: 'JP' },
    } satisfies IncomingOrder);
  });

  it('does not count a cancelled test order, and says it was a test', () => {
    // Act
    const order = orderOf(parseShopifyDelivery(fixture('orders-cancelled-test.json'), fixtureHeaders('orders-cancelled-test.json'), receivedAt));
    // Assess
    expect(order).toMatchObject({ orderId: '820982911946154508', counts: false, notCountedBecause: 'test', totalMinor: 39800, currency: 'USD' });
    expect(order.customer).toEqual({
      platformCustomerId: '115310627314723954',
      email: 'john@example.com',
      firstName: 'John',
      lastName: 'Smith',
      country: 'US',
      // no consent_updated_at and no created_at: older than anything, so it never overrides a newer local change
      consent: { state: 'not_subscribed', updatedAt: unknownConsentTime },
    });
  });

  it('does not count a cancelled order that is not a test, because it was cancelled', () => {
    // Prepare
    const text = fixtureText('orders-cancelled-test.json').replace('"test": true', '"test": false');
    // Act
    const order = orderOf(parseShopifyDelivery(Buffer.from(text), orderHeaders, receivedAt));
    // Assess
    expect(order).toMatchObject({ counts: false, notCountedBecause: 'cancelled' });
  });

  it('does not count a voided order that was not cancelled, because it was voided', () => {
    // Prepare
    const text = fixtureText('orders-cancelled-test.json')
      .replace('"test": true', '"test": false')
      .replace('"cancelled_at": "2026-11-24T12:00:00+01:00"', '"cancelled_at": null');
    // Act
    const order = orderOf(parseShopifyDelivery(Buffer.from(text), orderHeaders, receivedAt));
    // Assess
    expect(order).toMatchObject({ counts: false, notCountedBecause: 'voided' });
  });

  it('does not count a refunded order; a consent without its own time dates from the customer record', () => {
    // Act
    const order = orderOf(parseShopifyDelivery(fixture('orders-refunded.json'), fixtureHeaders('orders-refunded.json'), receivedAt));
    // Assess
    expect(order).toMatchObject({ orderId: '5012345678901', counts: false, notCountedBecause: 'refunded', totalMinor: 1999 });
    expect(order.customer).toEqual({
      platformCustomerId: '7012345678901',
      email: 'ana.lopes@example.org',
      firstName: 'Ana',
      lastName: 'Lopes',
      consent: { state: 'pending', updatedAt: '2025-01-10T10:00:00.000Z' },
    });
  });

  it('counts a partially refunded order', () => {
    // Prepare
    const text = fixtureText('orders-refunded.json').replace('"financial_status": "refunded"', '"financial_status": "partially_refunded"');
    // Act / Assess
    expect(orderOf(parseShopifyDelivery(Buffer.from(text), orderHeaders, receivedAt))).toMatchObject({ counts: true });
    expect(orderOf(parseShopifyDelivery(Buffer.from(text), orderHeaders, receivedAt)).notCountedBecause).toBeUndefined();
  });

  it('keeps an order whose email is invalid, without the email', () => {
    // Prepare
    const text = fixtureText('orders-create-guest.json').replace('"watanabe.haruka@example.jp"', '"watanabe at example"');
    // Act
    const order = orderOf(parseShopifyDelivery(Buffer.from(text), orderHeaders, receivedAt));
    // Assess
    expect(order.customer).toEqual({ firstName: '遥', lastName: '渡辺', country: 'JP' });
    expect(order.counts).toBe(true);
  });

  it('drops an email of the wrong type or length instead of refusing the order', () => {
    // Prepare
    const text = fixtureText('orders-refunded.json')
      .replace('"email": "ana.lopes@example.org",\n  "financial_status"', '"email": 42,\n  "financial_status"')
      .replace('"email": "ana.lopes@example.org",\n    "created_at"', `"email": "${'a'.repeat(400)}@example.org",\n    "created_at"`);
    // Act
    const order = orderOf(parseShopifyDelivery(Buffer.from(text), orderHeaders, receivedAt));
    // Assess
    expect(order.customer.email).toBeUndefined();
    expect(order.customer.platformCustomerId).toBe('7012345678901');
  });

  it('reads every order topic as an order', () => {
    for (const topic of shopifyOrderTopics) {
      // Act
      const delivery = parseShopifyDelivery(fixture('orders-refunded.json'), { 'X-Shopify-Topic': topic, 'X-Shopify-Webhook-Id': 'w-1' }, receivedAt);
      // Assess
      expect(delivery.kind).toBe('order');
    }
  });
});

describe('Shopify customers', () => {
  it('reads a consent change from customers/update', () => {
    // Act
    const delivery = parseShopifyDelivery(fixture('customers-update-unsubscribed.json'), fixtureHeaders('customers-update-unsubscribed.json'), receivedAt);
    // Assess
    expect(delivery).toEqual({
      kind: 'customer-update',
      deliveryId: 'c1d2e3f4-0000-4000-8000-000000000003',
      update: {
        source: 'shopify',
        customer: {
          platformCustomerId: '9007199254740993',
          email: 'zoe.astrom@example.org',
          firstName: 'Zoë',
          lastName: 'Åström',
          country: 'SE',
          consent: { state: 'unsubscribed', updatedAt: '2026-11-25T06:12:40.000Z' },
        },
      },
    } satisfies WebhookDelivery);
  });

  it('reads customers/redact as a request to forget', () => {
    // Act
    const delivery = parseShopifyDelivery(fixture('customers-redact.json'), fixtureHeaders('customers-redact.json'), receivedAt);
    // Assess
    expect(delivery).toEqual({
      kind: 'redaction',
      deliveryId: 'c1d2e3f4-0000-4000-8000-000000000004',
      redaction: { source: 'shopify', platformCustomerId: '9007199254740993', email: 'zoe.astrom@example.org' },
    } satisfies WebhookDelivery);
  });

  it('refuses a redaction with nothing to forget by', () => {
    // Prepare
    const body = Buffer.from('{"shop_id": 1, "customer": {"id": null, "email": null}, "orders_to_redact": []}');
    // Act
    const error = thrownBy(() => parseShopifyDelivery(body, { 'X-Shopify-Topic': 'customers/redact', 'X-Shopify-Webhook-Id': 'w' }, receivedAt));
    // Assess
    expect([error.status, error.details.field]).toEqual([400, 'customer']);
  });

  it.each([
    ['subscribed', 'subscribed'],
    ['not_subscribed', 'not_subscribed'],
    ['unsubscribed', 'unsubscribed'],
    ['pending', 'pending'],
    ['redacted', 'unknown'],
    ['invalid', 'unknown'],
    ['something_new', 'unknown'],
  ])('maps consent state %s to %s', (state, expected) => {
    expect(shopifyConsentState(state)).toBe(expected);
  });
});

describe('Shopify deliveries we do not use or cannot read', () => {
  it('ignores a topic it does not use without reading the body', () => {
    // Act
    const delivery = parseShopifyDelivery(Buffer.from('not even json'), { 'X-Shopify-Topic': 'products/update', 'X-Shopify-Webhook-Id': 'w-2' }, receivedAt);
    // Assess
    expect(delivery).toEqual({ kind: 'ignored', deliveryId: 'w-2', reason: 'topic "products/update" is not used' });
  });

  it.each([
    ['invalid-missing-total-price.json', 'total_price'],
    ['invalid-price-not-decimal.json', 'line_items[0].price'],
    ['invalid-line-items-not-array.json', 'line_items'],
  ])('refuses %s with a 400 naming %s', (name, field) => {
    // Act
    const error = thrownBy(() => parseShopifyDelivery(fixture(name), orderHeaders, receivedAt));
    // Assess
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_body');
    expect(error.details.field).toBe(field);
    expect(error.body()).toMatchObject({ error: 'invalid_body', field });
  });

  it('refuses malformed JSON with a 400 malformed_json', () => {
    // Act
    const error = thrownBy(() => parseShopifyDelivery(fixture('invalid-malformed.txt'), orderHeaders, receivedAt));
    // Assess
    expect([error.status, error.code]).toEqual([400, 'malformed_json']);
  });

  it('refuses an amount with more decimals than the currency has, naming the field', () => {
    // Prepare
    const text = fixtureText('orders-create-guest.json').replace('"total_price": "3300"', '"total_price": "3300.50"');
    // Act
    const error = thrownBy(() => parseShopifyDelivery(Buffer.from(text), orderHeaders, receivedAt));
    // Assess
    expect([error.status, error.details.field]).toEqual([400, 'total_price']);
  });

  it('refuses a quantity that is not a positive integer', () => {
    // Prepare
    const text = fixtureText('orders-refunded.json').replace('"quantity": 1', '"quantity": 0');
    // Act / Assess
    expect(thrownBy(() => parseShopifyDelivery(Buffer.from(text), orderHeaders, receivedAt)).details.field).toBe('line_items[0].quantity');
  });

  it('names the missing topic header', () => {
    expect(thrownBy(() => parseShopifyDelivery(fixture('orders-refunded.json'), { 'X-Shopify-Webhook-Id': 'w' }, receivedAt)).details).toEqual({
      field: 'X-Shopify-Topic',
      problem: 'missing header',
    });
  });

  it('names the missing delivery id header when neither X-Shopify-Webhook-Id nor X-Shopify-Event-Id is there', () => {
    // Act
    const error = thrownBy(() => parseShopifyDelivery(fixture('orders-refunded.json'), { 'X-Shopify-Topic': 'orders/create' }, receivedAt));
    // Assess
    expect([error.status, error.details.field]).toEqual([400, 'X-Shopify-Webhook-Id']);
  });

  it('refuses a body that is not UTF-8', () => {
    expect(thrownBy(() => parseShopifyDelivery(Buffer.from([0x7b, 0xff, 0x7d]), orderHeaders, receivedAt)).code).toBe('malformed_json');
  });
});

describe('reading raw JSON', () => {
  it('keeps integers above 2^53 exact, and leaves digits inside strings and other numbers alone', () => {
    // Prepare
    const text =
      '{"id": 9007199254740993, "small": 42, "rate": 0.19, "neg": -9007199254740993123, "exp": 1e21, "note": "id 12345678901234567890 \\" 98765432109876543210", "list": [18446744073709551615]}';
    // Act
    const parsed = parseJsonText(text);
    // Assess
    expect(parsed).toEqual({
      id: '9007199254740993',
      small: 42,
      rate: 0.19,
      neg: '-9007199254740993123',
      exp: 1e21,
      note: 'id 12345678901234567890 " 98765432109876543210',
      list: ['18446744073709551615'],
    });
  });

  it('leaves big integers as (lossy) numbers when asked to, so a schema that wants string ids can refuse them', () => {
    expect(parseJsonText('{"id": 9007199254740993}', { exactIntegers: false })).toEqual({ id: 9007199254740992 });
  });

  it('leaves malformed numbers malformed', () => {
    expect(quoteUnsafeIntegers('[012345678901234567890]')).toBe('[012345678901234567890]');
    expect(() => parseJsonText('[012345678901234567890]')).toThrow(MalformedJsonError);
  });

  it('drops __proto__, constructor and prototype keys', () => {
    // Act
    const parsed = parseJsonText('{"__proto__": {"test": true}, "constructor": {"prototype": {"polluted": 1}}, "a": {"__proto__": 1, "b": 2}}') as Record<
      string,
      unknown
    >;
    // Assess
    expect(Object.keys(parsed)).toEqual(['a']);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(parsed.a).toEqual({ b: 2 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses JSON nested deeper than the limit instead of overflowing the stack', () => {
    // Prepare
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    // Act / Assess
    expect(thrownBy(() => parseJsonText(deep)).code).toBe('malformed_json');
    expect(parseJsonText(`${'['.repeat(maxJsonDepth)}${']'.repeat(maxJsonDepth)}`)).toBeDefined();
  });

  it('parses what JSON.stringify wrote exactly as JSON.parse would, except that unsafe integers become their digits', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), (value) => {
        expect(parseJsonText(JSON.stringify(value))).toEqual(expectedExactly(value));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses what JSON.parse refuses, with a 400', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        if (valid) expect(() => parseJsonText(text)).not.toThrow();
        else expect(thrownBy(() => parseJsonText(text)).code).toBe('malformed_json');
      }),
      { numRuns: 500 },
    );
  });

  it('never throws anything but a 400 on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 500 }), (bytes) => expectReadOrRefused(() => parseJsonBody(Buffer.from(bytes)))));
  });
});

describe('Shopify parsing never fails with anything but a 400', () => {
  const topics = fc.constantFrom(...shopifyOrderTopics, 'customers/update', 'customers/redact', 'products/update');
  const headersFor = (topic: string) => ({ 'X-Shopify-Topic': topic, 'X-Shopify-Webhook-Id': 'fuzz' });

  it('on arbitrary bytes', () => {
    fc.assert(
      fc.property(topics, fc.uint8Array({ maxLength: 600 }), (topic, bytes) =>
        expectReadOrRefused(() => parseShopifyDelivery(Buffer.from(bytes), headersFor(topic), receivedAt)),
      ),
    );
  });

  it('on arbitrary JSON values', () => {
    fc.assert(
      fc.property(topics, fc.jsonValue(), (topic, value) =>
        expectReadOrRefused(() => parseShopifyDelivery(Buffer.from(JSON.stringify(value)), headersFor(topic), receivedAt)),
      ),
    );
  });

  it('on a real order with any one field replaced by any JSON value', () => {
    // Prepare
    const base = parseJsonText(fixtureText('orders-create.json'));
    const paths: readonly (readonly (string | number)[])[] = [
      ['id'],
      ['admin_graphql_api_id'],
      ['created_at'],
      ['updated_at'],
      ['currency'],
      ['total_price'],
      ['financial_status'],
      ['cancelled_at'],
      ['test'],
      ['email'],
      ['contact_email'],
      ['line_items'],
      ['line_items', 0],
      ['line_items', 0, 'price'],
      ['line_items', 0, 'quantity'],
      ['line_items', 1, 'title'],
      ['line_items', 1, 'sku'],
      ['discount_codes'],
      ['discount_codes', 0, 'code'],
      ['customer'],
      ['customer', 'id'],
      ['customer', 'email'],
      ['customer', 'admin_graphql_api_id'],
      ['customer', 'default_address'],
      ['customer', 'default_address', 'country_code'],
      ['customer', 'email_marketing_consent'],
      ['customer', 'email_marketing_consent', 'state'],
      ['customer', 'email_marketing_consent', 'consent_updated_at'],
      ['billing_address'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue(), (path, value) => {
        const body = Buffer.from(JSON.stringify(replaced(base, path, value)));
        expectReadOrRefused(() => parseShopifyDelivery(body, headersFor('orders/create'), receivedAt));
      }),
      { numRuns: 500 },
    );
  });

  it('on arbitrary header values', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('X-Shopify-Topic', 'x-shopify-webhook-id', 'X-Shopify-Event-Id', 'content-type', 'other'),
          fc.string({ unit: 'binary', maxLength: 300 }),
        ),
        (headers) => expectReadOrRefused(() => parseShopifyDelivery(fixture('orders-refunded.json'), headers, receivedAt)),
      ),
    );
  });
});

/** What an exact parse of JSON.stringify(value) gives: unsafe integers as their digits, dangerous keys gone. */
function expectedExactly(value: unknown): unknown {
  if (typeof value === 'number') {
    if (Object.is(value, -0)) return 0;
    const text = JSON.stringify(value);
    return Number.isInteger(value) && !Number.isSafeInteger(value) && /^-?\d+$/.test(text) ? text : value;
  }
  if (Array.isArray(value)) return value.map(expectedExactly);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !['__proto__', 'constructor', 'prototype'].includes(key))
        .map(([key, inner]) => [key, expectedExactly(inner)]),
    );
  }
  return value;
}

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
