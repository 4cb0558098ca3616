export interface SendKey {
  readonly customerId: string;
  readonly campaignId: string;
  /**
   * The lapse being won back: the date of the last order before it. A customer who orders again and lapses
   * again is a new episode and may be emailed again; within one episode each step goes out once.
   */
  readonly episode: string;
  readonly step: number;
}

export interface SendReservation extends SendKey {
  readonly runId: string;
  readonly asOf: string;
  readonly reservedAt: string;
}

export type SendOutcome =
  | { readonly status: 'sent'; readonly messageId: string; readonly at: string }
  | { readonly status: 'failed'; readonly errorCode: string; readonly at: string };

export type LedgerStatus = 'reserved' | 'sent' | 'failed';

export type Reservation = { readonly reserved: true } | { readonly reserved: false; readonly heldAs: LedgerStatus };

export interface SendLedger {
  /** Reserves (customer, campaign, episode, step) before the email goes out; otherwise says what holds it. */
  reserve(reservation: SendReservation): Promise<Reservation>;
  complete(key: SendKey, outcome: SendOutcome): Promise<void>;
  /** Gives a reservation back when the provider certainly did not take the email (sending paused, throttled out). */
  release(key: SendKey): Promise<void>;
}
