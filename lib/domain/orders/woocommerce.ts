import { z } from 'zod';
import { minorDigits } from '../money.js';
import {
  droppableEmailSchema,
  isPlausibleUtcTime,
  minorUnitsAt,
  numericIdSchema,
  optionalPlausibleTimeAt,
  parseJsonBody,
  plausibleTimeAt,
  requiredHeader,
  validateBody,
} from '../webhooks/raw-json.js';
import { type HttpHeaders, header } from '../webhooks/signatures.js';
import type { IncomingOrder, WebhookDelivery } from './incoming-order.js';

/**
 * WooCommerce webhooks (DESIGN.md section 5), after the signature was verified over the raw body, except for the
 * creation ping.
 *
 * - The ping WooCommerce sends when a webhook is saved is an unsigned form body `webhook_id=N`; it must get 200 or the
 *   webhook cannot be created. {@link isWooCommercePing} recognises it before any signature check.
 * - Topic from `X-WC-Webhook-Topic`: `order.created` and `order.updated` are orders, everything else is ignored without
 *   reading the body. Delivery id from `X-WC-Webhook-Delivery-ID`.
 * - `status` decides whether the order counts: completed, processing and on-hold do; any other status (cancelled,
 *   refunded, failed, trash, pending, checkout-draft, or a plugin's own) does not, and is the reason.
 * - `date_created_gmt` is UTC written without a suffix; `customer_id` 0 is a guest, matched by `billing.email`.
 *   It and `date_modified_gmt` must lie between 1995 and the time of receipt plus 10 minutes, else 400 naming it.
 * - WooCommerce never retries and disables a webhook after more than 5 failures in a row, so amounts are read
 *   leniently: `line_items[].price` is a JSON number computed as total / quantity (33.333333333333336 happens) and a
 *   store may be set to more decimals than its currency has. Amounts are read as decimal text (a number through its
 *   shortest decimal form, `String(n)`, never through arithmetic) and rounded half-up to the currency's minor unit.
 */

export const wooCommerceHeaders = {
  topic: 'X-WC-Webhook-Topic',
  deliveryId: 'X-WC-Webhook-Delivery-ID',
  webhookId: 'X-WC-Webhook-ID',
  source: 'X-WC-Webhook-Source',
} as const;

export const wooCommerceOrderTopics = ['order.created', 'order.updated'] as const;
export const wooCommerceCountedStatuses: ReadonlySet<string> = new Set(['completed', 'processing', 'on-hold']);

const limits = { name: 255, title: 500, sku: 255, code: 255, lineItems: 500, quantity: 10_000, couponCodes: 100, status: 50 } as const;

/** A decimal amount as WooCommerce sends it: usually a string, `line_items[].price` a JSON number. */
const amountSchema = z.union([z.string().max(40), z.number()], { error: 'expected a decimal amount like "19.99"' }).transform((value, context) => {
  const text = typeof value === 'number' ? numberToDecimalText(value) : value.trim();
  if (text === undefined || !/^-?\d+(?:\.\d+)?$/.test(text)) {
    context.addIssue({ code: 'custom', message: 'expected a decimal amount like "19.99"' });
    return z.NEVER;
  }
  return text;
});

const optionalText = (max: number) => z.string().max(max).nullish();

/** `2026-11-22T10:15:00`: UTC without a suffix. */
const gmtTimeSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/, 'expected a UTC time like "2026-11-22T10:15:00"')
  .transform((text, context) => {
    const iso = `${text}.000Z`;
    const time = new Date(iso);
    // Date rolls 2026-02-30 over to March; a real time survives the round trip.
    if (Number.isNaN(time.getTime()) || time.toISOString() !== iso || !isPlausibleUtcTime(iso)) {
      context.addIssue({ code: 'custom', message: 'not a real calendar time between the years 1970 and 9999' });
      return z.NEVER;
    }
    return iso;
  });

const orderSchema = z.object({
  id: numericIdSchema,
  status: z.string().max(limits.status),
  currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code like "EUR"'),
  date_created_gmt: gmtTimeSchema,
  date_modified_gmt: gmtTimeSchema.nullish(),
  total: amountSchema,
  customer_id: numericIdSchema,
  billing: z
    .object({
      email: droppableEmailSchema,
      first_name: optionalText(limits.name),
      last_name: optionalText(limits.name),
      country: z.string().max(8).nullish(),
    })
    .nullish(),
  line_items: z
    .array(
      z.object({
        name: z.string().max(limits.title),
        quantity: z.number().int().min(1).max(limits.quantity),
        price: amountSchema,
        sku: optionalText(limits.sku),
      }),
    )
    .max(limits.lineItems),
  coupon_lines: z
    .array(z.object({ code: z.string().max(limits.code) }))
    .max(limits.couponCodes)
    .nullish(),
});

type WooCommerceOrder = z.output<typeof orderSchema>;

/**
 * True for WooCommerce's creation ping: a short form body `webhook_id=N`, sent unsigned (and form-urlencoded, or
 * without a content type). The handler answers it 200 before asking for a signature; it changes nothing.
 */
export function isWooCommercePing(rawBody: Buffer, headers: HttpHeaders): boolean {
  if (!Buffer.isBuffer(rawBody) || rawBody.length > 64) return false;
  const contentType = header(headers, 'content-type');
  if (contentType !== undefined && !/^\s*application\/x-www-form-urlencoded\s*(?:;|$)/i.test(contentType)) return false;
  return /^webhook_id=\d{1,20}$/.test(rawBody.toString('latin1').trim());
}

/** Reads a WooCommerce delivery (verified, or the ping). Throws `InvalidInputError`/`MalformedJsonError` (a 400 at the edge) for what it cannot use. */
export function parseWooCommerceDelivery(rawBody: Buffer, headers: HttpHeaders, receivedAt: Date): WebhookDelivery | { readonly kind: 'ping' } {
  if (isWooCommercePing(rawBody, headers)) return { kind: 'ping' };
  const topic = requiredHeader(headers, wooCommerceHeaders.topic);
  const deliveryId = requiredHeader(headers, wooCommerceHeaders.deliveryId);
  if (!(wooCommerceOrderTopics as readonly string[]).includes(topic)) {
    return { kind: 'ignored', deliveryId, reason: `topic ${JSON.stringify(topic)} is not used` };
  }
  return { kind: 'order', deliveryId, order: toIncomingOrder(validateBody(orderSchema, parseJsonBody(rawBody)), receivedAt) };
}

/**
 * One order as the REST API returns it (`GET /wp-json/wc/v3/orders`, the same shape its webhooks send), already parsed
 * with exact big ids: the history import reads saved pages and the API through this. Throws `InvalidInputError` naming the field.
 */
export function wooCommerceOrderFrom(value: unknown, receivedAt: Date): IncomingOrder {
  return toIncomingOrder(validateBody(orderSchema, value), receivedAt);
}

function toIncomingOrder(order: WooCommerceOrder, receivedAt: Date): IncomingOrder {
  const placedAt = plausibleTimeAt('date_created_gmt', order.date_created_gmt, receivedAt);
  const updatedAt = optionalPlausibleTimeAt('date_modified_gmt', order.date_modified_gmt, receivedAt) ?? placedAt;
  const currency = order.currency;
  const digits = minorDigits(currency);
  const status = order.status.trim();
  const counts = wooCommerceCountedStatuses.has(status);
  const email = order.billing?.email;
  const firstName = present(order.billing?.first_name);
  const lastName = present(order.billing?.last_name);
  const country = order.billing?.country?.trim().toUpperCase();
  return {
    source: 'woocommerce',
    orderId: order.id,
    placedAt,
    updatedAt,
    totalMinor: minorUnitsAt('total', roundHalfUp(order.total, digits), currency),
    currency,
    lineItems: order.line_items.map((item, index) => ({
      title: item.name,
      quantity: item.quantity,
      priceMinor: minorUnitsAt(`line_items[${index}].price`, roundHalfUp(item.price, digits), currency),
      ...(item.sku?.trim() ? { sku: item.sku.trim() } : {}),
    })),
    couponCodes: (order.coupon_lines ?? []).map((coupon) => coupon.code.trim()).filter((code) => code !== ''),
    counts,
    ...(counts ? {} : { notCountedBecause: status || 'no status' }),
    customer: {
      // customer_id 0 is a guest: matched by email only.
      ...(order.customer_id !== '0' ? { platformCustomerId: order.customer_id } : {}),
      ...(email !== undefined ? { email } : {}),
      ...(firstName !== undefined ? { firstName } : {}),
      ...(lastName !== undefined ? { lastName } : {}),
      ...(country && /^[A-Z]{2}$/.test(country) ? { country } : {}),
    },
  };
}

/**
 * The shortest decimal text of a JSON number (`String(19.99)` is "19.99"), written out when JavaScript would use an
 * exponent; undefined for what is not finite.
 */
export function numberToDecimalText(value: number): string | undefined {
  if (!Number.isFinite(value)) return undefined;
  const text = String(value);
  const exponential = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!exponential) return text;
  const [, sign = '', lead = '', rest = '', exponentText = '0'] = exponential;
  const digits = lead + rest;
  const exponent = Number(exponentText);
  const point = 1 + exponent; // position of the decimal point within digits
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** Rounds decimal text half-up (away from zero) to `digits` places, on the text itself. */
export function roundHalfUp(text: string, digits: number): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return text;
  const [, sign = '', whole = '', fraction = ''] = match;
  if (fraction.length <= digits) return text;
  const kept = whole + fraction.slice(0, digits);
  const rounded = fraction.charCodeAt(digits) >= 0x35 /* '5' */ ? incrementDigits(kept) : kept;
  const integerPart = rounded.slice(0, rounded.length - digits);
  return digits === 0 ? `${sign}${integerPart}` : `${sign}${integerPart}.${rounded.slice(rounded.length - digits)}`;
}

function incrementDigits(digits: string): string {
  const result = digits.split('');
  for (let index = result.length - 1; index >= 0; index -= 1) {
    if (result[index] === '9') result[index] = '0';
    else {
      result[index] = String(Number(result[index]) + 1);
      return result.join('');
    }
  }
  return `1${result.join('')}`;
}

function present(text: string | null | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed ? trimmed : undefined;
}
