import type { ConsentState } from '../customer.js';

/** The platforms whose order webhooks Winback understands. */
export const orderSources = ['shopify', 'woocommerce', 'generic'] as const;
export type OrderSource = (typeof orderSources)[number];

/**
 * An order as a platform reported it, translated into Winback's terms but not yet applied. Ids are exact strings
 * (platform ids can exceed 2^53); money is integer minor units; times are UTC ISO-8601.
 */
export interface IncomingOrder {
  readonly source: OrderSource;
  /** The platform's order id, exactly as sent. */
  readonly orderId: string;
  readonly placedAt: string;
  /** When the platform last changed the order; a delivery older than what is stored changes nothing. */
  readonly updatedAt: string;
  readonly totalMinor: number;
  readonly currency: string;
  readonly lineItems: readonly { readonly title: string; readonly quantity: number; readonly priceMinor: number; readonly sku?: string }[];
  readonly couponCodes: readonly string[];
  /**
   * Whether this order counts as a purchase. Cancelled, voided, fully refunded and test orders do not; a counted
   * order that later arrives cancelled is taken back out.
   */
  readonly counts: boolean;
  /** Why it does not count, when it does not: 'cancelled', 'voided', 'refunded', 'test', 'pending' ... */
  readonly notCountedBecause?: string;
  readonly customer: IncomingCustomer;
}

export interface IncomingCustomer {
  /** The platform's customer id; absent for a guest order, which is matched by email. */
  readonly platformCustomerId?: string;
  readonly email?: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly country?: string;
  /** Present when the platform said something about marketing consent. */
  readonly consent?: { readonly state: ConsentState; readonly updatedAt: string };
}

/** A change of marketing consent or profile from the platform (Shopify customers/update). */
export interface IncomingCustomerUpdate {
  readonly source: OrderSource;
  readonly customer: IncomingCustomer;
}

/** A request to forget a customer (Shopify customers/redact, GDPR erasure). */
export interface IncomingRedaction {
  /** Who asked: a platform's webhook, or the shop's own `winback customers forget`. */
  readonly source: OrderSource | 'cli';
  readonly platformCustomerId?: string;
  readonly email?: string;
}

/** What a verified webhook delivery asks Winback to do. */
export type WebhookDelivery =
  | { readonly kind: 'order'; readonly deliveryId: string; readonly order: IncomingOrder }
  | { readonly kind: 'customer-update'; readonly deliveryId: string; readonly update: IncomingCustomerUpdate }
  | { readonly kind: 'redaction'; readonly deliveryId: string; readonly redaction: IncomingRedaction }
  | { readonly kind: 'ignored'; readonly deliveryId: string; readonly reason: string };
