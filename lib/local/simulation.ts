import { createHash } from 'node:crypto';
import { en, Faker } from '@faker-js/faker';
import type { CampaignConfig } from '../config/campaign-config.js';
import { classify, type ShopPace } from '../domain/classification.js';
import type { Customer } from '../domain/customer.js';
import { addDays, type CalendarDate, instantAt, toEpochDay } from '../domain/dates.js';
import { feedbackAnswers } from '../domain/feedback.js';
import { minorDigits } from '../domain/money.js';
import { type ResponseType, responseProbabilities, responseTypeOf } from './response-types.js';
import type { SimulatedEvent } from './ses-event-envelopes.js';

/**
 * What customers do the day after a night, for `winback simulate`: the planning only, no I/O. Every draw comes from a
 * Faker stream seeded with (seed, kind, night, customer), as the demo shop does, so a plan depends on the seed and
 * the data alone: not on the order in which customers are read, nor on SES's random message ids.
 *
 * Timeline: the night of day d runs after the shop's day d; its mail lands early on d+1 (06:00-06:59 shop time), and
 * the day's reactions follow from 07:00 with an evening peak. Orders come 1-6 days later, active customers' orders on d+1.
 */
export const responseRates = {
  /** Of the emails sent; the remaining 0.5% get no event yet (still delayed). */
  delivered: 0.97,
  permanentBounce: 0.015,
  transientBounce: 0.01,
  /** The rest are of the delivered emails. */
  // Good senders see 0.01-0.05% complaints; 0.1% would be SES's own review level.
  complained: 0.0003,
  opened: 0.35,
  clicked: 0.08,
  unsubscribed: 0.005,
  answeredFeedback: 0.015,
  /**
   * Buying again within `orderAfterDays` is the customer's own known response (response-types.ts: persuadable, sure
   * thing, lost cause, do-not-disturb), emailed or not: so uplift targeting can be checked against the truth. A click
   * does not change the chance, only the moment (after the click) and the attribution.
   */
  /** Of the emailed customers who buy: how many type in the campaign's coupon code. */
  couponAfterClick: 0.7,
  couponOtherwise: 0.4,
  orderAfterDays: { min: 1, max: 6 },
} as const;

/**
 * The offer text is free prose ("10% off", "20% off"), not a number the config states; the simulator gives every
 * redeemed coupon this discount.
 */
export const simulatedCouponPercent = 10;

export type Cohort = 'emailed' | 'comparable' | 'active';

/** One email the night sent, with what the simulator needs to react to it like a person would. */
export interface EmailedCustomer {
  readonly customer: Customer;
  readonly messageId: string;
  readonly recipient: string;
  readonly campaignId: string;
  readonly offerCode?: string;
  /** The SES EmailTags the send carried; SES echoes them in every event. */
  readonly tags: Readonly<Record<string, string>>;
  readonly unsubscribeUrl?: string;
  /** Answer code -> the signed link in the email. */
  readonly feedbackUrls: ReadonlyMap<string, string>;
}

export interface ActiveCustomer {
  readonly customer: Customer;
  readonly expectedGapDays: number;
}

export interface PlannedLine {
  readonly id: string;
  readonly title: string;
  readonly sku?: string;
  readonly quantity: number;
  readonly priceMinor: number;
}

export interface PlannedOrder {
  readonly cohort: Cohort;
  readonly customer: Customer;
  readonly placedAt: Date;
  /** Digits above 2^53, as Shopify's are. */
  readonly orderId: string;
  readonly webhookId: string;
  readonly lineItems: readonly PlannedLine[];
  readonly discount?: { readonly code: string; readonly percent: number };
}

export interface PlannedUnsubscribe {
  readonly customerId: string;
  readonly url: string;
  readonly at: Date;
}

export interface PlannedFeedback {
  readonly customerId: string;
  readonly url: string;
  readonly answer: string;
  readonly comment?: string;
  readonly at: Date;
}

export interface NightPlan {
  readonly night: CalendarDate;
  /** In time order. */
  readonly sesEvents: readonly SimulatedEvent[];
  readonly unsubscribes: readonly PlannedUnsubscribe[];
  readonly feedback: readonly PlannedFeedback[];
  /** In time order; a customer's orders keep their order. */
  readonly orders: readonly PlannedOrder[];
}

export interface NightInput {
  readonly night: CalendarDate;
  readonly seed: number;
  readonly shopTimeZone: string;
  readonly currency: string;
  readonly emailed: readonly EmailedCustomer[];
  /** Comparable customers who were not emailed, each drawn once over the whole simulation. */
  readonly comparable: readonly Customer[];
  readonly active: readonly ActiveCustomer[];
}

export interface NightCohorts {
  readonly comparable: Customer[];
  readonly active: ActiveCustomer[];
}

/**
 * Splits the customers of a night into the two groups that buy without an email: at-risk and lost customers who were
 * never emailed (skipped for consent, window, threshold ... : the comparison group, each drawn once, on the first
 * night they qualify) and active customers, who keep buying at their own pace.
 */
export function nightCohorts(
  customers: readonly Customer[],
  night: CalendarDate,
  pace: ShopPace,
  config: CampaignConfig,
  alreadyDrawn: ReadonlySet<string>,
  emailedTonight: ReadonlySet<string>,
): NightCohorts {
  const comparable: Customer[] = [];
  const active: ActiveCustomer[] = [];
  for (const customer of customers) {
    if (emailedTonight.has(customer.customerId)) continue;
    const classification = classify(customer, night, pace, config.classification, config.shop.timeZone);
    if (classification.status === 'active' && classification.expectedGapDays !== undefined) {
      active.push({ customer, expectedGapDays: classification.expectedGapDays });
    } else if ((classification.status === 'at_risk' || classification.status === 'lost') && !customer.lastEmailedAt && !alreadyDrawn.has(customer.customerId)) {
      comparable.push(customer);
    }
  }
  const byId = (a: { customerId: string }, b: { customerId: string }) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0);
  comparable.sort(byId);
  active.sort((a, b) => byId(a.customer, b.customer));
  return { comparable, active };
}

// Independent random streams per kind of draw, as the demo shop keeps its catalogue and customers apart.
const streams = { emailed: 11, comparable: 12, active: 13 } as const;

/** The responses to one night: SES events, unsubscribes, feedback answers and orders, all timed. */
export function planNight(input: NightInput): NightPlan {
  const faker = new Faker({ locale: [en] });
  const day = toEpochDay(input.night);
  const nextDay = addDays(input.night, 1);
  const context = { faker, input };
  const sesEvents: SimulatedEvent[] = [];
  const unsubscribes: PlannedUnsubscribe[] = [];
  const feedback: PlannedFeedback[] = [];
  const orders: PlannedOrder[] = [];

  for (const email of input.emailed) {
    faker.seed([input.seed, streams.emailed, day, ...customerWords(email.customer.customerId)]);
    const event = (type: SimulatedEvent['type'], at: Date, extra: Partial<SimulatedEvent> = {}) =>
      sesEvents.push({ type, messageId: email.messageId, recipient: email.recipient, at, tags: email.tags, ...extra });
    const landed = at(context, nextDay, 6 * 60 + faker.number.int({ min: 0, max: 59 }));
    const fate = faker.number.float();
    if (fate < responseRates.permanentBounce) {
      event('Bounce', landed, { bounceType: 'Permanent' });
      continue; // an address that does not exist buys nothing through it
    }
    const response = responseProbabilities[simulatedResponseType(email.customer, input.night)];
    if (fate < responseRates.permanentBounce + responseRates.transientBounce) {
      event('Bounce', landed, { bounceType: 'Transient' });
      maybeOrder(context, orders, 'emailed', email.customer, response.notEmailed, undefined);
      continue;
    }
    if (fate >= responseRates.permanentBounce + responseRates.transientBounce + responseRates.delivered) {
      maybeOrder(context, orders, 'emailed', email.customer, response.notEmailed, undefined);
      continue; // no event has arrived yet
    }
    event('Delivery', landed);
    const openedAt = chance(faker, responseRates.opened) ? at(context, nextDay, readingMinute(faker)) : undefined;
    if (openedAt) event('Open', openedAt);
    // Every click comes from an opened email, so P(click | open) keeps clicks at their share of the delivered.
    const clickedAt = openedAt && chance(faker, responseRates.clicked / responseRates.opened) ? later(faker, openedAt, 0, 20) : undefined;
    if (clickedAt) event('Click', clickedAt, { link: shopLink(email.campaignId) });
    const seenAt = openedAt ?? at(context, nextDay, readingMinute(faker));
    if (chance(faker, responseRates.complained)) {
      event('Complaint', later(faker, seenAt, 1, 30));
      continue;
    }
    if (email.unsubscribeUrl && chance(faker, responseRates.unsubscribed)) {
      unsubscribes.push({ customerId: email.customer.customerId, url: email.unsubscribeUrl, at: later(faker, seenAt, 1, 15) });
      continue;
    }
    if (email.feedbackUrls.size > 0 && chance(faker, responseRates.answeredFeedback)) {
      const answer = faker.helpers.weightedArrayElement(feedbackMix.filter((option) => email.feedbackUrls.has(option.value)));
      const comment = answer === 'other' || chance(faker, 0.5) ? faker.helpers.arrayElement(feedbackComments[answer] ?? feedbackComments.other!) : undefined;
      feedback.push({
        customerId: email.customer.customerId,
        url: email.feedbackUrls.get(answer)!,
        answer,
        ...(comment ? { comment } : {}),
        at: later(faker, seenAt, 2, 30),
      });
    }
    const coupon = email.offerCode ? { code: email.offerCode, share: clickedAt ? responseRates.couponAfterClick : responseRates.couponOtherwise } : undefined;
    maybeOrder(context, orders, 'emailed', email.customer, response.emailed, coupon, clickedAt);
  }

  for (const customer of input.comparable) {
    faker.seed([input.seed, streams.comparable, day, ...customerWords(customer.customerId)]);
    maybeOrder(context, orders, 'comparable', customer, responseProbabilities[simulatedResponseType(customer, input.night)].notEmailed, undefined);
  }

  for (const { customer, expectedGapDays } of input.active) {
    faker.seed([input.seed, streams.active, day, ...customerWords(customer.customerId)]);
    if (!chance(faker, Math.min(1, 1 / expectedGapDays))) continue;
    orders.push(order(context, 'active', customer, at(context, nextDay, shoppingMinute(faker)), undefined));
  }

  const byTime = <T extends { at: Date }>(a: T, b: T) => a.at.getTime() - b.at.getTime();
  return {
    night: input.night,
    sesEvents: sesEvents.sort(byTime),
    unsubscribes: unsubscribes.sort(byTime),
    feedback: feedback.sort(byTime),
    orders: orders.sort((a, b) => a.placedAt.getTime() - b.placedAt.getTime() || (a.orderId < b.orderId ? -1 : 1)),
  };
}

/** A simulated customer's known response, from what the shop can see of them (see response-types.ts). */
export function simulatedResponseType(customer: Customer, night: CalendarDate): ResponseType {
  const { summary } = customer;
  const recencyDays = summary.lastOrderAt ? Math.max(0, toEpochDay(night) - toEpochDay(summary.lastOrderAt.slice(0, 10))) : 365;
  const discountOnly = (summary.orderCount >= 2 && (summary.couponOrders ?? 0) === summary.orderCount) || customer.consent.source === 'complaint';
  return responseTypeOf(customer.customerId, { recencyDays, orders: summary.orderCount, discountOnly });
}

interface PlanContext {
  readonly faker: Faker;
  readonly input: NightInput;
}

function maybeOrder(
  context: PlanContext,
  orders: PlannedOrder[],
  cohort: Cohort,
  customer: Customer,
  probability: number,
  coupon: { code: string; share: number } | undefined,
  notBefore?: Date,
): void {
  const { faker } = context;
  if (!chance(faker, probability)) return;
  const afterDays = faker.number.int(responseRates.orderAfterDays);
  let placedAt = at(context, addDays(context.input.night, afterDays), shoppingMinute(faker));
  // Someone who clicked and buys the same day buys after the click.
  if (notBefore && placedAt < notBefore) placedAt = later(faker, notBefore, 5, 90);
  const discount = coupon && chance(faker, coupon.share) ? { code: coupon.code, percent: simulatedCouponPercent } : undefined;
  orders.push(order(context, cohort, customer, placedAt, discount));
}

// Simulated ids sit in their own ranges, far from the demo shop's (10^18 + ...) and below 2^63 as Shopify's are.
const firstSimulatedOrderId = 6_000_000_000_000_000_000n;
const firstSimulatedLineItemId = 7_000_000_000_000_000_000n;
const orderIdSpace = 1_000_000_000_000_000; // < 2^53, so one draw gives it exactly

function order(context: PlanContext, cohort: Cohort, customer: Customer, placedAt: Date, discount: PlannedOrder['discount']): PlannedOrder {
  const { faker, input } = context;
  const key = BigInt(faker.number.int({ min: 0, max: orderIdSpace - 1 }));
  const titles = customer.summary.lastProducts.length > 0 ? customer.summary.lastProducts : ['Gift box'];
  const lines = faker.helpers.arrayElements(titles, { min: 1, max: Math.min(3, titles.length) });
  const targetMinor = customer.summary.averageOrderValueMinor > 0 ? customer.summary.averageOrderValueMinor : 25 * 10 ** minorDigits(input.currency);
  const lineItems = lines.map((title, index) => ({
    id: (firstSimulatedLineItemId + key * 4n + BigInt(index)).toString(),
    title,
    quantity: chance(faker, 0.25) ? 2 : 1,
    priceMinor: shopPrice(faker, (targetMinor / lines.length) * faker.number.float({ min: 0.7, max: 1.3 }), input.currency),
  }));
  return {
    cohort,
    customer,
    placedAt,
    orderId: (firstSimulatedOrderId + key).toString(),
    webhookId: faker.string.uuid(),
    lineItems,
    ...(discount ? { discount } : {}),
  };
}

/** Shop prices end in .95 or .99, as the demo catalogue's do; currencies without cents keep whole units. */
function shopPrice(faker: Faker, aroundMinor: number, currency: string): number {
  const digits = minorDigits(currency);
  const unit = 10 ** digits;
  const whole = Math.max(2, Math.round(aroundMinor / unit));
  return digits >= 2 ? whole * unit - faker.helpers.arrayElement([1, 5]) * 10 ** (digits - 2) : whole * unit;
}

/** Four words of the customer id's hash: ids are strings above 2^53, and a seed wants 32-bit numbers. */
function customerWords(customerId: string): number[] {
  const digest = createHash('sha256').update(customerId).digest();
  return [0, 4, 8, 12].map((offset) => digest.readUInt32BE(offset));
}

function chance(faker: Faker, probability: number): boolean {
  return faker.number.float() < probability;
}

/** Shop-local hour of a purchase: quiet mornings, a lunch bump and an evening peak (as in the demo shop). */
const shoppingHourMix = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22].map((hour) => ({
  value: hour,
  weight: hour >= 19 && hour <= 21 ? 10 : hour === 12 || hour === 13 ? 7 : hour < 9 ? 2 : 5,
}));
/** Mail is read earlier than carts are filled: a morning peak over breakfast and commute, then lunch and evening. */
const readingHourMix = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22].map((hour) => ({
  value: hour,
  weight: hour >= 7 && hour <= 9 ? 10 : hour === 12 || hour === 13 ? 7 : hour >= 19 && hour <= 21 ? 6 : 3,
}));

const shoppingMinute = (faker: Faker) => faker.helpers.weightedArrayElement(shoppingHourMix) * 60 + faker.number.int({ min: 0, max: 59 });
const readingMinute = (faker: Faker) => faker.helpers.weightedArrayElement(readingHourMix) * 60 + faker.number.int({ min: 0, max: 59 });

/** The instant of a wall-clock minute of a day in the shop's time zone, with random seconds. */
function at(context: PlanContext, date: CalendarDate, minuteOfDay: number): Date {
  return new Date(instantAt(date, minuteOfDay, context.input.shopTimeZone).getTime() + context.faker.number.int({ min: 0, max: 59 }) * 1000);
}

function later(faker: Faker, from: Date, minMinutes: number, maxMinutes: number): Date {
  return new Date(from.getTime() + faker.number.int({ min: minMinutes * 60, max: maxMinutes * 60 }) * 1000);
}

function shopLink(campaignId: string): string {
  return `https://shop.example/?utm_source=winback&utm_medium=email&utm_campaign=${encodeURIComponent(campaignId)}`;
}

/** Why people say they stopped: price and "no longer need it" lead, as in most churn surveys. */
const feedbackMix = feedbackAnswers.map((answer) => ({
  value: answer.code as string,
  weight: { prices: 30, quality: 10, delivery: 15, found_better: 20, no_longer_need: 20, other: 5 }[answer.code],
}));

const feedbackComments: Record<string, readonly string[]> = {
  prices: ['Shipping got too expensive for small orders.', 'Found the same for less elsewhere.', 'Te duur geworden, helaas.'],
  quality: ['The last order arrived damaged.', 'Not the quality it used to be.'],
  delivery: ['Took almost two weeks to arrive.', 'Lieferung kam zu spät.', 'The parcel went to the wrong address twice.'],
  found_better: ['A shop closer to home has it now.', 'Switched to a subscription elsewhere.'],
  no_longer_need: ['Moved house, no room for more.', 'Bought what I needed for a while.'],
  other: ['Just busy, nothing wrong with the shop!', 'I forgot about you — glad for the reminder 🙂', 'Was saving up for the holidays.'],
};

/**
 * The links a person can act on in an email as the local SES stored it: the RFC 8058 `List-Unsubscribe` URL and the
 * feedback answers in the text body (`- Prices: https://.../feedback/TOKEN?answer=prices`).
 */
export function emailLinks(email: { headers?: readonly { name: string; value: string }[]; body?: { text?: string } }): {
  unsubscribeUrl?: string;
  feedbackUrls: Map<string, string>;
} {
  const header = email.headers?.find((candidate) => candidate.name.toLowerCase() === 'list-unsubscribe')?.value;
  const unsubscribeUrl = header ? /<(https?:\/\/[^>]+)>/.exec(header)?.[1] : undefined;
  const feedbackUrls = new Map<string, string>();
  for (const match of (email.body?.text ?? '').matchAll(/https?:\/\/\S+\/feedback\/[^\s?]+\?answer=([a-z_]+)/g)) {
    feedbackUrls.set(match[1]!, match[0]);
  }
  return { ...(unsubscribeUrl ? { unsubscribeUrl } : {}), feedbackUrls };
}
