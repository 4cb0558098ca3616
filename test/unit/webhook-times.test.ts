import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lib/domain/errors.js';
import { parseGenericDelivery } from '../../lib/domain/orders/generic.js';
import { parseShopifyDelivery } from '../../lib/domain/orders/shopify.js';
import { parseWooCommerceDelivery } from '../../lib/domain/orders/woocommerce.js';
import { parseSesEvent } from '../../lib/domain/ses-events.js';
import { clockSkewMs, earliestPlausibleTime } from '../../lib/domain/unreadable-record.js';
import { toHttpError } from '../../lib/http/errors.js';
import { orderOf, thrownBy } from '../support/webhooks.js';

/** When the deliveries arrived: pinned, so the bounds are the same on every run. */
const receivedAt = new Date('2026-12-01T12:00:00.000Z');
const latestAllowed = receivedAt.getTime() + clockSkewMs;

const text = (source: string, name: string): string => readFileSync(new URL(`../fixtures/${source}/${name}`, import.meta.url), 'utf8');
const fixture = (source: string, name: string): Buffer => Buffer.from(text(source, name));
const body = (source: string, name: string): Record<string, unknown> => JSON.parse(text(source, name)) as Record<string, unknown>;

const shopifyOrder = { 'X-Shopify-Topic': 'orders/create', 'X-Shopify-Webhook-Id': 'w-times' };
const shopifyCustomerUpdate = { 'X-Shopify-Topic': 'customers/update', 'X-Shopify-Webhook-Id': 'w-times' };
const wooOrder = { 'X-WC-Webhook-Topic': 'order.created', 'X-WC-Webhook-Delivery-ID': 'd-times' };
const genericHeaders = { 'webhook-id': 'msg_times' };

/** An instant written in local time with a numeric offset, as Shopify and the generic webhook send them. */
function withOffset(instant: Date, offsetMinutes: number): string {
  const local = new Date(instant.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const minutes = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

const offsets = fc.integer({ min: -12 * 60, max: 14 * 60 }).map((minutes) => minutes - (minutes % 15));
const allowed = fc.date({ min: new Date(earliestPlausibleTime), max: new Date(latestAllowed), noInvalidDate: true });
// What the parsers' formats can still express (years 1970 to 9999 in UTC), outside the window.
const tooEarly = fc.date({ min: new Date('1970-01-02T00:00:00Z'), max: new Date(Date.parse(earliestPlausibleTime) - 1000), noInvalidDate: true });
const tooLate = fc.date({ min: new Date(latestAllowed + 1000), max: new Date('9999-12-31T12:00:00Z'), noInvalidDate: true });
const forbidden = fc.oneof(tooEarly, tooLate);

/** Parses, expecting a 400 that names exactly `field`. */
function expectRefusedAt(field: string, act: () => unknown): void {
  const error = thrownBy(act);
  expect(error.status).toBe(400);
  expect(error.details.field).toBe(field);
}

describe('times from outside are refused beyond receipt plus clock skew and before 1995', () => {
  it.each([
    ['shopify', 'invalid-created-at-year-9999.json', shopifyOrder, 'created_at'],
    ['shopify', 'invalid-created-at-before-1995.json', shopifyOrder, 'created_at'],
    ['shopify', 'invalid-customers-update-consent-2099.json', shopifyCustomerUpdate, 'email_marketing_consent.consent_updated_at'],
    ['woocommerce', 'invalid-date-created-gmt-future.json', wooOrder, 'date_created_gmt'],
    ['generic', 'invalid-placed-at-future.json', genericHeaders, 'order.placedAt'],
  ] as const)('%s/%s is a 400 naming %s', (source, name, headers, field) => {
    // Prepare
    const parse = { shopify: parseShopifyDelivery, woocommerce: parseWooCommerceDelivery, generic: parseGenericDelivery }[source];
    // Act / Assess
    expectRefusedAt(field, () => parse(fixture(source, name), headers, receivedAt));
  });

  it('refuses the SES fixture clicked in 2099 naming detail.click.timestamp, and an envelope time in 2099 naming time', () => {
    // Prepare
    const envelope = body('ses', 'valid-click.json');
    // Act / Assess
    expectRefusedAt('detail.click.timestamp', () => parseSesEvent(body('ses', 'invalid-click-timestamp-future.json'), receivedAt));
    expectRefusedAt('time', () => parseSesEvent({ ...envelope, time: '2099-01-01T00:00:00Z' }, receivedAt));
  });

  it('takes every valid twin, read at the same receipt', () => {
    expect(parseShopifyDelivery(fixture('shopify', 'orders-create.json'), shopifyOrder, receivedAt).kind).toBe('order');
    expect(parseShopifyDelivery(fixture('shopify', 'customers-update-unsubscribed.json'), shopifyCustomerUpdate, receivedAt).kind).toBe('customer-update');
    expect(parseWooCommerceDelivery(fixture('woocommerce', 'order-created-guest.json'), wooOrder, receivedAt).kind).toBe('order');
    expect(parseGenericDelivery(fixture('generic', 'order.json'), genericHeaders, receivedAt).kind).toBe('order');
    expect(parseSesEvent(body('ses', 'valid-click.json'), receivedAt).type).toBe('Click');
  });

  // Each case: where the time goes in a real body, the field the 400 must name, and how the format writes a time.
  const shopifyOrderBody = body('shopify', 'orders-create.json');
  const cases = [
    {
      name: 'Shopify created_at',
      parse: (value: unknown) =>
        parseShopifyDelivery(Buffer.from(JSON.stringify({ ...shopifyOrderBody, created_at: value, updated_at: null })), shopifyOrder, receivedAt),
      field: 'created_at',
      offset: true,
    },
    {
      name: 'Shopify updated_at',
      parse: (value: unknown) =>
        parseShopifyDelivery(
          Buffer.from(JSON.stringify({ ...shopifyOrderBody, created_at: '1995-01-01T00:00:00Z', updated_at: value })),
          shopifyOrder,
          receivedAt,
        ),
      field: 'updated_at',
      offset: true,
    },
    {
      name: 'Shopify cancelled_at',
      parse: (value: unknown) =>
        parseShopifyDelivery(
          Buffer.from(JSON.stringify({ ...shopifyOrderBody, created_at: '1995-01-01T00:00:00Z', cancelled_at: value })),
          shopifyOrder,
          receivedAt,
        ),
      field: 'cancelled_at',
      offset: true,
    },
    {
      name: 'Shopify customer.email_marketing_consent.consent_updated_at',
      parse: (value: unknown) => {
        const order = structuredClone(shopifyOrderBody) as { customer: { email_marketing_consent: Record<string, unknown> } };
        order.customer.email_marketing_consent.consent_updated_at = value;
        return parseShopifyDelivery(Buffer.from(JSON.stringify(order)), shopifyOrder, receivedAt);
      },
      field: 'customer.email_marketing_consent.consent_updated_at',
      offset: true,
    },
    {
      name: 'Shopify customers/update created_at',
      parse: (value: unknown) =>
        parseShopifyDelivery(
          Buffer.from(JSON.stringify({ ...body('shopify', 'customers-update-unsubscribed.json'), created_at: value })),
          shopifyCustomerUpdate,
          receivedAt,
        ),
      field: 'created_at',
      offset: true,
    },
    {
      name: 'WooCommerce date_created_gmt',
      parse: (value: unknown) =>
        parseWooCommerceDelivery(
          Buffer.from(JSON.stringify({ ...body('woocommerce', 'order-created-guest.json'), date_created_gmt: value, date_modified_gmt: null })),
          wooOrder,
          receivedAt,
        ),
      field: 'date_created_gmt',
      offset: false,
    },
    {
      name: 'WooCommerce date_modified_gmt',
      parse: (value: unknown) =>
        parseWooCommerceDelivery(
          Buffer.from(
            JSON.stringify({ ...body('woocommerce', 'order-created-guest.json'), date_created_gmt: '1995-01-01T00:00:00', date_modified_gmt: value }),
          ),
          wooOrder,
          receivedAt,
        ),
      field: 'date_modified_gmt',
      offset: false,
    },
    {
      name: 'generic order.placedAt',
      parse: (value: unknown) => {
        const order = body('generic', 'order.json') as { order: Record<string, unknown> };
        return parseGenericDelivery(
          Buffer.from(JSON.stringify({ ...order, order: { ...order.order, placedAt: value, updatedAt: undefined } })),
          genericHeaders,
          receivedAt,
        );
      },
      field: 'order.placedAt',
      offset: true,
    },
    {
      name: 'generic order.customer.marketingConsentUpdatedAt',
      parse: (value: unknown) => {
        const order = body('generic', 'order.json') as { order: { customer: Record<string, unknown> } };
        return parseGenericDelivery(
          Buffer.from(JSON.stringify({ ...order, order: { ...order.order, customer: { ...order.order.customer, marketingConsentUpdatedAt: value } } })),
          genericHeaders,
          receivedAt,
        );
      },
      field: 'order.customer.marketingConsentUpdatedAt',
      offset: true,
    },
    { name: 'SES time', parse: (value: unknown) => parseSesEvent({ ...body('ses', 'valid-send.json'), time: value }, receivedAt), field: 'time', offset: true },
    {
      name: 'SES detail.bounce.timestamp',
      parse: (value: unknown) => {
        const envelope = body('ses', 'valid-bounce-permanent.json') as { detail: { bounce: Record<string, unknown> } };
        envelope.detail.bounce.timestamp = value;
        return parseSesEvent(envelope, receivedAt);
      },
      field: 'detail.bounce.timestamp',
      offset: true,
    },
  ] as const;
  const written = (format: (typeof cases)[number], instant: Date, offset: number) =>
    format.offset ? withOffset(instant, offset) : instant.toISOString().slice(0, 19);

  it.each(cases)('$name: any time from 1995 to receipt plus skew is read', (format) => {
    fc.assert(
      fc.property(allowed, offsets, (instant, offset) => void format.parse(written(format, new Date(Math.floor(instant.getTime() / 1000) * 1000), offset))),
      { numRuns: 150 },
    );
  });

  it.each(cases)('$name: any time before 1995 or after receipt plus skew is a 400 naming the field', (format) => {
    fc.assert(
      fc.property(forbidden, offsets, (instant, offset) => expectRefusedAt(format.field, () => format.parse(written(format, instant, offset)))),
      { numRuns: 150 },
    );
  });

  it.each(cases)('$name: any date-time text at all is read or refused with a 400, never anything else', (format) => {
    const anyTime = fc
      .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 24 }), offsets)
      .map(
        ([year, month, day, hour, offset]) =>
          `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:30:00${format.offset ? withOffset(new Date(0), offset).slice(19) : ''}`,
      );
    fc.assert(
      fc.property(anyTime, (value) => {
        try {
          format.parse(value);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidInputError);
          expect(toHttpError(error)?.status).toBe(400);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('consent times are never later than their receipt', () => {
  const consentAt = (value: string) => {
    const update = { ...body('shopify', 'customers-update-unsubscribed.json') } as { email_marketing_consent: Record<string, unknown> };
    update.email_marketing_consent = { ...update.email_marketing_consent, consent_updated_at: value };
    const delivery = parseShopifyDelivery(Buffer.from(JSON.stringify(update)), shopifyCustomerUpdate, receivedAt);
    if (delivery.kind !== 'customer-update') throw new Error('expected a customer update');
    return delivery.update.customer.consent!.updatedAt;
  };

  it('takes a Shopify consent time within the clock skew as the time of receipt, and an earlier one as sent', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: clockSkewMs / 1000 }), offsets, (secondsAhead, offset) => {
        expect(consentAt(withOffset(new Date(receivedAt.getTime() + secondsAhead * 1000), offset))).toBe(receivedAt.toISOString());
      }),
    );
    fc.assert(
      fc.property(
        allowed.filter((instant) => instant <= receivedAt),
        offsets,
        (instant, offset) => {
          const sent = new Date(Math.floor(instant.getTime() / 1000) * 1000);
          expect(consentAt(withOffset(sent, offset))).toBe(sent.toISOString());
        },
      ),
    );
  });

  it('takes a generic order consent within the skew, or defaulted from an order updated within it, as the time of receipt', () => {
    // Prepare
    const order = body('generic', 'order.json') as { order: { updatedAt?: string; customer: Record<string, unknown> } };
    const ahead = new Date(receivedAt.getTime() + 60_000).toISOString();
    const given = { ...order, order: { ...order.order, customer: { ...order.order.customer, marketingConsentUpdatedAt: ahead } } };
    const defaulted = { ...order, order: { ...order.order, updatedAt: ahead, customer: { ...order.order.customer, marketingConsentUpdatedAt: undefined } } };
    // Act
    const fromGiven = orderOf(parseGenericDelivery(Buffer.from(JSON.stringify(given)), genericHeaders, receivedAt));
    const fromDefault = orderOf(parseGenericDelivery(Buffer.from(JSON.stringify(defaulted)), genericHeaders, receivedAt));
    // Assess
    expect(fromGiven.customer.consent?.updatedAt).toBe(receivedAt.toISOString());
    expect(fromDefault.customer.consent?.updatedAt).toBe(receivedAt.toISOString());
    expect(fromDefault.updatedAt).toBe(ahead);
  });
});
