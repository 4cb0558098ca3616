import { type Customer, recentPurchaseDaysKept } from './customer.js';
import { addDays, type CalendarDate, calendarDateIn, daysBetween } from './dates.js';
import { feedbackAnswers } from './feedback.js';
import type { ReportOrder } from './report.js';
import { expectedPurchases } from './scoring/models.js';
import { type CustomerSummary, daysPerUnit, type FittedPurchaseModel } from './scoring/types.js';
import type { ReportedSend } from './sends.js';

/**
 * Churn over time and why customers leave: pure counting over what the report reads (run records, the ledger, the
 * decision log, customer profiles and orders). The use-case reads and classifies; this counts.
 */

// ---------------------------------------------------------------------------------------------------------------------
// Status shares per night, from the run records

/** What the report needs of a run record (`RUN#<asOf>`): the night's counts by status and how it classified. */
export interface NightRecord {
  readonly runId: string;
  readonly asOf: CalendarDate;
  readonly startedAt: string;
  readonly nightAt?: string;
  /** finished, stopped (sending stopped early, the counts are complete), running or failed. */
  readonly status?: string;
  readonly customersScanned: number;
  readonly active: number;
  readonly atRisk: number;
  readonly lost: number;
  readonly noOrders: number;
  readonly scoring?: { readonly used?: 'rule' | 'model'; readonly model?: unknown };
  readonly shopPace?: { readonly secondOrderGapDays: number; readonly measuredOn: number };
  /** Absent on nights run before the warm-up existed. */
  readonly warmUp?: { readonly limit: number; readonly warmingUp: boolean; readonly backlog: number };
}

export interface ChurnNight {
  readonly night: CalendarDate;
  readonly customers: number;
  /** Customers with at least one order: the base the shares are of. */
  readonly withOrders: number;
  readonly active: number;
  readonly atRisk: number;
  readonly lost: number;
  readonly noOrders: number;
  /** Shares of the customers with orders; they add up to 1 (customers who never ordered cannot churn). */
  readonly shares: { readonly active: number; readonly atRisk: number; readonly lost: number };
  /** The rule and the model draw the line differently: a change between nights moves the shares by itself. */
  readonly classifiedBy: 'rule' | 'model';
}

/** The night's run whose counts stand: the latest one that scanned to the end (finished, or stopped sending early). */
export function nightsOfRecord(runs: readonly NightRecord[]): NightRecord[] {
  const byNight = new Map<CalendarDate, NightRecord>();
  for (const run of runs) {
    if (run.status !== undefined && run.status !== 'finished' && run.status !== 'stopped') continue;
    const kept = byNight.get(run.asOf);
    if (!kept || run.startedAt > kept.startedAt) byNight.set(run.asOf, run);
  }
  return [...byNight.values()].sort((a, b) => (a.asOf < b.asOf ? -1 : a.asOf > b.asOf ? 1 : 0));
}

export function churnByNight(runs: readonly NightRecord[]): ChurnNight[] {
  return nightsOfRecord(runs).map((run) => {
    const withOrders = run.active + run.atRisk + run.lost;
    const share = (value: number) => (withOrders > 0 ? value / withOrders : 0);
    return {
      night: run.asOf,
      customers: run.customersScanned,
      withOrders,
      active: run.active,
      atRisk: run.atRisk,
      lost: run.lost,
      noOrders: run.noOrders,
      shares: { active: share(run.active), atRisk: share(run.atRisk), lost: share(run.lost) },
      classifiedBy: run.scoring?.used === 'model' ? 'model' : 'rule',
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// Reactivation

/** A decision log entry (`DECISION#<asOf>#<runId>`) with the customer it belongs to. */
export interface LoggedDecision {
  readonly customerId: string;
  readonly asOf: CalendarDate;
  readonly outcome: string;
  readonly reason?: string;
  readonly campaignId?: string;
}

/**
 * Skip reasons that do not say the customer was at risk or lost that night: the classification's own (never logged,
 * but a log from another version might hold them) and a record that could not be read.
 */
const notLapsedReasons: ReadonlySet<string> = new Set(['active', 'no_orders', 'unreadable_record']);

export type Contact = 'emailed' | 'held_out' | 'not_emailed';
export const contacts: readonly Contact[] = ['emailed', 'held_out', 'not_emailed'];

/** One customer, from the first night in range the nights recorded them as at risk or lost. */
export interface ReactivationUnit {
  readonly customerId: string;
  readonly night: CalendarDate;
  /** The night's instant: orders after it count. */
  readonly from: string;
  /** from + the reactivation window. */
  readonly until: string;
  readonly contact: Contact;
}

/**
 * Every ledger entry is a customer a campaign chose, and every logged skip other than {@link notLapsedReasons} comes
 * after the classification said at risk or lost (the decision's order: classification first). So together they name
 * the customers the nights recorded as lapsed. The contact is the strongest within the window: emailed, else held out.
 */
export function reactivationUnits(
  sends: readonly ReportedSend[],
  decisions: readonly LoggedDecision[],
  instantOf: (night: CalendarDate) => string,
  windowDays: number,
): ReactivationUnit[] {
  const records: { customerId: string; night: CalendarDate; contact: Contact }[] = [
    ...sends.map((send) => ({
      customerId: send.customerId,
      night: send.asOf,
      contact: send.status === 'sent' ? ('emailed' as const) : send.status === 'held_out' ? ('held_out' as const) : ('not_emailed' as const),
    })),
    ...decisions
      .filter((decision) => decision.outcome === 'skipped' && !notLapsedReasons.has(decision.reason ?? ''))
      .map((decision) => ({ customerId: decision.customerId, night: decision.asOf, contact: 'not_emailed' as const })),
  ];
  const first = new Map<string, CalendarDate>();
  for (const record of records) {
    const seen = first.get(record.customerId);
    if (seen === undefined || record.night < seen) first.set(record.customerId, record.night);
  }
  const contactOf = new Map<string, Contact>();
  for (const record of records) {
    const night = first.get(record.customerId)!;
    if (record.night > addDays(night, windowDays)) continue;
    const known = contactOf.get(record.customerId);
    if (known === undefined || contacts.indexOf(record.contact) < contacts.indexOf(known)) contactOf.set(record.customerId, record.contact);
  }
  return [...first].map(([customerId, night]) => {
    const from = instantOf(night);
    return {
      customerId,
      night,
      from,
      until: new Date(Date.parse(from) + windowDays * 86_400_000).toISOString(),
      contact: contactOf.get(customerId) ?? 'not_emailed',
    };
  });
}

export interface ReactivationTally {
  readonly customers: number;
  readonly reactivated: number;
  readonly rate: number;
}

export interface ReactivationNight extends ReactivationTally {
  readonly night: CalendarDate;
  /** false while the window is still open at the end of the data: the rate can still grow. */
  readonly complete: boolean;
}

export interface Reactivation extends ReactivationTally {
  readonly windowDays: number;
  /** Reactivated customers whose order was attributed to a win-back email (its coupon, a click, or the window). */
  readonly wonBack: number;
  readonly byContact: Readonly<Record<Contact, ReactivationTally>>;
  readonly byNight: readonly ReactivationNight[];
}

/**
 * A unit is reactivated by a counted order placed after its night's instant and within the window. `dataEnd` is the
 * latest instant the data covers: a window that ends after it is incomplete.
 */
export function measureReactivation(
  units: readonly ReactivationUnit[],
  ordersOf: (customerId: string) => readonly ReportOrder[],
  attributedOrderIds: ReadonlySet<string>,
  windowDays: number,
  dataEnd: string,
): Reactivation {
  const tally = () => ({ customers: 0, reactivated: 0 });
  const total = tally();
  const byContact = { emailed: tally(), held_out: tally(), not_emailed: tally() };
  const byNight = new Map<CalendarDate, { customers: number; reactivated: number; complete: boolean }>();
  let wonBack = 0;
  for (const unit of units) {
    const orders = ordersOf(unit.customerId).filter((order) => order.counts !== false && order.placedAt > unit.from && order.placedAt <= unit.until);
    const reactivated = orders.length > 0;
    const night = byNight.get(unit.night) ?? { customers: 0, reactivated: 0, complete: unit.until <= dataEnd };
    byNight.set(unit.night, night);
    for (const row of [total, byContact[unit.contact], night]) {
      row.customers += 1;
      if (reactivated) row.reactivated += 1;
    }
    if (orders.some((order) => attributedOrderIds.has(order.orderId))) wonBack += 1;
  }
  const rated = <T extends { customers: number; reactivated: number }>(row: T) => ({ ...row, rate: row.customers > 0 ? row.reactivated / row.customers : 0 });
  return {
    windowDays,
    ...rated(total),
    wonBack,
    byContact: { emailed: rated(byContact.emailed), held_out: rated(byContact.held_out), not_emailed: rated(byContact.not_emailed) },
    byNight: [...byNight].sort(([a], [b]) => (a < b ? -1 : 1)).map(([night, row]) => ({ night, ...rated(row) })),
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Calibration: predicted against actual repeat purchases

/**
 * The customer's model summary as it stood on `night` (before that day's purchases), rebuilt from the purchase days
 * the profile keeps: x counts the distinct purchase days before the night after the first, t_x and T are measured
 * from the first purchase day in days, as the night itself measures them. Undefined when the customer had not bought
 * yet, or when the kept days no longer reach back to the night (more than {@link recentPurchaseDaysKept} purchase days
 * since), so the count before it cannot be known.
 */
export function summaryAsOf(customer: Customer, night: CalendarDate, shopTimeZone: string): CustomerSummary | undefined {
  const { summary } = customer;
  if (!summary.firstOrderAt || summary.purchaseDays === 0) return undefined;
  return summaryFrom(customer, night, calendarDateIn(summary.firstOrderAt, shopTimeZone));
}

/** {@link summaryAsOf} from the customer's first purchase day in the shop's time zone, worked out by the caller. */
function summaryFrom(customer: Customer, night: CalendarDate, firstDay: CalendarDate): CustomerSummary | undefined {
  const { summary } = customer;
  if (firstDay >= night) return undefined;
  const days = summary.recentPurchaseDays;
  const complete = days.length < recentPurchaseDaysKept || (days[0] !== undefined && days[0] < night);
  if (!complete) return undefined;
  const before = days.filter((day) => day < night);
  const x = summary.purchaseDays - 1 - (days.length - before.length);
  if (x < 0) return undefined;
  const lastDay = before.at(-1) ?? firstDay;
  return { x, tx: x === 0 ? 0 : Math.max(0, daysBetween(firstDay, lastDay)), T: daysBetween(firstDay, night) };
}

// The report calibrates up to a dozen nights per profile as it passes, and formatting an instant in a time zone is
// most of what a calibration costs: the day of the instant last formatted is kept for the nights after.
let lastFirstDay: { readonly instant: string; readonly timeZone: string; readonly day: CalendarDate } | undefined;

function firstPurchaseDay(firstOrderAt: string, shopTimeZone: string): CalendarDate {
  if (lastFirstDay?.instant === firstOrderAt && lastFirstDay.timeZone === shopTimeZone) return lastFirstDay.day;
  const day = calendarDateIn(firstOrderAt, shopTimeZone);
  lastFirstDay = { instant: firstOrderAt, timeZone: shopTimeZone, day };
  return day;
}

/** Distinct purchase days in [from, from + days): the repeat purchases the model predicts. */
export function purchaseDaysBetween(customer: Customer, from: CalendarDate, days: number): number {
  const until = addDays(from, days);
  return customer.summary.recentPurchaseDays.filter((day) => day >= from && day < until).length;
}

/** Prior repeat purchase days, the classic axis of a BTYD calibration plot; 7 and more share the last bin. */
export const calibrationBins = ['0', '1', '2', '3', '4', '5', '6', '7+'] as const;
export type CalibrationBin = (typeof calibrationBins)[number];

export interface CalibrationRow {
  readonly customers: number;
  /** Sum of the model's expected purchase days over the horizon. */
  readonly predicted: number;
  readonly actual: number;
}

export interface CalibrationNight extends CalibrationRow {
  readonly night: CalendarDate;
  readonly model: string;
  readonly horizonDays: number;
  /** Customers whose history before the night could not be rebuilt (see {@link summaryAsOf}). */
  readonly skipped: number;
  /** predicted / actual - 1: 0.1 means the model expected 10% more purchases than happened; null without any. */
  readonly error: number | null;
  readonly bins: readonly (CalibrationRow & { readonly bin: CalibrationBin })[];
}

/** A night's calibration, fed one customer at a time so the report never holds the whole base. */
export interface NightCalibration {
  add(customer: Customer): void;
  finish(): CalibrationNight;
}

/**
 * The night's stored model against what the customers then did: for every customer who had bought before the night,
 * the expected number of purchase days over the horizon (in the model's time unit) against the purchase days that
 * followed, summed, and by number of prior repeat purchase days.
 */
export function nightCalibration(model: FittedPurchaseModel, night: CalendarDate, horizonDays: number, shopTimeZone: string): NightCalibration {
  const unit = daysPerUnit(model.timeUnit);
  const bins = calibrationBins.map((bin) => ({ bin, customers: 0, predicted: 0, actual: 0 }));
  let skipped = 0;
  const horizonEnd = addDays(night, horizonDays);
  return {
    add(customer) {
      const { firstOrderAt } = customer.summary;
      if (customer.summary.purchaseDays === 0 || !firstOrderAt) return;
      const firstDay = firstPurchaseDay(firstOrderAt, shopTimeZone);
      if (firstDay >= night) return;
      const summary = summaryFrom(customer, night, firstDay);
      if (!summary) {
        skipped += 1;
        return;
      }
      const predicted = expectedPurchases(model, { x: summary.x, tx: summary.tx / unit, T: summary.T / unit }, horizonDays / unit);
      if (!Number.isFinite(predicted)) {
        skipped += 1;
        return;
      }
      const row = bins[Math.min(summary.x, bins.length - 1)]!;
      row.customers += 1;
      row.predicted += predicted;
      row.actual += customer.summary.recentPurchaseDays.filter((day) => day >= night && day < horizonEnd).length;
    },
    finish() {
      const sum = (key: 'customers' | 'predicted' | 'actual') => bins.reduce((total, row) => total + row[key], 0);
      const predicted = sum('predicted');
      const actual = sum('actual');
      return {
        night,
        model: model.model,
        horizonDays,
        customers: sum('customers'),
        skipped,
        predicted,
        actual,
        error: actual > 0 ? predicted / actual - 1 : null,
        bins,
      };
    },
  };
}

/** {@link nightCalibration} over customers already at hand. */
export function calibrateNight(
  model: FittedPurchaseModel,
  night: CalendarDate,
  horizonDays: number,
  customers: Iterable<Customer>,
  shopTimeZone: string,
): CalibrationNight {
  const calibration = nightCalibration(model, night, horizonDays, shopTimeZone);
  for (const customer of customers) calibration.add(customer);
  return calibration.finish();
}

/**
 * Which model nights to calibrate: each needs at least a day of history after it, and at most `limit` are taken,
 * spread evenly from the first to the last so the trend as history accumulates stays visible without scoring the
 * whole base once per night.
 */
export function calibrationNights(nights: readonly CalendarDate[], dataEnd: CalendarDate, limit: number): CalendarDate[] {
  const eligible = [...new Set(nights)].filter((night) => daysBetween(night, dataEnd) >= 1).sort();
  if (eligible.length <= limit) return eligible;
  const picked = new Set<CalendarDate>();
  for (let index = 0; index < limit; index += 1) picked.add(eligible[Math.round((index * (eligible.length - 1)) / (limit - 1))]!);
  return [...picked].sort();
}

// ---------------------------------------------------------------------------------------------------------------------
// Why customers leave

export interface FeedbackComment {
  readonly at: string;
  readonly night: CalendarDate;
  readonly campaignId: string;
  readonly answer: string;
  readonly comment: string;
}

export interface FeedbackDistribution {
  /** Every answer code, in the survey's order, with its label and count (0 included, so charts keep their axis). */
  readonly answers: readonly { readonly answer: string; readonly label: string; readonly count: number }[];
  readonly total: number;
  readonly byCampaign: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** By the night of the email that was answered. */
  readonly byNight: readonly { readonly night: CalendarDate; readonly total: number; readonly answers: Readonly<Record<string, number>> }[];
  /** Newest first. Plain text as the customer wrote it (cleaned when recorded): render it as text, never as HTML. */
  readonly comments: readonly FeedbackComment[];
}

/** Survey answers on the ledger entries: every one came from a win-back email, so from an at-risk or lost customer. */
export function feedbackDistribution(sends: readonly ReportedSend[], commentLimit: number): FeedbackDistribution {
  const counts = new Map<string, number>();
  const byCampaign: Record<string, Record<string, number>> = {};
  const byNight = new Map<CalendarDate, Record<string, number>>();
  const comments: FeedbackComment[] = [];
  for (const send of sends) {
    const feedback = send.feedback;
    if (!feedback) continue;
    counts.set(feedback.answer, (counts.get(feedback.answer) ?? 0) + 1);
    bump((byCampaign[send.campaignId] ??= {}), feedback.answer);
    bump(byNight.get(send.asOf) ?? byNight.set(send.asOf, {}).get(send.asOf)!, feedback.answer);
    if (feedback.comment) comments.push({ at: feedback.at, night: send.asOf, campaignId: send.campaignId, answer: feedback.answer, comment: feedback.comment });
  }
  const known = feedbackAnswers.map(({ code, label }) => ({ answer: code as string, label: label as string, count: counts.get(code) ?? 0 }));
  const unknown = [...counts]
    .filter(([answer]) => !feedbackAnswers.some((known) => known.code === answer))
    .map(([answer, count]) => ({ answer, label: answer, count }));
  return {
    answers: [...known, ...unknown],
    total: [...counts.values()].reduce((sum, value) => sum + value, 0),
    byCampaign,
    byNight: [...byNight]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([night, answers]) => ({ night, total: Object.values(answers).reduce((sum, value) => sum + value, 0), answers })),
    comments: comments.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, commentLimit),
  };
}

/** Customers counted once per group, with each reason code they carry (a customer can carry several). */
export interface ReasonTally {
  readonly customers: number;
  /** Customers with no data-derived reason (e.g. simply overdue by the model but not by their own cadence). */
  readonly withoutReason: number;
  readonly codes: Readonly<Record<string, number>>;
}

export interface ReasonObservation {
  readonly status: 'at_risk' | 'lost';
  readonly reasonCodes: readonly string[];
}

export type ReasonTallies = ReasonTally & { readonly byStatus: Readonly<Record<'at_risk' | 'lost', ReasonTally>> };

/** Reason tallies fed one observation at a time, so "now" can count the whole base as it streams past. */
export interface ReasonCounter {
  add(observation: ReasonObservation): void;
  finish(): ReasonTallies;
}

export function reasonCounter(): ReasonCounter {
  const fresh = () => ({ customers: 0, withoutReason: 0, codes: {} as Record<string, number> });
  const total = fresh();
  const byStatus = { at_risk: fresh(), lost: fresh() };
  return {
    add(observation) {
      for (const row of [total, byStatus[observation.status]]) {
        row.customers += 1;
        if (observation.reasonCodes.length === 0) row.withoutReason += 1;
        for (const code of new Set(observation.reasonCodes)) bump(row.codes, code);
      }
    },
    finish: () => ({ ...total, byStatus }),
  };
}

export function tallyReasons(observations: Iterable<ReasonObservation>): ReasonTallies {
  const counter = reasonCounter();
  for (const observation of observations) counter.add(observation);
  return counter.finish();
}

/** Whether the customer's purchases are as they were on the night: no order since its instant. */
export function unchangedSince(customer: Customer, instant: string): boolean {
  return !customer.summary.lastOrderAt || customer.summary.lastOrderAt <= instant;
}

function bump(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}
