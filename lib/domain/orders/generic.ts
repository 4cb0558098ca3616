/**
 * ## The generic order webhook: `POST /webhooks/generic`
 *
 * Any platform or script can send orders to Winback with this JSON body, signed the
 * [Standard Webhooks](https://www.standardwebhooks.com) way:
 *
 * - `webhook-id`: a unique id for the delivery (1-256 printable ASCII characters, no spaces); a redelivery
 *   reuses it, and Winback stores each id once.
 * - `webhook-timestamp`: Unix time in seconds; more than 5 minutes old or ahead is refused (401).
 * - `webhook-signature`: `v1,<base64>`, the HMAC-SHA256 of `${webhook-id}.${webhook-timestamp}.${body}` keyed with
 *   the base64-decoded part of the `whsec_...` secret (`WEBHOOK_SECRET`). Several space-separated signatures may be
 *   sent (secret rotation); one match is enough.
 *
 * ```jsonc
 * {
 *   "type": "order",                          // the only type so far
 *   "order": {
 *     "id": "1042",                           // string, 1-128 characters, no spaces; a number is refused
 *     "placedAt": "2026-11-22T10:15:00+01:00", // ISO-8601 with Z or an offset
 *     "updatedAt": "2026-11-22T10:20:00Z",    // optional, defaults to placedAt; an older update changes nothing
 *     "status": "paid",                       // "paid" counts as a purchase; "cancelled" | "refunded" | "test" do not
 *     "currency": "EUR",                      // ISO 4217, three capital letters
 *     "total": "54.90",                       // decimal string in the currency, never a number
 *     "lineItems": [                          // 0-500 items
 *       { "title": "Espresso beans 1 kg",     // 1-500 characters
 *         "quantity": 2,                      // integer 1-10000
 *         "price": "24.95",                   // unit price, decimal string
 *         "sku": "BEAN-1KG" }                 // optional, up to 255 characters
 *     ],
 *     "couponCodes": ["WINBACK-ANA-7Q2"],     // optional, up to 100 codes of up to 255 characters
 *     "customer": {                           // needs an id or an email (or both)
 *       "id": "c-778",                        // optional string, 1-128 characters, no spaces
 *       "email": "ana@example.org",           // optional; an invalid address is refused (400)
 *       "firstName": "Ana",                   // optional, up to 255 characters
 *       "lastName": "Lopes",                  // optional, up to 255 characters
 *       "country": "PT",                      // optional, ISO 3166-1 alpha-2
 *       "marketingConsent": "subscribed",     // optional: subscribed | soft_opt_in | not_subscribed | pending |
 *                                             //   unsubscribed | unknown
 *       "marketingConsentUpdatedAt": "2026-11-01T09:00:00Z" // optional, when that consent was given or changed;
 *                                             //   defaults to the order's updatedAt
 *     }
 *   }
 * }
 * ```
 *
 * Every time must lie between 1995-01-01 and the time of receipt plus 10 minutes of clock skew (400 naming the field
 * otherwise); a consent time within that skew is taken as the time of receipt, so a consent is never dated after it
 * arrived.
 *
 * Unknown extra fields are allowed and ignored. A body that breaks these rules gets 400 with the field named:
 * `{"error": "invalid_body", "field": "order.lineItems[0].price", "problem": "expected a decimal string like \"19.99\""}`.
 * Malformed JSON gets 400 `malformed_json`; a missing or wrong signature 401.
 */
import { z } from 'zod';
import { consentStates } from '../customer.js';
import { isDeliverableAddress, normalizeEmail } from '../email.js';
import { invalidInput } from '../errors.js';
import { notAfter } from '../unreadable-record.js';
import {
  decimalTextSchema,
  minorUnitsAt,
  offsetDateTimeSchema,
  optionalPlausibleTimeAt,
  parseJsonBody,
  plausibleTimeAt,
  requiredHeader,
  validateBody,
} from '../webhooks/raw-json.js';
import { type HttpHeaders, standardWebhookHeaders } from '../webhooks/signatures.js';
import type { IncomingOrder, WebhookDelivery } from './incoming-order.js';

export const genericOrderStatuses = ['paid', 'cancelled', 'refunded', 'test'] as const;

const limits = { id: 128, name: 255, title: 500, sku: 255, email: 320, code: 255, lineItems: 500, quantity: 10_000, couponCodes: 100 } as const;

/** Ids are strings here, always: a JSON number may already have lost digits before it reached us. */
const idSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'required' : 'expected a string id (send numbers in quotes)') })
  .min(1)
  .max(limits.id)
  .regex(/^\S+$/, 'must not contain spaces');

const optionalName = z.string().trim().max(limits.name).optional();

export const genericOrderBodySchema = z.object({
  type: z.literal('order', { error: 'expected "order"' }),
  order: z.object({
    id: idSchema,
    placedAt: offsetDateTimeSchema,
    updatedAt: offsetDateTimeSchema.optional(),
    status: z.enum(genericOrderStatuses, { error: `expected one of ${genericOrderStatuses.join(', ')}` }),
    currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code like "EUR"'),
    total: decimalTextSchema,
    lineItems: z
      .array(
        z.object({
          title: z.string().trim().min(1).max(limits.title),
          quantity: z.number().int().min(1).max(limits.quantity),
          price: decimalTextSchema,
          sku: z.string().trim().max(limits.sku).optional(),
        }),
      )
      .max(limits.lineItems),
    couponCodes: z.array(z.string().trim().min(1).max(limits.code)).max(limits.couponCodes).optional(),
    customer: z.object({
      id: idSchema.optional(),
      email: z
        .string()
        .max(limits.email)
        .refine((email) => isDeliverableAddress(email), 'not a valid email address')
        .optional(),
      firstName: optionalName,
      lastName: optionalName,
      country: z
        .string()
        .regex(/^[A-Z]{2}$/, 'expected an ISO 3166-1 alpha-2 code like "PT"')
        .optional(),
      marketingConsent: z.enum(consentStates, { error: `expected one of ${consentStates.join(', ')}` }).optional(),
      marketingConsentUpdatedAt: offsetDateTimeSchema.optional(),
    }),
  }),
});

export type GenericOrderBody = z.input<typeof genericOrderBodySchema>;

/** Reads a verified generic delivery. Throws `InvalidInputError`/`MalformedJsonError` (a 400 at the edge) for anything that breaks the schema. */
export function parseGenericDelivery(rawBody: Buffer, headers: HttpHeaders, receivedAt: Date): WebhookDelivery {
  const deliveryId = requiredHeader(headers, standardWebhookHeaders.id);
  // Ids must be strings here, so a big number is not quoted into one: it stays a number and is refused as such.
  const body = validateBody(genericOrderBodySchema, parseJsonBody(rawBody, { exactIntegers: false }));
  return { kind: 'order', deliveryId, order: toIncomingOrder(body.order, receivedAt) };
}

function toIncomingOrder(order: z.output<typeof genericOrderBodySchema>['order'], receivedAt: Date): IncomingOrder {
  const { customer, currency } = order;
  if (customer.id === undefined && customer.email === undefined) throw invalidInput('order.customer', 'needs an id or an email');
  const placedAt = plausibleTimeAt('order.placedAt', order.placedAt, receivedAt);
  const updatedAt = optionalPlausibleTimeAt('order.updatedAt', order.updatedAt, receivedAt) ?? placedAt;
  const consentUpdatedAt = optionalPlausibleTimeAt('order.customer.marketingConsentUpdatedAt', customer.marketingConsentUpdatedAt, receivedAt);
  const counts = order.status === 'paid';
  return {
    source: 'generic',
    orderId: order.id,
    placedAt,
    updatedAt,
    totalMinor: minorUnitsAt('order.total', order.total, currency),
    currency,
    lineItems: order.lineItems.map((item, index) => ({
      title: item.title,
      quantity: item.quantity,
      priceMinor: minorUnitsAt(`order.lineItems[${index}].price`, item.price, currency),
      ...(item.sku ? { sku: item.sku } : {}),
    })),
    couponCodes: order.couponCodes ?? [],
    counts,
    ...(counts ? {} : { notCountedBecause: order.status }),
    customer: {
      ...(customer.id !== undefined ? { platformCustomerId: customer.id } : {}),
      ...(customer.email !== undefined ? { email: normalizeEmail(customer.email) } : {}),
      ...(customer.firstName ? { firstName: customer.firstName } : {}),
      ...(customer.lastName ? { lastName: customer.lastName } : {}),
      ...(customer.country !== undefined ? { country: customer.country } : {}),
      ...(customer.marketingConsent !== undefined
        ? { consent: { state: customer.marketingConsent, updatedAt: notAfter(consentUpdatedAt ?? updatedAt, receivedAt) } }
        : {}),
    },
  };
}
