import type { Consent, Customer, DecisionRecord, Journey, LastSend, Order } from '../domain/customer.js';

export type { LastSend };

export interface AddressChange {
  /** The profile's address fields after the change (see `withAddress`). */
  readonly customer: Pick<Customer, 'email' | 'previousEmailHashes'>;
  /** The address the change was decided from; absent when the profile had none. */
  readonly expectedEmail?: string;
  /** False when the new address already names another profile: that pointer is left alone. */
  readonly claimPointer: boolean;
}

export interface StepRecord {
  readonly journey?: Journey;
  readonly lastSend?: LastSend;
  /** The full list to store (newest last), already trimmed. */
  readonly recentEmails?: readonly string[];
  readonly exit?: { readonly campaignId: string; readonly at: string };
  readonly lastDecision?: DecisionRecord;
}

export interface ScanPosition {
  readonly segment: number;
  readonly totalSegments: number;
  /** Where the previous page stopped; absent at the start of a segment. */
  readonly cursor?: string;
  /** At most this many customers in the page (default: as many as DynamoDB's 1 MB page holds). */
  readonly limit?: number;
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
  /** The profiles of these customers, read together, by customer id; an unknown customer is absent. */
  getMany(customerIds: readonly string[]): Promise<ReadonlyMap<string, Customer>>;
  /** Writes customers with their orders; used by imports and the demo shop. */
  putMany(entries: readonly { customer: Customer; orders: readonly Order[] }[]): Promise<void>;
  /**
   * Remembers a step on the profile (journey, latest send, recent emails for the frequency cap, campaign exits,
   * the latest decision), so tomorrow's night decides from the customer's own item without a lookup.
   */
  recordStep(customerId: string, step: StepRecord): Promise<void>;
  /** Appends to the decision log (kept 180 days): only decisions that changed are written. */
  logDecision(customerId: string, decision: DecisionRecord & { readonly runId: string }): Promise<void>;
  recentDecisions(customerId: string, limit: number): Promise<(DecisionRecord & { readonly runId: string })[]>;
  /** Sets the consent state when it is newer than the stored one; false for an unknown customer. */
  updateConsent(customerId: string, consent: Consent): Promise<boolean>;
  recordFeedback(customerId: string, feedback: NonNullable<Customer['feedback']>): Promise<boolean>;
  /**
   * Forgets a customer: profile, orders, sends, decisions, and every pointer to them (the platform order ids, places
   * on the due list, and the email pointers of every address they had, plus `emailHashes`, while these still name
   * them) are deleted. Returns how many items were deleted.
   */
  forget(customerId: string, emailHashes?: readonly string[]): Promise<number>;
  /**
   * Gives the profile its new current address (and the earlier ones as hashes), if it still has `expectedEmail`;
   * points the address at it when `claimPointer`. False when the profile is gone or its address changed meanwhile.
   */
  changeAddress(customerId: string, change: AddressChange): Promise<boolean>;
  customerIdForEmail(emailHash: string): Promise<string | undefined>;
}
