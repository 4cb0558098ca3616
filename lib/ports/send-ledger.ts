import type { FeedbackAnswer, LedgerStatus, RecordedEmailEvent, SendKey, SendRecord, SendReservation, SentEntry } from '../domain/sends.js';

export type { LedgerStatus, SendKey, SendRecord, SendReservation };

export type SendOutcome =
  /** `night` is the entry's own (its asOf): the deliverability guard finds a night's emails by it. */
  | { readonly status: 'sent'; readonly messageId: string; readonly at: string; readonly night: string }
  | { readonly status: 'failed'; readonly errorCode: string; readonly at: string };

export type Reservation =
  | { readonly reserved: true }
  | { readonly reserved: false; readonly heldAs: LedgerStatus; readonly holder?: { readonly runId?: string; readonly heldSince?: string } };

export interface SendLedger {
  /**
   * Reserves (customer, campaign, episode, step) before the email goes out, or records a holdout or a scheduled
   * send under the same key; otherwise says what holds it. A scheduled entry is also put on the due list.
   */
  reserve(reservation: SendReservation, status?: 'reserved' | 'held_out' | 'scheduled'): Promise<Reservation>;
  /** Takes a scheduled entry for sending (scheduled -> reserved); false when someone else took it. */
  claimScheduled(entry: SendRecord): Promise<boolean>;
  /** Puts a claimed send back on the due list (SES paused or throttled it): it goes at the next chance, once. */
  reschedule(entry: SendRecord, notBefore: string): Promise<void>;
  /**
   * Moves a scheduled send's place on the due list to `notBefore` (it was handed to the send queue: it falls due again
   * only if that message is lost); false when it is no longer scheduled.
   */
  deferDue(entry: SendRecord, notBefore: string): Promise<boolean>;
  /** A scheduled send that must not go any more (the customer opted out meanwhile). */
  cancelScheduled(key: SendKey, reason: string): Promise<void>;
  /** Scheduled sends due by this instant, oldest first, at most `limit`; fewer than `limit` only when no other send was due. */
  due(upTo: Date, limit: number): Promise<SendRecord[]>;
  get(key: SendKey): Promise<SendRecord | undefined>;
  /** The entries of these keys, in their order, read together (a batch of the send queue). */
  getMany(keys: readonly SendKey[]): Promise<(SendRecord | undefined)[]>;
  complete(key: SendKey, outcome: SendOutcome): Promise<void>;
  /** Gives a reservation back when the provider certainly did not take the email (sending paused, throttled out). */
  release(key: SendKey): Promise<void>;
  findByMessageId(messageId: string): Promise<SendRecord | undefined>;
  /** Keeps the first time each kind of event was seen; repeats change nothing. */
  recordEvent(key: SendKey, event: RecordedEmailEvent, at: string): Promise<void>;
  recordFeedback(key: SendKey, feedback: FeedbackAnswer): Promise<boolean>;
  sendsOf(customerId: string): Promise<SendRecord[]>;
  /** Sent entries of the nights (asOf) from `firstNight` to `lastNight`, with their events: what the deliverability guard measures. */
  sentOnNights(firstNight: string, lastNight: string): Promise<SentEntry[]>;
  /** A night (asOf) begins and will send: from it on, the ledger can answer `sentOnNights` without reading its whole history. */
  beginNight(asOf: string): Promise<void>;
}
