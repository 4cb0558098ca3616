import type { ConsentState } from '../domain/customer.js';
import { divideRoundHalfEven, toDecimalString } from '../domain/money.js';

/**
 * The raw body of a Shopify `orders/create` webhook for the simulator, shaped like test/fixtures/shopify/orders-create.json:
 * ids as bare JSON numbers (above 2^53, so they must be written as digits, never through a JavaScript number), money as
 * decimal strings, times with the shop's UTC offset, and the customer with their email marketing consent.
 */

export interface ShopifyOrderLine {
  /** Digits; written as a bare JSON number. */
  readonly id: string;
  readonly title: string;
  readonly sku?: string;
  readonly quantity: number;
  readonly priceMinor: number;
}

export interface ShopifyOrderCustomer {
  /** Digits; written as a bare JSON number. */
  readonly id: string;
  readonly email?: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly country?: string;
  readonly consent?: { readonly state: ConsentState; readonly updatedAt: string };
  readonly createdAt?: string;
}

export interface ShopifyOrderInput {
  /** Digits; written as a bare JSON number. */
  readonly orderId: string;
  readonly orderNumber: number;
  readonly placedAt: Date;
  /** The shop's time zone: Shopify writes `created_at` with the shop's offset. */
  readonly timeZone: string;
  readonly currency: string;
  readonly customer: ShopifyOrderCustomer;
  readonly lineItems: readonly ShopifyOrderLine[];
  /** A redeemed coupon: its code and the percentage it takes off the line items. */
  readonly discount?: { readonly code: string; readonly percent: number };
}

/** A digit string that {@link jsonText} writes without quotes. */
class RawNumber {
  constructor(readonly digits: string) {
    if (!/^\d{1,40}$/.test(digits)) throw new RangeError(`not an id of digits: ${JSON.stringify(digits)}`);
  }
}

type JsonValue = string | number | boolean | null | RawNumber | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** The webhook body as Shopify would send it; sign exactly these bytes. */
export function shopifyOrderCreatedBody(order: ShopifyOrderInput): string {
  const { currency, customer, discount } = order;
  const money = (minor: number) => toDecimalString(minor, currency);
  const subtotalMinor = order.lineItems.reduce((sum, line) => sum + line.priceMinor * line.quantity, 0);
  const discountMinor = discount ? Math.min(divideRoundHalfEven(subtotalMinor * discount.percent, 100), subtotalMinor) : 0;
  const totalMinor = subtotalMinor - discountMinor;
  const createdAt = isoWithOffset(order.placedAt, order.timeZone);
  const email = customer.email ?? null;
  const shopifyConsent = customer.consent ? shopifyConsentState(customer.consent.state) : undefined;
  const body: JsonValue = {
    id: new RawNumber(order.orderId),
    admin_graphql_api_id: `gid://shopify/Order/${order.orderId}`,
    buyer_accepts_marketing: shopifyConsent === 'subscribed',
    cancel_reason: null,
    cancelled_at: null,
    confirmed: true,
    contact_email: email,
    created_at: createdAt,
    currency,
    current_subtotal_price: money(subtotalMinor),
    current_total_discounts: money(discountMinor),
    current_total_price: money(totalMinor),
    discount_codes: discount ? [{ code: discount.code, amount: money(discountMinor), type: 'percentage' }] : [],
    email,
    financial_status: 'paid',
    fulfillment_status: null,
    landing_site: discount ? '/?utm_source=winback&utm_medium=email' : '/',
    name: `#${order.orderNumber}`,
    number: order.orderNumber - 1000,
    order_number: order.orderNumber,
    presentment_currency: currency,
    processed_at: createdAt,
    source_name: 'web',
    subtotal_price: money(subtotalMinor),
    tags: '',
    taxes_included: true,
    test: false,
    total_discounts: money(discountMinor),
    total_line_items_price: money(subtotalMinor),
    total_price: money(totalMinor),
    updated_at: createdAt,
    billing_address: {
      first_name: customer.firstName ?? null,
      last_name: customer.lastName ?? null,
      country_code: customer.country ?? null,
    },
    customer: {
      id: new RawNumber(customer.id),
      email,
      created_at: customer.createdAt ? isoWithOffset(new Date(customer.createdAt), order.timeZone) : null,
      updated_at: createdAt,
      first_name: customer.firstName ?? null,
      last_name: customer.lastName ?? null,
      state: 'enabled',
      verified_email: email !== null,
      currency,
      // Consent travels as it stands on the profile, with its own time, so a replayed order never overrides a newer
      // unsubscribe (the ingest only takes a consent change that is newer than what it stored).
      email_marketing_consent: shopifyConsent
        ? { state: shopifyConsent, opt_in_level: 'single_opt_in', consent_updated_at: isoWithOffset(new Date(customer.consent!.updatedAt), order.timeZone) }
        : null,
      admin_graphql_api_id: `gid://shopify/Customer/${customer.id}`,
      default_address: customer.country ? { customer_id: new RawNumber(customer.id), country_code: customer.country, default: true } : null,
    },
    discount_applications: discount
      ? [
          {
            target_type: 'line_item',
            type: 'discount_code',
            value: `${discount.percent}.0`,
            value_type: 'percentage',
            allocation_method: 'across',
            target_selection: 'all',
            code: discount.code,
          },
        ]
      : [],
    line_items: order.lineItems.map((line) => ({
      id: new RawNumber(line.id),
      admin_graphql_api_id: `gid://shopify/LineItem/${line.id}`,
      current_quantity: line.quantity,
      fulfillable_quantity: line.quantity,
      gift_card: false,
      name: line.title,
      price: money(line.priceMinor),
      price_set: {
        shop_money: { amount: money(line.priceMinor), currency_code: currency },
        presentment_money: { amount: money(line.priceMinor), currency_code: currency },
      },
      product_exists: true,
      quantity: line.quantity,
      requires_shipping: true,
      sku: line.sku ?? null,
      taxable: true,
      title: line.title,
      total_discount: '0.00',
    })),
    refunds: [],
    shipping_lines: [],
  };
  return jsonText(body);
}

/** Shopify knows no soft opt-in: a customer who may be emailed is `subscribed` there; anything unknown is sent as nothing. */
function shopifyConsentState(state: ConsentState): string | undefined {
  switch (state) {
    case 'subscribed':
    case 'soft_opt_in':
      return 'subscribed';
    case 'not_subscribed':
    case 'unsubscribed':
    case 'pending':
      return state;
    default:
      return undefined;
  }
}

/** JSON text in which {@link RawNumber}s are bare digits; everything else is what JSON.stringify writes. */
function jsonText(value: JsonValue): string {
  if (value instanceof RawNumber) return value.digits;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value as { readonly [key: string]: JsonValue })
      .map(([key, item]) => `${JSON.stringify(key)}:${jsonText(item)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

// One formatter per zone: creating an Intl.DateTimeFormat is far slower than using one.
const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at that instant, in minutes (+60 for Amsterdam in winter). */
export function zoneOffsetMinutes(instant: Date, timeZone: string): number {
  let format = offsetFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    offsetFormats.set(timeZone, format);
  }
  const name = format.formatToParts(instant).find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /^GMT([+-])(\d{2}):(\d{2})$/.exec(name); // plain "GMT" for UTC itself
  return match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
}

/** `2026-11-22T19:42:13+01:00`: the instant as wall-clock time in the zone, with the zone's offset at that instant. */
export function isoWithOffset(instant: Date, timeZone: string): string {
  const offset = zoneOffsetMinutes(instant, timeZone);
  const wallClock = new Date(Math.floor(instant.getTime() / 1000) * 1000 + offset * 60_000).toISOString().slice(0, 19);
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0');
  const minutes = String(Math.abs(offset) % 60).padStart(2, '0');
  return `${wallClock}${offset < 0 ? '-' : '+'}${hours}:${minutes}`;
}
