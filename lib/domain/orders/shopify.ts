import { z } from 'zod';
import type { ConsentState } from '../customer.js';
import { normalizeEmail } from '../email.js';
import { invalidInput } from '../errors.js';
import { notAfter } from '../unreadable-record.js';
import {
  decimalTextSchema,
  droppableEmailSchema,
  minorUnitsAt,
  numericIdSchema,
  offsetDateTimeSchema,
  optionalHeader,
  optionalPlausibleTimeAt,
  parseJsonBody,
  plausibleTimeAt,
  requiredHeader,
  validateBody,
} from '../webhooks/raw-json.js';
import type { HttpHeaders } from '../webhooks/signatures.js';
import type { IncomingCustomer, IncomingOrder, WebhookDelivery } from './incoming-order.js';

/**
 * Shopify webhooks (DESIGN.md section 5), after the signature was verified over the raw body.
 *
 * - Topic from `X-Shopify-Topic`; the delivery id (the dedupe key) from `X-Shopify-Webhook-Id`, else
 *   `X-Shopify-Event-Id`.
 * - `orders/create`, `orders/paid`, `orders/updated`, `orders/cancelled` are orders; `customers/update` carries
 *   consent; `customers/redact` asks to forget a customer; every other topic is acknowledged and ignored, without
 *   reading its body.
 * - Ids stay exact strings: `admin_graphql_api_id` (`gid://shopify/Order/<id>`) when present, else `id` read from the
 *   raw text. Money is decimal strings, converted to minor units as text.
 * - Unknown extra fields are allowed (Shopify adds fields in every API version); the fields used are checked and a
 *   failure is a 400 naming the field as Shopify's docs do (`line_items[0].price`).
 * - An invalid email does not reject an order (the purchase still happened); it is dropped.
 * - Every time read (`created_at`, `updated_at`, `cancelled_at`, the customer's and consent's times) must lie between
 *   1995 and the time of receipt plus 10 minutes of clock skew, else 400 naming it; a consent time within the skew is
 *   taken as the time of receipt, so a consent can never be dated after it arrived.
 */

export const shopifyHeaders = {
  topic: 'X-Shopify-Topic',
  webhookId: 'X-Shopify-Webhook-Id',
  eventId: 'X-Shopify-Event-Id',
  shopDomain: 'X-Shopify-Shop-Domain',
} as const;

export const shopifyOrderTopics = ['orders/create', 'orders/paid', 'orders/updated', 'orders/cancelled'] as const;

/** When Shopify sends a consent state without `consent_updated_at` nor a customer `created_at`: older than anything we know. */
export const unknownConsentTime = '1970-01-01T00:00:00.000Z';

const limits = { name: 255, title: 500, sku: 255, email: 320, code: 255, lineItems: 500, quantity: 10_000, couponCodes: 100 } as const;

const optionalText = (max: number) => z.string().max(max).nullish();
const gidSchema = z.string().max(200).nullish();

const consentSchema = z
  .object({
    state: z.string().max(50),
    opt_in_level: z.string().max(50).nullish(),
    consent_updated_at: offsetDateTimeSchema.nullish(),
  })
  .nullish();

const addressSchema = z
  .object({
    first_name: optionalText(limits.name),
    last_name: optionalText(limits.name),
    country_code: z.string().max(8).nullish(),
  })
  .nullish();

const customerSchema = z.object({
  id: numericIdSchema,
  admin_graphql_api_id: gidSchema,
  email: droppableEmailSchema,
  first_name: optionalText(limits.name),
  last_name: optionalText(limits.name),
  created_at: offsetDateTimeSchema.nullish(),
  updated_at: offsetDateTimeSchema.nullish(),
  default_address: addressSchema,
  email_marketing_consent: consentSchema,
});

const orderSchema = z.object({
  id: numericIdSchema,
  admin_graphql_api_id: gidSchema,
  created_at: offsetDateTimeSchema,
  updated_at: offsetDateTimeSchema.nullish(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code like "EUR"'),
  total_price: decimalTextSchema,
  financial_status: z.string().max(50).nullish(),
  cancelled_at: offsetDateTimeSchema.nullish(),
  test: z.boolean().nullish(),
  email: droppableEmailSchema,
  contact_email: droppableEmailSchema,
  line_items: z
    .array(
      z.object({
        title: z.string().max(limits.title),
        quantity: z.number().int().min(1).max(limits.quantity),
        price: decimalTextSchema,
        sku: optionalText(limits.sku),
      }),
    )
    .max(limits.lineItems),
  discount_codes: z
    .array(z.object({ code: z.string().max(limits.code) }))
    .max(limits.couponCodes)
    .nullish(),
  customer: customerSchema.nullish(),
  billing_address: addressSchema,
});

const customerUpdateSchema = customerSchema;

const redactionSchema = z.object({
  shop_id: numericIdSchema.optional(),
  shop_domain: z.string().max(255).nullish(),
  customer: z.object({
    id: numericIdSchema.nullish(),
    email: optionalText(limits.email),
    phone: optionalText(50),
  }),
  orders_to_redact: z.array(numericIdSchema).max(100_000).nullish(),
});

type ShopifyOrder = z.output<typeof orderSchema>;
type ShopifyCustomer = z.output<typeof customerSchema>;

/** Reads a verified Shopify delivery. Throws `InvalidInputError`/`MalformedJsonError` (a 400 at the edge) for anything it cannot use. */
export function parseShopifyDelivery(rawBody: Buffer, headers: HttpHeaders, receivedAt: Date): WebhookDelivery {
  const topic = requiredHeader(headers, shopifyHeaders.topic);
  const deliveryId = shopifyDeliveryId(headers);
  if ((shopifyOrderTopics as readonly string[]).includes(topic)) {
    return { kind: 'order', deliveryId, order: toIncomingOrder(validateBody(orderSchema, parseJsonBody(rawBody)), receivedAt) };
  }
  if (topic === 'customers/update') {
    const customer = validateBody(customerUpdateSchema, parseJsonBody(rawBody));
    return { kind: 'customer-update', deliveryId, update: { source: 'shopify', customer: toIncomingCustomer(customer, undefined, undefined, receivedAt, '') } };
  }
  if (topic === 'customers/redact') {
    const payload = validateBody(redactionSchema, parseJsonBody(rawBody));
    const platformCustomerId = payload.customer.id ?? undefined;
    const email = payload.customer.email?.trim() ? normalizeEmail(payload.customer.email) : undefined;
    // Forgetting needs something to forget by; an invalid-looking address is still kept, so its hash is suppressed.
    if (platformCustomerId === undefined && email === undefined) throw invalidInput('customer', 'needs an id or an email');
    return {
      kind: 'redaction',
      deliveryId,
      redaction: { source: 'shopify', ...(platformCustomerId !== undefined ? { platformCustomerId } : {}), ...(email !== undefined ? { email } : {}) },
    };
  }
  return { kind: 'ignored', deliveryId, reason: `topic ${JSON.stringify(topic)} is not used` };
}

/** `X-Shopify-Webhook-Id` is the dedupe key; `X-Shopify-Event-Id` stands in when a proxy dropped it. */
export function shopifyDeliveryId(headers: HttpHeaders): string {
  const id = optionalHeader(headers, shopifyHeaders.webhookId) ?? optionalHeader(headers, shopifyHeaders.eventId);
  if (id === undefined) throw invalidInput(shopifyHeaders.webhookId, 'missing header (the delivery id; X-Shopify-Event-Id is accepted instead)');
  return id;
}

/** Shopify's `email_marketing_consent.state` in Winback's terms; states we do not know mean we know nothing. */
export function shopifyConsentState(state: string): ConsentState {
  switch (state) {
    case 'subscribed':
    case 'not_subscribed':
    case 'unsubscribed':
    case 'pending':
      return state;
    default:
      return 'unknown'; // redacted, invalid, and whatever Shopify adds next
  }
}

function toIncomingOrder(order: ShopifyOrder, receivedAt: Date): IncomingOrder {
  const currency = order.currency;
  const placedAt = plausibleTimeAt('created_at', order.created_at, receivedAt);
  const updatedAt = optionalPlausibleTimeAt('updated_at', order.updated_at, receivedAt) ?? placedAt;
  optionalPlausibleTimeAt('cancelled_at', order.cancelled_at, receivedAt);
  const notCountedBecause = reasonNotCounted(order);
  return {
    source: 'shopify',
    orderId: fromGid(order.admin_graphql_api_id, 'Order') ?? order.id,
    placedAt,
    updatedAt,
    totalMinor: minorUnitsAt('total_price', order.total_price, currency),
    currency,
    lineItems: order.line_items.map((item, index) => ({
      title: item.title,
      quantity: item.quantity,
      priceMinor: minorUnitsAt(`line_items[${index}].price`, item.price, currency),
      ...(item.sku?.trim() ? { sku: item.sku.trim() } : {}),
    })),
    couponCodes: (order.discount_codes ?? []).map((discount) => discount.code.trim()).filter((code) => code !== ''),
    counts: notCountedBecause === undefined,
    ...(notCountedBecause !== undefined ? { notCountedBecause } : {}),
    customer: toIncomingCustomer(order.customer ?? undefined, order, order.billing_address ?? undefined, receivedAt, 'customer.'),
  };
}

/** A test order never was a purchase, so that reason comes first; then cancellation, then what happened to the money. */
function reasonNotCounted(order: ShopifyOrder): string | undefined {
  if (order.test === true) return 'test';
  if (order.cancelled_at) return 'cancelled';
  if (order.financial_status === 'voided') return 'voided';
  if (order.financial_status === 'refunded') return 'refunded';
  return undefined;
}

/**
 * The customer of an order (which may be a guest: no customer object) or of a customers/update delivery; `at` is
 * where the customer object sits in the body (`customer.` in an order, nothing in customers/update), for field names.
 */
function toIncomingCustomer(
  customer: ShopifyCustomer | undefined,
  order: Pick<ShopifyOrder, 'email' | 'contact_email'> | undefined,
  billing: NonNullable<ShopifyOrder['billing_address']> | undefined,
  receivedAt: Date,
  at: string,
): IncomingCustomer {
  const createdAt = optionalPlausibleTimeAt(`${at}created_at`, customer?.created_at, receivedAt);
  optionalPlausibleTimeAt(`${at}updated_at`, customer?.updated_at, receivedAt);
  const consentUpdatedAt = optionalPlausibleTimeAt(
    `${at}email_marketing_consent.consent_updated_at`,
    customer?.email_marketing_consent?.consent_updated_at,
    receivedAt,
  );
  const email = customer?.email ?? order?.email ?? order?.contact_email;
  const firstName = present(customer?.first_name) ?? present(billing?.first_name);
  const lastName = present(customer?.last_name) ?? present(billing?.last_name);
  const country = countryCode(customer?.default_address?.country_code) ?? countryCode(billing?.country_code);
  const consent = customer?.email_marketing_consent;
  const platformCustomerId = customer ? (fromGid(customer.admin_graphql_api_id, 'Customer') ?? customer.id) : undefined;
  return {
    ...(platformCustomerId !== undefined ? { platformCustomerId } : {}),
    ...(email !== undefined ? { email } : {}),
    ...(firstName !== undefined ? { firstName } : {}),
    ...(lastName !== undefined ? { lastName } : {}),
    ...(country !== undefined ? { country } : {}),
    ...(consent
      ? {
          consent: {
            state: shopifyConsentState(consent.state),
            // No consent_updated_at means no change since the customer was created; never "now", which would let a
            // stale "subscribed" override a newer unsubscribe. A time a little ahead of ours (clock skew) is taken
            // as the time of receipt, so no consent is ever dated after it arrived.
            updatedAt: notAfter(consentUpdatedAt ?? createdAt ?? unknownConsentTime, receivedAt),
          },
        }
      : {}),
  };
}

function fromGid(gid: string | null | undefined, type: 'Order' | 'Customer'): string | undefined {
  const match = gid ? new RegExp(`^gid://shopify/${type}/(\\d{1,40})$`).exec(gid) : null;
  return match?.[1];
}

function present(text: string | null | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed ? trimmed : undefined;
}

function countryCode(code: string | null | undefined): string | undefined {
  const trimmed = code?.trim().toUpperCase();
  return trimmed && /^[A-Z]{2}$/.test(trimmed) ? trimmed : undefined;
}
