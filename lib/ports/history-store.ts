import type { Customer } from '../domain/customer.js';
import type { OrderSource } from '../domain/orders/incoming-order.js';
import type { StoredOrder, VersionedCustomer } from './orders.js';

/**
 * What a history import needs of the table: the same records the order webhooks write (order, platform-order pointer,
 * customer profile, email pointer), read and written many customers at a time, so a file of a million orders costs
 * batched requests, not a transaction per order.
 */
export interface HistoryStore {
  /** Which of these platform orders are stored already, as `orderKey(source, id)` strings. */
  storedOrders(orders: readonly { readonly source: OrderSource; readonly orderId: string }[]): Promise<Set<string>>;
  /** The profile each address hash points to, for the hashes that point anywhere. */
  emailOwners(emailHashes: readonly string[]): Promise<Map<string, string>>;
  profiles(customerIds: readonly string[]): Promise<Map<string, VersionedCustomer>>;
  /**
   * Writes one customer's profile with new orders (each with its pointer), all or nothing. False when someone got
   * there first: the profile's version moved, one of the orders is stored meanwhile, or the address was claimed.
   */
  write(change: HistoryWrite): Promise<boolean>;
}

export interface HistoryWrite {
  readonly customer: Customer;
  readonly expectedVersion: number | 'new';
  /** At most {@link maxOrdersPerHistoryWrite}. */
  readonly orders: readonly StoredOrder[];
  /** Points this address hash at the customer; only when no profile holds it yet. */
  readonly claimEmailHash?: string;
}

/** One write is one transaction: 2 items an order, the profile and the email pointer stay within DynamoDB's 100. */
export const maxOrdersPerHistoryWrite = 45;
