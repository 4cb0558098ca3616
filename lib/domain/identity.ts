import type { Customer } from './customer.js';
import { hashEmail, normalizeEmail } from './email.js';
import type { OrderSource } from './orders/incoming-order.js';

export { normalizeEmail };

/**
 * Who is who. One identity for webhooks and imports alike: the same platform customer, the same platform order, the
 * same key, whichever way it came in.
 *
 * - A platform's ids are only unique within that platform: WooCommerce's customer 700002 and Shopify's customer 700002
 *   are two people. Every platform id is therefore namespaced by its source (`shopify:700002`).
 * - Profiles of different sources are merged only by the normalized email address (trimmed, lowercased; dots and
 *   plus tags are kept: at many providers those are different mailboxes).
 * - An order is never attached to a profile whose address is another person's: see {@link profileForOrder}.
 */

/** The profile key of a platform customer. Sources hold no `:`, so keys of different sources never collide. */
export function customerKey(source: OrderSource, platformCustomerId: string): string {
  return `${source}:${platformCustomerId}`;
}

/** The platform's own id inside a key of that source; undefined for a guest's key or another source's. */
export function platformCustomerIdOf(key: string, source: OrderSource): string | undefined {
  const prefix = `${source}:`;
  return key.startsWith(prefix) ? key.slice(prefix.length) : undefined;
}

/** The identity of a platform order (the table files it as `ORDER#<source>#<id>`, the same pair). */
export function orderKey(source: OrderSource, platformOrderId: string): string {
  return `${source}:${platformOrderId}`;
}

/** Guests have no platform id; the email's hash names them, so their next order finds them again, from any source. */
export function guestCustomerKey(emailHash: string): string {
  return `guest-${emailHash.slice(0, 24)}`;
}

/** How many earlier addresses a profile remembers (as hashes), so forgetting it suppresses them all. */
export const previousAddressesKept = 20;

/** Every address the profile is known by, as hashes: the current one first, then the earlier ones. */
export function knownEmailHashes(customer: Pick<Customer, 'email' | 'previousEmailHashes'>): string[] {
  const hashes = [...(customer.email ? [hashEmail(customer.email)] : []), ...(customer.previousEmailHashes ?? [])];
  return [...new Set(hashes)];
}

/**
 * The profile with a new current address; the old one is remembered as a hash (the newest kept last, at most
 * {@link previousAddressesKept}), so erasure can still suppress it and a guest order from it still finds the profile.
 */
export function withAddress(customer: Customer, email: string): Customer {
  const next = normalizeEmail(email);
  if (customer.email === next) return customer;
  const nextHash = hashEmail(next);
  const previous = [...(customer.previousEmailHashes ?? []), ...(customer.email ? [hashEmail(customer.email)] : [])].filter((hash) => hash !== nextHash);
  const kept = [...new Set(previous.reverse())].reverse().slice(-previousAddressesKept);
  return { ...customer, email: next, ...(kept.length > 0 ? { previousEmailHashes: kept } : {}) };
}

/** What ingestion knows when it picks the profile of an order. */
export interface OrderIdentity {
  /** The profile under the order's platform customer key, when the order names a platform customer. */
  readonly keyed?: { readonly customerId: string; readonly profile?: Pick<Customer, 'email' | 'previousEmailHashes'> };
  /** The hash of the order's normalized, deliverable address. */
  readonly emailHash?: string;
  /** The profile that address points to today, if any. */
  readonly emailOwner?: string;
}

/**
 * The profile an order belongs to, or undefined when it names neither a customer nor an address.
 *
 * - A keyed profile takes the order when the order has no address, or one the profile is known by, or when the
 *   profile has no address yet and nobody else holds this one (it adopts it).
 * - Otherwise the address is another person's than the profile's: the order goes to whoever holds that address,
 *   else to a profile of its own (a guest profile named by the address).
 * - A platform customer new to Winback joins the profile that holds the same address (the merge across sources, and
 *   profiles stored before ids were namespaced), else gets a profile under its key.
 */
export function profileForOrder(identity: OrderIdentity): string | undefined {
  const { keyed, emailHash, emailOwner } = identity;
  if (keyed?.profile) {
    if (emailHash === undefined) return keyed.customerId;
    const known = knownEmailHashes(keyed.profile);
    if (known.includes(emailHash)) return keyed.customerId;
    if (known.length === 0 && (emailOwner === undefined || emailOwner === keyed.customerId)) return keyed.customerId;
    return emailOwner ?? guestCustomerKey(emailHash);
  }
  if (keyed) return emailOwner ?? keyed.customerId;
  if (emailHash === undefined) return undefined;
  return emailOwner ?? guestCustomerKey(emailHash);
}
