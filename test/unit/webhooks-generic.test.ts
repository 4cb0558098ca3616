import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { genericOrderStatuses, parseGenericDelivery } from '../../lib/domain/orders/generic.js';
import type { IncomingOrder, WebhookDelivery } from '../../lib/domain/orders/incoming-order.js';
import { signStandardWebhook, standardWebhookHeaderValues, verifyStandardWebhook } from '../../lib/domain/webhooks/signatures.js';
import { expectReadOrRefused, orderOf, thrownBy } from '../support/webhooks.js';

/** When the deliveries arrived: pinned, after every fixture's times (the parsers refuse times later than receipt). */
const receivedAt = new Date('2026-12-01T00:00:00.000Z');

const fixtureText = (name: string): string => readFileSync(new URL(`../fixtures/generic/${name}`, import.meta.url), 'utf8');
const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/generic/${name}`, import.meta.url));
const headers = { 'webhook-id': 'msg_2p5jXN8AQM9LWM0D4loKWxJek' };

describe('generic orders', () => {
  it('reads a documented order, ignoring unknown extra fields', () => {
    // Act
    const delivery = parseGenericDelivery(fixture('order.json'), headers, receivedAt);
    // Assess
    expect(delivery).toEqual({
      kind: 'order',
      deliveryId: 'msg_2p5jXN8AQM9LWM0D4loKWxJek',
      order: {
        source: 'generic',
        orderId: '9007199254740993123',
        placedAt: '2026-11-22T09:15:00.000Z',
        updatedAt: '2026-11-22T10:20:00.000Z',
        totalMinor: 5490,
        currency: 'EUR',
        lineItems: [
          { title: 'Kaffeebohnen Äthiopien 1 kg', quantity: 2, priceMinor: 2495, sku: 'BEAN-ETH-1KG' },
          { title: '渡辺さんのお茶', quantity: 1, priceMinor: 500 },
        ],
        couponCodes: ['WINBACK-ZOE-7Q2'],
        counts: true,
        customer: {
          platformCustomerId: 'cust_9007199254740993',
          email: 'zoe.astrom@example.org',
          firstName: 'Zoë',
          lastName: 'Åström',
          country: 'SE',
          consent: { state: 'subscribed', updatedAt: '2026-01-05T08:00:00.000Z' },
        },
      },
    } satisfies WebhookDelivery);
  });

  it('reads a refunded guest order: not counted, matched by email, updatedAt defaulting to placedAt', () => {
    // Act
    const order = orderOf(parseGenericDelivery(fixture('order-refunded-guest.json'), headers, receivedAt));
    // Assess
    expect(order).toEqual({
      source: 'generic',
      orderId: 'R-77',
      placedAt: '2026-11-02T08:00:00.000Z',
      updatedAt: '2026-11-02T08:00:00.000Z',
      totalMinor: 3300,
      currency: 'JPY',
      lineItems: [{ title: '抹茶 100 g', quantity: 1, priceMinor: 3300 }],
      couponCodes: [],
      counts: false,
      notCountedBecause: 'refunded',
      customer: { email: 'watanabe.haruka@example.jp' },
    } satisfies IncomingOrder);
  });

  it.each(genericOrderStatuses.map((status) => [status, status === 'paid'] as const))('status %s counts: %s', (status, counts) => {
    // Prepare
    const text = fixtureText('order.json').replace('"status": "paid"', `"status": "${status}"`);
    // Act
    const order = orderOf(parseGenericDelivery(Buffer.from(text), headers, receivedAt));
    // Assess
    expect([order.counts, order.notCountedBecause]).toEqual([counts, counts ? undefined : status]);
  });

  it('dates consent from the order when marketingConsentUpdatedAt is absent', () => {
    // Prepare
    const text = fixtureText('order.json').replace(',\n      "marketingConsentUpdatedAt": "2026-01-05T09:00:00+01:00"', '');
    // Act
    const order = orderOf(parseGenericDelivery(Buffer.from(text), headers, receivedAt));
    // Assess
    expect(order.customer.consent).toEqual({ state: 'subscribed', updatedAt: '2026-11-22T10:20:00.000Z' });
  });

  it('reads a delivery the way the handler will: verify the Standard Webhooks signature, then parse', () => {
    // Prepare
    const secret = `whsec_${Buffer.from('a-32-byte-secret-for-the-tests!!').toString('base64')}`;
    const body = fixture('order.json');
    const now = new Date('2026-11-22T10:20:05Z');
    const timestamp = Math.floor(now.getTime() / 1000);
    const eventHeaders = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signStandardWebhook('msg_1', timestamp, body, secret),
    };
    // Act
    const verification = verifyStandardWebhook(body, standardWebhookHeaderValues(eventHeaders), [secret], now);
    const delivery = parseGenericDelivery(body, eventHeaders, receivedAt);
    // Assess
    expect(verification).toEqual({ ok: true });
    expect(delivery).toMatchObject({ kind: 'order', deliveryId: 'msg_1', order: { orderId: '9007199254740993123' } });
  });
});

describe('generic deliveries we cannot read', () => {
  it.each([
    ['invalid-number-id.json', 'order.id', 'expected a string id (send numbers in quotes)'],
    ['invalid-currency.json', 'order.currency', 'expected an ISO 4217 code like "EUR"'],
    ['invalid-customer-without-id-or-email.json', 'order.customer', 'needs an id or an email'],
    ['invalid-email.json', 'order.customer.email', 'not a valid email address'],
  ])('refuses %s with a 400 naming %s', (name, field, problem) => {
    // Act
    const error = thrownBy(() => parseGenericDelivery(fixture(name), headers, receivedAt));
    // Assess
    expect(error.status).toBe(400);
    expect(error.body()).toEqual({ error: 'invalid_body', field, problem });
  });

  it('refuses malformed JSON with a 400 malformed_json', () => {
    expect(thrownBy(() => parseGenericDelivery(fixture('invalid-malformed.txt'), headers, receivedAt)).code).toBe('malformed_json');
  });

  it.each([
    ['"type": "order"', '"type": "refund"', 'type'],
    ['"total": "54.90"', '"total": 54.9', 'order.total'],
    ['"price": "24.95"', '"price": "24.955"', 'order.lineItems[0].price'],
    ['"quantity": 2', '"quantity": 10001', 'order.lineItems[0].quantity'],
    ['"placedAt": "2026-11-22T10:15:00+01:00"', '"placedAt": "2026-11-22 10:15"', 'order.placedAt'],
    ['"placedAt": "2026-11-22T10:15:00+01:00"', '"placedAt": "0001-01-01T00:00:00Z"', 'order.placedAt'],
    ['"status": "paid"', '"status": "shipped"', 'order.status'],
    ['"marketingConsent": "subscribed"', '"marketingConsent": "yes"', 'order.customer.marketingConsent'],
    ['"id": "cust_9007199254740993"', '"id": 42', 'order.customer.id'],
  ])('refuses %s changed to %s, naming %s', (from, to, field) => {
    // Prepare
    const text = fixtureText('order.json').replace(from, to);
    // Act / Assess
    expect(thrownBy(() => parseGenericDelivery(Buffer.from(text), headers, receivedAt)).details.field).toBe(field);
  });

  it('names a body that is not an object as the body', () => {
    expect(thrownBy(() => parseGenericDelivery(Buffer.from('[]'), headers, receivedAt)).details.field).toBe('body');
  });

  it('refuses more than 500 line items', () => {
    // Prepare
    const body = JSON.parse(fixtureText('order.json')) as { order: { lineItems: unknown[] } };
    body.order.lineItems = Array.from({ length: 501 }, () => ({ title: 'x', quantity: 1, price: '1.00' }));
    // Act / Assess
    expect(thrownBy(() => parseGenericDelivery(Buffer.from(JSON.stringify(body)), headers, receivedAt)).details.field).toBe('order.lineItems');
  });

  it('names the missing webhook-id header', () => {
    expect(thrownBy(() => parseGenericDelivery(fixture('order.json'), {}, receivedAt)).details).toEqual({ field: 'webhook-id', problem: 'missing header' });
  });
});

describe('generic parsing never fails with anything but a 400', () => {
  it('on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => expectReadOrRefused(() => parseGenericDelivery(Buffer.from(bytes), headers, receivedAt))),
    );
  });

  it('on arbitrary JSON values', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => expectReadOrRefused(() => parseGenericDelivery(Buffer.from(JSON.stringify(value)), headers, receivedAt))));
  });

  it('on a valid order with any one field replaced by any JSON value', () => {
    // Prepare
    const base = JSON.parse(fixtureText('order.json')) as unknown;
    const paths: readonly (readonly (string | number)[])[] = [
      ['type'],
      ['order'],
      ['order', 'id'],
      ['order', 'placedAt'],
      ['order', 'updatedAt'],
      ['order', 'status'],
      ['order', 'currency'],
      ['order', 'total'],
      ['order', 'lineItems'],
      ['order', 'lineItems', 0],
      ['order', 'lineItems', 0, 'price'],
      ['order', 'lineItems', 1, 'quantity'],
      ['order', 'lineItems', 0, 'sku'],
      ['order', 'couponCodes'],
      ['order', 'customer'],
      ['order', 'customer', 'id'],
      ['order', 'customer', 'email'],
      ['order', 'customer', 'country'],
      ['order', 'customer', 'marketingConsent'],
      ['order', 'customer', 'marketingConsentUpdatedAt'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue(), (path, value) => {
        const body = Buffer.from(JSON.stringify(replaced(base, path, value)));
        expectReadOrRefused(() => parseGenericDelivery(body, headers, receivedAt));
      }),
      { numRuns: 500 },
    );
  });

  it('on arbitrary header values', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('webhook-id', 'Webhook-Id', 'other'), fc.string({ unit: 'binary', maxLength: 300 })), (given) =>
        expectReadOrRefused(() => parseGenericDelivery(fixture('order.json'), given, receivedAt)),
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
