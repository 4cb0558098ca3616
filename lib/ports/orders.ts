import type { Customer, Order } from '../domain/customer.js';
import type { OrderSource } from '../domain/orders/incoming-order.js';
import type { Attribution, SendKey, SendRecord } from '../domain/sends.js';

export interface StoredOrder extends Order {
  readonly counts: boolean;
  readonly notCountedBecause?: string;
  readonly updatedAt: string;
  readonly couponCodes: readonly string[];
}

/** Where an order id lives and whether it counted: the idempotency record for one platform order. */
export interface OrderPointer {
  readonly customerId: string;
  readonly placedAt: string;
  readonly counts: boolean;
  readonly updatedAt: string;
}

export interface VersionedCustomer {
  readonly customer: Customer;
  /** Optimistic concurrency: a commit names the version it read. */
  readonly version: number;
}

export interface OrderIngestView {
  readonly customer?: VersionedCustomer;
  readonly pointer?: OrderPointer;
  readonly deliverySeen: boolean;
  readonly sends: readonly SendRecord[];
  /** Who holds the address today, when the view was asked for it (read in the same request as the rest). */
  readonly emailOwner?: string;
}

/** One atomic change: order record, idempotency pointer, customer summary, delivery marker, and attribution. */
export interface OrderCommit {
  readonly source: OrderSource;
  readonly deliveryId: string;
  readonly customer: Customer;
  readonly expectedVersion: number | 'new';
  readonly order: StoredOrder;
  readonly pointerBefore: 'absent' | { readonly counts: boolean };
  /** Written when the customer is new or their address changed, so guest orders find them by email. */
  readonly emailHash?: string;
  readonly credit?: { readonly send: SendKey; readonly attribution: Attribution };
  readonly uncredit?: readonly SendKey[];
}

export interface OrderStore {
  /**
   * What an order's ingest decides on, read together: the profile (and, when there is one, its ledger entries), the
   * order's pointer, the delivery marker and, given `emailHash`, who holds that address.
   */
  view(customerId: string, source: OrderSource, orderId: string, deliveryId: string, emailHash?: string): Promise<OrderIngestView>;
  countedOrders(customerId: string): Promise<StoredOrder[]>;
  /** False when another writer changed the customer, the pointer or the delivery first: read again and retry. */
  commit(change: OrderCommit): Promise<boolean>;
  /** Remembers a delivery that changed nothing, so a retry of it is answered at once. */
  markDelivery(source: OrderSource, deliveryId: string): Promise<void>;
}
