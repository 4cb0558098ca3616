import { type CalendarDate, calendarDateIn, daysBetween, median } from './dates.js';
import { divideRoundHalfEven, inShopCurrency, type ShopMoney } from './money.js';
import { type ProductLine, productKey } from './recommendations.js';

export const consentStates = ['subscribed', 'soft_opt_in', 'not_subscribed', 'pending', 'unsubscribed', 'unknown'] as const;
export type ConsentState = (typeof consentStates)[number];

/** Marketing email is allowed only on an explicit opt-in or a documented soft opt-in (existing customer, could object). */
export const emailableConsentStates: ReadonlySet<ConsentState> = new Set(['subscribed', 'soft_opt_in']);

export interface Consent {
  readonly state: ConsentState;
  /** Where the consent state came from: checkout, shopify, unsubscribe_link, import ... */
  readonly source: string;
  readonly updatedAt: string;
}

export interface LineItem {
  readonly title: string;
  readonly quantity: number;
  readonly priceMinor: number;
  readonly sku?: string;
}

export interface Order {
  readonly orderId: string;
  readonly customerId: string;
  readonly placedAt: string;
  readonly totalMinor: number;
  readonly currency: string;
  readonly lineItems: readonly LineItem[];
  readonly source: string;
  readonly couponCodes?: readonly string[];
}

/** Kept up to date as orders arrive, so the night reads one item per customer and never the order history. */
export interface PurchaseSummary {
  readonly orderCount: number;
  /** Distinct calendar days with an order, in the shop's time zone. */
  readonly purchaseDays: number;
  readonly firstOrderAt?: string;
  readonly lastOrderAt?: string;
  readonly totalSpendMinor: number;
  readonly averageOrderValueMinor: number;
  readonly currency?: string;
  /** Median gap in days between the most recent distinct purchase days. */
  readonly typicalGapDays?: number;
  /** Gap between the first and second purchase day: the shop-wide median of this sets the pace for one-time buyers. */
  readonly firstRepeatGapDays?: number;
  /** The latest distinct purchase days, oldest first, at most {@link recentPurchaseDaysKept}. */
  readonly recentPurchaseDays: readonly CalendarDate[];
  /** Product titles of the latest order, for personalisation. */
  readonly lastProducts: readonly string[];
  /** The latest order's lines (a few), for recommendations: what the shop sells, at what price, bought together. */
  readonly lastItems?: readonly ProductLine[];
  /** Every product bought (keys, see productKey; sorted, at most boughtProductsKept): never recommended again. */
  readonly boughtProducts?: readonly string[];
  /** Spend on the first purchase day: the literature's monetary value is the mean over the repeat days only. */
  readonly firstDaySpendMinor?: number;
  /** The latest order's total, to see spend falling. */
  readonly lastOrderMinor?: number;
  /** Orders that redeemed a coupon: a customer who only buys with a discount is a reason of its own. */
  readonly couponOrders?: number;
  /**
   * Orders paid in another currency than the shop's, with no rate for it in the config: purchases (they count for
   * recency and frequency) whose amounts are in no total, and which the average order value leaves out.
   */
  readonly unpricedOrders?: number;
}

export interface Customer {
  readonly customerId: string;
  readonly email?: string;
  /** Hashes of the addresses the customer had before `email` (oldest first, bounded): erasure suppresses them too. */
  readonly previousEmailHashes?: readonly string[];
  readonly firstName?: string;
  readonly lastName?: string;
  readonly country?: string;
  readonly timeZone?: string;
  readonly consent: Consent;
  readonly summary: PurchaseSummary;
  readonly lastEmailedAt?: string;
  readonly lastSend?: LastSend;
  /** Where the customer is in a campaign's sequence for the current lapse. */
  readonly journey?: Journey;
  /** When the customer last left each campaign, for the cooldown before re-entering it. */
  readonly campaignExits?: Readonly<Record<string, string>>;
  /** Instants of the latest win-back emails (newest last, a few kept), for the frequency cap. */
  readonly recentEmails?: readonly string[];
  /** The latest decision that differed from the one before: the decision log keeps what changed. */
  readonly lastDecision?: DecisionRecord;
  /** Set when an order was credited to a win-back email: the customer is won back. */
  readonly wonBack?: WonBack;
  /** When the latest order was cancelled, voided or refunded (it did not count). */
  readonly lastOrderUndone?: { readonly at: string; readonly reason: string };
  /** The latest answer to "What made you stop ordering?", a reason code for analysis and the next campaign. */
  readonly feedback?: { readonly answer: string; readonly comment?: string; readonly at: string; readonly campaignId: string };
  readonly createdAt: string;
}

export interface WonBack {
  readonly at: string;
  readonly campaignId: string;
  readonly orderId: string;
  readonly revenueMinor: number;
  readonly currency: string;
}

export interface Journey {
  readonly campaignId: string;
  readonly episode: string;
  /** The variant, or 'holdout' for a customer who gets nothing and is recorded as "would have been sent". */
  readonly arm: string;
  /** The night of step 0, YYYY-MM-DD: step delays count from it. */
  readonly startedOn: string;
  readonly nextStep: number;
  readonly lastStepAt: string;
}

export interface DecisionRecord {
  readonly asOf: string;
  readonly outcome: 'sent' | 'held_out' | 'scheduled' | 'skipped';
  readonly reason?: string;
  readonly campaignId?: string;
  readonly step?: number;
  readonly arm?: string;
}

export const recentEmailsKept = 20;

export interface LastSend {
  readonly campaignId: string;
  readonly episode: string;
  readonly step: number;
  readonly at: string;
}

export const recentPurchaseDaysKept = 50;

export const emptySummary: PurchaseSummary = {
  orderCount: 0,
  purchaseDays: 0,
  totalSpendMinor: 0,
  averageOrderValueMinor: 0,
  recentPurchaseDays: [],
  lastProducts: [],
};

/**
 * Folds one order into a summary; orders may arrive late or out of order. With `shop`, amounts are kept in the
 * shop's currency: an order in another one is converted at the config's rate, or (no rate) counted as a purchase
 * whose amount is in no total (see {@link inShopCurrency}). Without it every amount is taken as it is.
 */
export function applyOrder(summary: PurchaseSummary, order: Order, shopTimeZone: string, shop?: ShopMoney): PurchaseSummary {
  const day = calendarDateIn(order.placedAt, shopTimeZone);
  const isNewDay = !summary.recentPurchaseDays.includes(day) && !isOlderThanKeptDays(summary, day);
  const recentPurchaseDays = isNewDay ? [...summary.recentPurchaseDays, day].sort().slice(-recentPurchaseDaysKept) : summary.recentPurchaseDays;
  const amount = shop ? inShopCurrency(order.totalMinor, order.currency, shop) : order.totalMinor;
  const spend = amount ?? 0;
  const unpricedOrders = (summary.unpricedOrders ?? 0) + (amount === undefined ? 1 : 0);
  const orderCount = summary.orderCount + 1;
  const totalSpendMinor = summary.totalSpendMinor + spend;
  const isLatest = !summary.lastOrderAt || order.placedAt >= summary.lastOrderAt;
  const firstOrderAt = !summary.firstOrderAt || order.placedAt < summary.firstOrderAt ? order.placedAt : summary.firstOrderAt;
  const lastOrderMinor = amount !== undefined && (isLatest || summary.lastOrderMinor === undefined) ? amount : summary.lastOrderMinor;
  return {
    orderCount,
    purchaseDays: summary.purchaseDays + (isNewDay ? 1 : 0),
    firstOrderAt,
    lastOrderAt: isLatest ? order.placedAt : summary.lastOrderAt,
    totalSpendMinor,
    averageOrderValueMinor: divideRoundHalfEven(totalSpendMinor, orderCount - unpricedOrders),
    currency: shop?.currency ?? summary.currency ?? order.currency,
    typicalGapDays: typicalGap(recentPurchaseDays),
    firstRepeatGapDays: firstRepeatGap(summary, recentPurchaseDays, firstOrderAt, shopTimeZone),
    recentPurchaseDays,
    lastProducts: isLatest ? order.lineItems.slice(0, 3).map((item) => item.title) : summary.lastProducts,
    ...(isLatest && order.lineItems.length > 0
      ? { lastItems: order.lineItems.slice(0, lastItemsKept).map(productLineOf) }
      : summary.lastItems
        ? { lastItems: summary.lastItems }
        : {}),
    ...boughtProductsAfter(summary, order),
    firstDaySpendMinor: firstDaySpend(summary, spend, day, shopTimeZone),
    ...(lastOrderMinor !== undefined ? { lastOrderMinor } : {}),
    couponOrders: (summary.couponOrders ?? 0) + ((order.couponCodes?.length ?? 0) > 0 ? 1 : 0),
    ...(unpricedOrders > 0 ? { unpricedOrders } : {}),
  };
}

export const lastItemsKept = 5;
export const boughtProductsKept = 50;

function productLineOf(item: LineItem): ProductLine {
  return { title: item.title, ...(item.sku ? { sku: item.sku } : {}), priceMinor: item.priceMinor, quantity: item.quantity };
}

function boughtProductsAfter(summary: PurchaseSummary, order: Order): Pick<PurchaseSummary, 'boughtProducts'> {
  const keys = order.lineItems.map(productKey);
  if (keys.length === 0) return summary.boughtProducts ? { boughtProducts: summary.boughtProducts } : {};
  // Sorted, so the summary is the same whatever order the orders arrive in (a bound over arrival order would not be).
  return { boughtProducts: [...new Set([...(summary.boughtProducts ?? []), ...keys])].sort().slice(0, boughtProductsKept) };
}

function firstDaySpend(summary: PurchaseSummary, spend: number, day: CalendarDate, shopTimeZone: string): number {
  if (!summary.firstOrderAt) return spend;
  const firstDay = calendarDateIn(summary.firstOrderAt, shopTimeZone);
  if (day < firstDay) return spend;
  if (day === firstDay) return (summary.firstDaySpendMinor ?? 0) + spend;
  return summary.firstDaySpendMinor ?? 0;
}

function isOlderThanKeptDays(summary: PurchaseSummary, day: CalendarDate): boolean {
  const oldestKept = summary.recentPurchaseDays[0];
  return summary.recentPurchaseDays.length >= recentPurchaseDaysKept && oldestKept !== undefined && day < oldestKept;
}

function typicalGap(days: readonly CalendarDate[]): number | undefined {
  const gaps: number[] = [];
  for (let index = 1; index < days.length; index += 1) gaps.push(daysBetween(days[index - 1]!, days[index]!));
  return median(gaps);
}

function firstRepeatGap(previous: PurchaseSummary, days: readonly CalendarDate[], firstOrderAt: string, shopTimeZone: string): number | undefined {
  // Once more than the kept days exist the first two are gone from the list, so the earlier answer stands.
  if (previous.firstRepeatGapDays !== undefined && previous.firstOrderAt === firstOrderAt && days.length >= recentPurchaseDaysKept) {
    return previous.firstRepeatGapDays;
  }
  const firstDay = calendarDateIn(firstOrderAt, shopTimeZone);
  const second = days.find((day) => day > firstDay);
  return second === undefined ? undefined : daysBetween(firstDay, second);
}
