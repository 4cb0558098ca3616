import { daysBetweenInstants } from './dates.js';
import type { DecisionFeatures } from './uplift/targeting.js';

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
  /**
   * When the entry was taken, by the wall clock (reservedAt is the night's own instant, which a replayed night and
   * its re-run share): tells a reservation a dead run left behind from one still in flight.
   */
  readonly heldSince?: string;
  /** The variant sent, or 'holdout' for a customer recorded as "would have been sent". */
  readonly arm?: string;
  readonly offer?: { readonly kind: string; readonly value: number };
  /** The unique coupon code the email carries; an order that redeems it is attributed to this send. */
  readonly offerCode?: string;
  readonly offerExpiresOn?: string;
  /** The products the email recommends, as the night chose them (a scheduled send shows the same). */
  readonly recommendations?: readonly { readonly title: string; readonly sku?: string; readonly priceMinor: number }[];
  /** For a send waiting out the customer's quiet hours: when it may go. */
  readonly notBefore?: string;
  /** What the night knew of the customer when it chose them (step 0): the uplift learner's training features. */
  readonly features?: DecisionFeatures;
}

/**
 * reserved: about to go to SES; sent / failed: SES's answer; held_out: the holdout's "would have been sent";
 * scheduled: waiting for the end of quiet hours; cancelled: a scheduled send whose customer opted out meanwhile.
 */
export type LedgerStatus = 'reserved' | 'sent' | 'failed' | 'held_out' | 'scheduled' | 'cancelled';

export const recordedEmailEvents = [
  'delivered',
  'bounced',
  'softBounced',
  'complained',
  'opened',
  'clicked',
  'rejected',
  'delayed',
  'renderingFailed',
  'unsubscribed',
] as const;
export type RecordedEmailEvent = (typeof recordedEmailEvents)[number];

export type AttributionRule = 'coupon' | 'click' | 'window';

export interface Attribution {
  readonly orderId: string;
  readonly revenueMinor: number;
  readonly currency: string;
  readonly placedAt: string;
  readonly by: AttributionRule;
}

export interface FeedbackAnswer {
  readonly answer: string;
  readonly comment?: string;
  readonly at: string;
}

/** A send ledger entry as read back: the reservation, its outcome, and what happened after. */
export interface SendRecord extends SendReservation {
  readonly status: LedgerStatus;
  readonly messageId?: string;
  readonly completedAt?: string;
  readonly errorCode?: string;
  /** First time each kind of event was seen, UTC ISO-8601. */
  readonly events?: Partial<Record<RecordedEmailEvent, string>>;
  readonly attribution?: Attribution;
  readonly feedback?: FeedbackAnswer;
}

/**
 * What the report reads of a ledger entry: all but what only the sender and the event handlers need. The report holds
 * every entry of its range at once (the whole history, for the snapshot kept ready), so each field left out here is
 * memory per entry (`npm run bench:report`).
 */
export type ReportedSend = Omit<SendRecord, 'runId' | 'heldSince' | 'notBefore' | 'offerExpiresOn' | 'messageId'>;

/** What the deliverability guard reads of a sent email: its key, night, outcome and events. */
export type SentEntry = Pick<SendRecord, 'customerId' | 'campaignId' | 'episode' | 'step' | 'asOf' | 'status' | 'completedAt' | 'messageId' | 'events'>;

export interface AttributableOrder {
  readonly orderId: string;
  readonly placedAt: string;
  readonly totalMinor: number;
  readonly currency: string;
  readonly couponCodes: readonly string[];
}

/**
 * Which win-back email, if any, an order is credited to: one whose coupon it redeems first; otherwise the latest
 * clicked email within the window; otherwise the latest email sent within the window. Only emails sent before the
 * order and not yet credited with another order count.
 */
export function attributeOrder(
  order: AttributableOrder,
  sends: readonly SendRecord[],
  windowDays: number,
): { send: SendRecord; by: AttributionRule } | undefined {
  const coupons = new Set(order.couponCodes.map((code) => code.trim().toUpperCase()));
  const eligible = sends
    .filter((send) => send.status === 'sent' && send.completedAt !== undefined && send.completedAt <= order.placedAt && !send.attribution)
    .sort((a, b) => (b.completedAt! < a.completedAt! ? -1 : 1));
  const byCoupon = eligible.find((send) => send.offerCode && coupons.has(send.offerCode.toUpperCase()));
  if (byCoupon) return { send: byCoupon, by: 'coupon' };
  const inWindow = eligible.filter((send) => daysBetweenInstants(send.completedAt!, order.placedAt) <= windowDays);
  const clicked = inWindow.find((send) => send.events?.clicked !== undefined && send.events.clicked <= order.placedAt);
  if (clicked) return { send: clicked, by: 'click' };
  const latest = inWindow[0];
  return latest ? { send: latest, by: 'window' } : undefined;
}
