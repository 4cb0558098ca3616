import { type CalendarDate, daysBetweenInstants } from './dates.js';
import { divideRoundHalfEven, formatMoney } from './money.js';
import type { ReportedSend } from './sends.js';

/**
 * Campaign results: the funnel per campaign, variant, step and night, and the lift against the holdout. Pure: the
 * use-case reads the ledger and the orders, this counts.
 *
 * Two ways of counting orders, on purpose:
 * - `converted` and `revenue` in the funnel are the orders *attributed* to a send (its coupon, else a click, else the
 *   latest email within the attribution window). That is the number every email tool reports, and it includes orders
 *   that would have happened anyway.
 * - The lift counts, for treated and holdout customers alike, any counted order placed within the attribution window
 *   after a night that chose the customer (the treated got an email that night, the holdout was recorded as "would
 *   have been sent"). The holdout gets no email, so nothing can be attributed to it: only this symmetric measure
 *   compares like with like.
 *
 * Discount cost is an estimate, because orders carry what the customer paid, not the discount: a percent coupon of p
 * on a paid total T gave away T x p / (100 - p) (the list price was T x 100 / (100 - p)); a fixed amount gave away its
 * value; free shipping gave away a flat estimate the caller chooses (0 unless told, and the report says so). The
 * funnel counts it on orders attributed by coupon; the lift on treated orders in the window that carry the send's
 * coupon code.
 */

/** The 97.5% quantile of the standard normal: two-sided 95% intervals. */
export const z95 = 1.959963984540054;

export interface ReportOrder {
  readonly customerId: string;
  readonly orderId: string;
  readonly placedAt: string;
  readonly totalMinor: number;
  readonly currency: string;
  /** false for cancelled, test or refunded orders: they are not purchases. Absent means counted. */
  readonly counts?: boolean;
  readonly couponCodes?: readonly string[];
}

export interface DiscountEstimate {
  /** What a free-shipping redemption is taken to cost, in minor units (the ledger does not know shipping prices). */
  readonly freeShippingMinor: number;
}

/** What the coupon of an offer gave away on an order whose customer paid `paidMinor`. */
export function estimateDiscountMinor(offer: ReportedSend['offer'], paidMinor: number, estimate: DiscountEstimate): number {
  switch (offer?.kind) {
    case 'percent':
      return offer.value > 0 && offer.value < 100 ? divideRoundHalfEven(paidMinor * offer.value, 100 - offer.value) : 0;
    case 'fixed_amount':
      return offer.value;
    case 'free_shipping':
      return estimate.freeShippingMinor;
    default:
      return 0;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Funnel metrics

export interface Metrics {
  /** The customers the nights chose: sent + held out + scheduled (still waiting for their morning). */
  eligible: number;
  heldOut: number;
  sent: number;
  scheduled: number;
  /** SES refused it: chosen, but no email went. */
  failed: number;
  /**
   * Reserved, then never confirmed (a crash or a timeout between reserving and SES's answer): SES may have sent it.
   * Never resent, so nobody gets it twice; left out of the sent, bounce and lift figures, shown so someone can look.
   */
  unconfirmed: number;
  /** Never sent: the shop's platform did not confirm its coupon code within the offer's validity. */
  couponUnavailable: number;
  delivered: number;
  bounced: number;
  complained: number;
  /** Inflated by mail privacy features (Apple Mail Privacy Protection opens every image): shown, never decided on. */
  opened: number;
  clicked: number;
  unsubscribed: number;
  /** Orders attributed to a send. */
  converted: number;
  revenueMinor: number;
  discountCostMinor: number;
  /** Attributed orders that redeemed the send's coupon; free-shipping ones are counted apart (their cost is a guess). */
  couponRedemptions: number;
  freeShippingRedemptions: number;
}

export function emptyMetrics(): Metrics {
  return {
    eligible: 0,
    heldOut: 0,
    sent: 0,
    scheduled: 0,
    failed: 0,
    unconfirmed: 0,
    couponUnavailable: 0,
    delivered: 0,
    bounced: 0,
    complained: 0,
    opened: 0,
    clicked: 0,
    unsubscribed: 0,
    converted: 0,
    revenueMinor: 0,
    discountCostMinor: 0,
    couponRedemptions: 0,
    freeShippingRedemptions: 0,
  };
}

/** Adds one ledger entry to the metrics (in place). */
export function countSend(metrics: Metrics, send: ReportedSend, estimate: DiscountEstimate): void {
  switch (send.status) {
    case 'sent':
      metrics.sent += 1;
      metrics.eligible += 1;
      break;
    case 'held_out':
      metrics.heldOut += 1;
      metrics.eligible += 1;
      return;
    case 'scheduled':
      metrics.scheduled += 1;
      metrics.eligible += 1;
      return;
    case 'failed':
      if (send.errorCode?.startsWith('unconfirmed:')) metrics.unconfirmed += 1;
      else metrics.failed += 1;
      return;
    case 'reserved':
      metrics.unconfirmed += 1;
      return;
    case 'cancelled':
      if (send.errorCode === 'coupon_unavailable') metrics.couponUnavailable += 1;
      return;
  }
  const events = send.events ?? {};
  if (events.delivered !== undefined) metrics.delivered += 1;
  if (events.bounced !== undefined) metrics.bounced += 1;
  if (events.complained !== undefined) metrics.complained += 1;
  if (events.opened !== undefined) metrics.opened += 1;
  if (events.clicked !== undefined) metrics.clicked += 1;
  if (events.unsubscribed !== undefined) metrics.unsubscribed += 1;
  const credit = send.attribution;
  if (!credit) return;
  metrics.converted += 1;
  metrics.revenueMinor += credit.revenueMinor;
  if (credit.by === 'coupon') {
    metrics.couponRedemptions += 1;
    if (send.offer?.kind === 'free_shipping') metrics.freeShippingRedemptions += 1;
    metrics.discountCostMinor += estimateDiscountMinor(send.offer, credit.revenueMinor, estimate);
  }
}

export interface CampaignMetrics {
  readonly total: Metrics;
  readonly byVariant: Map<string, Metrics>;
  readonly byStep: Map<number, Metrics>;
  readonly byNight: Map<CalendarDate, Metrics>;
}

/** The funnel per campaign, and within it per variant (arm, 'holdout' included), step and night. */
export function campaignMetrics(sends: readonly ReportedSend[], estimate: DiscountEstimate): Map<string, CampaignMetrics> {
  const campaigns = new Map<string, CampaignMetrics>();
  for (const send of sends) {
    let campaign = campaigns.get(send.campaignId);
    if (!campaign) campaigns.set(send.campaignId, (campaign = { total: emptyMetrics(), byVariant: new Map(), byStep: new Map(), byNight: new Map() }));
    countSend(campaign.total, send, estimate);
    countSend(entry(campaign.byVariant, send.arm ?? 'unknown'), send, estimate);
    countSend(entry(campaign.byStep, send.step), send, estimate);
    countSend(entry(campaign.byNight, send.asOf), send, estimate);
  }
  return campaigns;
}

function entry<K>(map: Map<K, Metrics>, key: K): Metrics {
  let metrics = map.get(key);
  if (!metrics) map.set(key, (metrics = emptyMetrics()));
  return metrics;
}

// ---------------------------------------------------------------------------------------------------------------------
// Confidence intervals

/** Wilson's score interval for a proportion x/n; [0, 1] when n is 0. */
export function wilsonInterval(x: number, n: number, z = z95): [number, number] {
  if (n <= 0) return [0, 1];
  const p = x / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Newcombe's hybrid score interval (1998, method 10) for the difference of two independent proportions x1/n1 - x2/n2,
 * built from the two Wilson intervals. Unlike the textbook normal (Wald) interval it stays inside [-1, 1], needs no
 * continuity correction and keeps close to 95% coverage with few conversions and rates near 0, which is exactly
 * where a win-back holdout lives.
 */
export function newcombeInterval(x1: number, n1: number, x2: number, n2: number, z = z95): [number, number] {
  const p1 = n1 > 0 ? x1 / n1 : 0;
  const p2 = n2 > 0 ? x2 / n2 : 0;
  const [l1, u1] = wilsonInterval(x1, n1, z);
  const [l2, u2] = wilsonInterval(x2, n2, z);
  const difference = p1 - p2;
  return [difference - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), difference + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)];
}

/**
 * The relative lift p1/p2 - 1 with the Katz log interval for the risk ratio; undefined when either group has no
 * conversions (the ratio is 0 or infinite, and its logarithm has no standard error).
 */
export function relativeLiftInterval(x1: number, n1: number, x2: number, n2: number, z = z95): [number, number] | undefined {
  if (x1 <= 0 || x2 <= 0 || n1 <= 0 || n2 <= 0) return undefined;
  const logRatio = Math.log(x1 / n1 / (x2 / n2));
  const se = Math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2);
  return [Math.exp(logRatio - z * se) - 1, Math.exp(logRatio + z * se) - 1];
}

// ---------------------------------------------------------------------------------------------------------------------
// Lift against the holdout

/** One customer's journey through one campaign in one lapse (all its steps), treated or held out. */
export interface LiftUnit {
  readonly customerId: string;
  readonly campaignId: string;
  readonly arm: string;
  readonly holdout: boolean;
  /** The nights' instants that chose the customer (sent or held out): each opens a window. */
  readonly exposures: readonly string[];
  /** Coupon code (upper case) -> the offer it carried. */
  readonly coupons: ReadonlyMap<string, ReportedSend['offer']>;
}

/**
 * Ledger entries grouped by (customer, campaign, lapse). Treated units have at least one email sent; holdout units at
 * least one "would have been sent". Entries still scheduled, failed or cancelled open no window: nobody was reached
 * (or deliberately not reached) yet. The night's instant (reservedAt) opens the window for both groups alike, so a
 * quiet-hours send that went out hours later is not measured from a later start than its holdout twin.
 */
export function liftUnits(sends: readonly ReportedSend[]): LiftUnit[] {
  const units = new Map<
    string,
    { customerId: string; campaignId: string; arm: string; holdout: boolean; exposures: string[]; coupons: Map<string, ReportedSend['offer']> }
  >();
  for (const send of sends) {
    if (send.status !== 'sent' && send.status !== 'held_out') continue;
    const key = `${send.customerId}\u0000${send.campaignId}\u0000${send.episode}`;
    let unit = units.get(key);
    const holdout = send.status === 'held_out';
    if (!unit)
      units.set(
        key,
        (unit = {
          customerId: send.customerId,
          campaignId: send.campaignId,
          arm: send.arm ?? (holdout ? 'holdout' : 'unknown'),
          holdout,
          exposures: [],
          coupons: new Map(),
        }),
      );
    unit.exposures.push(send.reservedAt);
    if (send.offerCode) unit.coupons.set(send.offerCode.toUpperCase(), send.offer);
  }
  return [...units.values()];
}

export interface UnitOutcome {
  readonly converted: boolean;
  readonly orders: number;
  readonly revenueMinor: number;
  /** Estimated discount on the unit's orders that redeemed one of its coupons. */
  readonly discountMinor: number;
}

/** A unit's counted orders within `windowDays` after any of its exposures (each order once). */
export function unitOutcome(unit: LiftUnit, orders: readonly ReportOrder[], windowDays: number, estimate: DiscountEstimate): UnitOutcome {
  let count = 0;
  let revenueMinor = 0;
  let discountMinor = 0;
  for (const order of orders) {
    if (order.counts === false) continue;
    const inWindow = unit.exposures.some((at) => order.placedAt > at && daysBetweenInstants(at, order.placedAt) <= windowDays);
    if (!inWindow) continue;
    count += 1;
    revenueMinor += order.totalMinor;
    const redeemed = (order.couponCodes ?? []).map((code) => code.trim().toUpperCase()).find((code) => unit.coupons.has(code));
    if (redeemed !== undefined) discountMinor += estimateDiscountMinor(unit.coupons.get(redeemed), order.totalMinor, estimate);
  }
  return { converted: count > 0, orders: count, revenueMinor, discountMinor };
}

export interface GroupOutcome {
  readonly customers: number;
  readonly converted: number;
  readonly rate: number;
  readonly orders: number;
  readonly revenueMinor: number;
  readonly discountCostMinor: number;
}

export function groupOutcome(outcomes: readonly UnitOutcome[]): GroupOutcome {
  const converted = outcomes.filter((outcome) => outcome.converted).length;
  return {
    customers: outcomes.length,
    converted,
    rate: outcomes.length > 0 ? converted / outcomes.length : 0,
    orders: outcomes.reduce((sum, outcome) => sum + outcome.orders, 0),
    revenueMinor: outcomes.reduce((sum, outcome) => sum + outcome.revenueMinor, 0),
    discountCostMinor: outcomes.reduce((sum, outcome) => sum + outcome.discountMinor, 0),
  };
}

export type VerdictKind = 'no_holdout' | 'too_small' | 'inconclusive' | 'positive' | 'negative';

export interface Verdict {
  readonly kind: VerdictKind;
  readonly text: string;
}

export interface Lift {
  readonly treated: GroupOutcome;
  readonly holdout: GroupOutcome;
  /** Conversion rate difference, treated minus holdout (0.031 = 3.1 percentage points); undefined without both groups. */
  readonly absolute?: number;
  /** treated / holdout - 1; undefined when the holdout has no conversions. */
  readonly relative?: number;
  readonly ci95?: [number, number];
  readonly relativeCi95?: [number, number];
  /** Orders the emails added: (treated orders per customer - holdout orders per customer) x treated customers. */
  readonly incrementalOrders?: number;
  /**
   * Revenue the emails added, scaled to the treated group the same way. Order totals are what customers paid, after
   * the coupon, so `net` is the measured difference and already net of discount cost; `gross` adds the estimated
   * discount back (the list-price revenue the emails moved) and `discountCostMinor` is the difference.
   */
  readonly incrementalRevenue?: { readonly grossMinor: number; readonly discountCostMinor: number; readonly netMinor: number };
  readonly verdict: Verdict;
}

export interface LiftSettings {
  /** Below this many conversions (treated and holdout together) the verdict is "too early to tell". */
  readonly minConversions: number;
  readonly currency: string;
  readonly locale: string;
}

export const defaultMinConversions = 20;

export function measureLift(treated: GroupOutcome, holdout: GroupOutcome, settings: LiftSettings): Lift {
  if (treated.customers === 0 || holdout.customers === 0) {
    return { treated, holdout, verdict: liftVerdict({ treated, holdout }, settings) };
  }
  const absolute = treated.rate - holdout.rate;
  const ci95 = newcombeInterval(treated.converted, treated.customers, holdout.converted, holdout.customers);
  const relativeCi95 = relativeLiftInterval(treated.converted, treated.customers, holdout.converted, holdout.customers);
  const perTreated = (treatedTotal: number, holdoutTotal: number) => treatedTotal - (holdoutTotal * treated.customers) / holdout.customers;
  const netMinor = Math.round(perTreated(treated.revenueMinor, holdout.revenueMinor));
  const incrementalRevenue = { grossMinor: netMinor + treated.discountCostMinor, discountCostMinor: treated.discountCostMinor, netMinor };
  const incrementalOrders = perTreated(treated.orders, holdout.orders);
  const lift = {
    treated,
    holdout,
    absolute,
    ...(holdout.rate > 0 ? { relative: treated.rate / holdout.rate - 1 } : {}),
    ci95,
    ...(relativeCi95 ? { relativeCi95 } : {}),
    incrementalOrders,
    incrementalRevenue,
  };
  return { ...lift, verdict: liftVerdict(lift, settings) };
}

/** What the numbers say, in words a marketer can act on, including "we cannot tell yet". */
export function liftVerdict(lift: Omit<Lift, 'verdict'>, settings: LiftSettings): Verdict {
  const { treated, holdout } = lift;
  if (treated.customers === 0 || holdout.customers === 0) {
    return {
      kind: 'no_holdout',
      text:
        holdout.customers === 0
          ? 'No holdout group yet, so the lift cannot be measured: keep experiment.holdoutPercent above 0 and let a few nights run.'
          : 'Nobody has been emailed yet, so there is nothing to compare the holdout with.',
    };
  }
  const rates = `${pct(treated.rate)} of emailed customers ordered within the window, against ${pct(holdout.rate)} of the holdout`;
  const [low, high] = lift.ci95!;
  const interval = `(95% interval ${points(low)} to ${points(high)})`;
  const conversions = treated.converted + holdout.converted;
  if (conversions < settings.minConversions) {
    return {
      kind: 'too_small',
      text: `Too early to tell: only ${conversions} conversion${conversions === 1 ? '' : 's'} so far (${treated.converted} emailed, ${holdout.converted} holdout; at least ${settings.minConversions} are needed). ${capitalise(rates)} ${interval}.`,
    };
  }
  if (low <= 0 && high >= 0) {
    return {
      kind: 'inconclusive',
      text: `Not enough evidence yet: ${rates}, a difference of ${points(lift.absolute!)} ${interval}, and that interval includes zero. Keep the holdout running.`,
    };
  }
  const money = (minor: number) => formatMoney({ minor, currency: settings.currency }, settings.locale);
  const orders = lift.incrementalOrders ?? 0;
  const revenue = lift.incrementalRevenue;
  if (low > 0) {
    return {
      kind: 'positive',
      text: `The campaign works: ${rates}, ${points(lift.absolute!)} ${interval}. That is about ${Math.round(orders)} extra order${Math.round(orders) === 1 ? '' : 's'} and ${money(revenue?.netMinor ?? 0)} of extra revenue after discounts (${money(revenue?.discountCostMinor ?? 0)} given in discounts).`,
    };
  }
  return {
    kind: 'negative',
    text: `The campaign seems to cost orders: ${rates}, ${points(lift.absolute!)} ${interval}. Review the offer and the audience before sending more.`,
  };
}

function pct(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

function points(difference: number): string {
  const value = (difference * 100).toFixed(1);
  return `${difference >= 0 ? '+' : ''}${value} points`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
