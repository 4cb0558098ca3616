import type { Consent, Customer, LastSend, Order } from '../domain/customer.js';

export type { LastSend };

export interface ScanPosition {
  readonly segment: number;
  readonly totalSegments: number;
  /** Where the previous page stopped; absent at the start of a segment. */
  readonly cursor?: string;
}

export interface CustomerPage {
  readonly customers: readonly Customer[];
  /** Items that could not be read as a customer: counted, skipped, never fatal. */
  readonly unreadable: number;
  /** Absent when the segment is done. */
  readonly nextCursor?: string;
}

export interface CustomerRepository {
  /** One page of one scan segment: the night streams pages and never holds the whole base. */
  scanPage(position: ScanPosition): Promise<CustomerPage>;
  /** An estimate for sizing the scan (DynamoDB refreshes it about every six hours). */
  approximateCount(): Promise<number>;
  get(customerId: string): Promise<Customer | undefined>;
  /** Writes customers with their orders; used by imports and the demo shop. */
  putMany(entries: readonly { customer: Customer; orders: readonly Order[] }[]): Promise<void>;
  /** Remembers the latest send on the profile, so tomorrow's night can tell "already sent" without a lookup. */
  recordEmailed(customerId: string, send: LastSend): Promise<void>;
  /** Sets the consent state when it is newer than the stored one; false for an unknown customer. */
  updateConsent(customerId: string, consent: Consent): Promise<boolean>;
  recordFeedback(customerId: string, feedback: NonNullable<Customer['feedback']>): Promise<boolean>;
  /** Forgets a customer: profile, orders, sends and the email pointer are deleted. */
  forget(customerId: string): Promise<number>;
  customerIdForEmail(emailHash: string): Promise<string | undefined>;
}
