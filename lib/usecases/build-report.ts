import pLimit from 'p-limit';
import { parseCampaignConfig, type CampaignConfig } from '../config/campaign-config.js';
import { classify, classifyWithModel, type Classification } from '../domain/classification.js';
import type { Customer } from '../domain/customer.js';
import { addDays, daysBetween, instantAt, type CalendarDate } from '../domain/dates.js';
import {
  guardVerdict,
  guardWindow,
  measureDeliverability,
  scopeKey,
  type DeliverabilityRates,
  type DeliverabilitySettings,
  type PauseRecord,
  type PauseScope,
} from '../domain/deliverability.js';
import { parseDecimalAmount, toDecimalString } from '../domain/money.js';
import {
  campaignMetrics,
  defaultMinConversions,
  emptyMetrics,
  groupOutcome,
  liftUnits,
  measureLift,
  unitOutcome,
  type CampaignMetrics,
  type DiscountEstimate,
  type GroupOutcome,
  type Lift,
  type LiftUnit,
  type Metrics,
  type ReportOrder,
  type UnitOutcome,
  type Verdict,
} from '../domain/report.js';
import {
  calibrationNights,
  churnByNight,
  feedbackDistribution,
  measureReactivation,
  nightCalibration,
  nightsOfRecord,
  reactivationUnits,
  reasonCounter,
  tallyReasons,
  unchangedSince,
  type CalibrationNight,
  type ChurnNight,
  type FeedbackDistribution,
  type NightRecord,
  type Reactivation,
  type ReactivationUnit,
  type ReasonObservation,
  type ReasonTallies,
  type ReasonTally,
} from '../domain/report-churn.js';
import { isPurchaseModel, parseFittedModel } from '../domain/scoring/models.js';
import type { FittedGammaGamma, FittedPurchaseModel } from '../domain/scoring/types.js';
import type { ReportedSend } from '../domain/sends.js';
import { ledgerUnits } from '../domain/uplift/ledger-training.js';
import { campaignUpliftReport, type CampaignUpliftReport, type NightTargeting } from '../domain/uplift/uplift-report.js';
import type { CampaignConfigStore } from '../ports/campaign-configs.js';
import type { Clock } from '../ports/clock.js';
import type { ReportRecords, ReportSource } from '../ports/report-source.js';
import { NoCampaignConfigError } from './run-night.js';

export interface ReportDependencies {
  readonly source: ReportSource;
  readonly configs: Pick<CampaignConfigStore, 'latest' | 'pauses'>;
  readonly clock: Clock;
}

export interface ReportOptions {
  /** Nights (the ledger's asOf) from and to, inclusive, YYYY-MM-DD; absent means from the first or to the last. */
  readonly from?: CalendarDate;
  readonly to?: CalendarDate;
  readonly campaignId?: string;
  /** What a free-shipping redemption is taken to cost, as a decimal amount in the shop's currency (default "0"). */
  readonly freeShippingEstimate?: string;
  readonly minConversions?: number;
  /** Days after the night a lapsed customer's order counts as a reactivation (default 30). */
  readonly reactivationDays?: number;
  /** The longest horizon over which a night's model is compared with what followed (default 90 days). */
  readonly calibrationDays?: number;
  /** At most this many model nights are calibrated, spread over the range (default 12). */
  readonly calibrationNights?: number;
  /** Feedback comments listed, newest first (default 200). */
  readonly commentLimit?: number;
  /** Parallel order reads. */
  readonly concurrency?: number;
}

/** Counts as JSON numbers, money as exact decimal strings with the minor units beside them. */
export interface MetricsView {
  readonly eligible: number;
  readonly heldOut: number;
  readonly sent: number;
  readonly scheduled: number;
  readonly failed: number;
  /** Reserved but never confirmed: SES may have sent them; never resent. */
  readonly unconfirmed: number;
  /** Never sent: the shop's platform did not confirm the coupon code in time (docs/coupons.md). */
  readonly couponUnavailable: number;
  readonly delivered: number;
  readonly bounced: number;
  readonly complained: number;
  readonly opened: number;
  readonly clicked: number;
  readonly unsubscribed: number;
  /** Attributed orders (coupon, click, or the latest email within the attribution window). */
  readonly conversions: number;
  readonly revenue: string;
  readonly revenueMinor: number;
  readonly discountCost: string;
  readonly discountCostMinor: number;
  readonly couponRedemptions: number;
  readonly freeShippingRedemptions: number;
}

export interface GroupView {
  readonly customers: number;
  readonly converted: number;
  readonly rate: number;
  readonly orders: number;
  readonly revenue: string;
  readonly revenueMinor: number;
}

export interface LiftView {
  readonly absolute: number | null;
  readonly relative: number | null;
  readonly ci95: [number, number] | null;
  readonly relativeCi95: [number, number] | null;
  readonly method: string;
  readonly incrementalOrders: number | null;
  readonly incrementalRevenue: { readonly gross: string; readonly discountCost: string; readonly net: string; readonly netMinor: number } | null;
}

export interface DeliverabilityView {
  readonly windowDays: number;
  /** The nights measured; sends before `resumedAt` (an explicit resume) do not count. */
  readonly firstNight: CalendarDate;
  readonly lastNight: CalendarDate;
  readonly resumedAt?: string;
  readonly sent: number;
  readonly bounced: number;
  readonly complained: number;
  readonly bounceRate: number;
  readonly complaintRate: number;
  readonly thresholds: { readonly bounceRatePause: number; readonly complaintRatePause: number; readonly minVolume: number };
  /** paused: a pause is in force; over_threshold: the next night will pause it; below_min_volume: too few sends to judge. */
  readonly state: 'ok' | 'below_min_volume' | 'over_threshold' | 'paused';
  readonly resumed?: { readonly at: string; readonly by: string };
}

export interface PauseView {
  /** `shop` when all sending is paused, which pauses every campaign too. */
  readonly scope: 'shop' | 'campaign';
  readonly at: string;
  readonly reason: string;
  readonly reasons: readonly string[];
  readonly rates: DeliverabilityRates;
}

export interface CampaignReport extends MetricsView {
  readonly id: string;
  readonly name?: string;
  /** false for a campaign that has ledger entries but is no longer in the config. */
  readonly inConfig: boolean;
  readonly enabled?: boolean;
  readonly treated: GroupView;
  readonly holdout: GroupView;
  readonly lift: LiftView;
  readonly verdict: Verdict;
  readonly deliverability: DeliverabilityView;
  /** Present while the campaign does not send: its own pause, or the shop's (all sending). */
  readonly paused?: PauseView;
  readonly byVariant: readonly (MetricsView & { readonly variant: string; readonly treated?: GroupView; readonly lift?: LiftView; readonly verdict?: Verdict })[];
  readonly byStep: readonly (MetricsView & { readonly step: number; readonly delayDays?: number })[];
  readonly byNight: readonly (MetricsView & { readonly night: CalendarDate })[];
  /**
   * Uplift targeting and offer sizing (docs/uplift.md): present for a campaign under `targeting: "uplift"` or
   * `allocation: "thompson"`, or whose ledger entries carry decision features.
   */
  readonly uplift?: UpliftView;
}

export interface UpliftView extends CampaignUpliftReport {
  readonly targeting: 'everyone' | 'uplift';
  readonly allocation: 'fixed' | 'thompson';
  readonly marginSaved: string;
  readonly discountSaved: string;
}

export interface Report {
  readonly generatedAt: string;
  readonly configVersion: number;
  readonly range: { readonly from: CalendarDate | null; readonly to: CalendarDate | null; readonly nights: number };
  readonly attributionWindowDays: number;
  readonly shop: {
    readonly name: string;
    readonly currency: string;
    readonly locale: string;
    readonly timeZone: string;
    readonly deliverability: DeliverabilityView;
    readonly paused?: PauseView;
  };
  readonly campaigns: readonly CampaignReport[];
  /** The whole shop over the nights in range (not narrowed by --campaign). */
  readonly churn: ChurnView;
  readonly reasons: ReasonsView;
  readonly notes: Readonly<Record<'opened' | 'conversions' | 'lift' | 'discountCost' | 'deliverability' | 'churn' | 'reactivation' | 'calibration' | 'reasons', string>>;
}

export interface ChurnView {
  /** Per night with a run record: customers by status and the shares of the customers with orders. */
  readonly nights: readonly ChurnNight[];
  readonly reactivation: Reactivation;
  readonly calibration: {
    readonly maxHorizonDays: number;
    /** The nights whose stored model was compared with what followed; empty while every night used the rule. */
    readonly nights: readonly CalibrationNight[];
  };
}

export interface ReasonGroup extends ReasonTally {
  /** Customers chosen whose purchases are no longer those of that night: they ordered since (their reasons are moot). */
  readonly orderedSince: number;
}

export interface ReasonsView {
  readonly feedback: FeedbackDistribution;
  readonly codes: {
    /** Every customer at risk or lost as of the latest night of record, classified as that night would. */
    readonly now: ReasonTally & { readonly asOf: CalendarDate | null; readonly byStatus: Readonly<Record<'at_risk' | 'lost', ReasonTally>> };
    /** The customers each campaign chose in range, with their reasons as of the night that chose them. */
    readonly byCampaign: readonly (ReasonGroup & { readonly campaignId: string })[];
    readonly byNight: readonly (ReasonGroup & { readonly night: CalendarDate })[];
  };
}

const earliest = '0000-01-01';
const latest = '9999-12-31';
const dayMs = 86_400_000;

/**
 * The campaign report: the funnel from the ledger, the lift from the treated and holdout customers' orders, and the
 * deliverability guard's view, for the nights in range. Reads the ledger once (a scan), then the customer profiles a
 * page at a time (keeping only those of the customers the campaigns chose), and, per customer in a campaign, their
 * orders in the windows that matter (a key-range query each).
 */
export async function buildReport(deps: ReportDependencies, options: ReportOptions = {}): Promise<Report> {
  const stored = await deps.configs.latest();
  if (!stored) throw new NoCampaignConfigError();
  const config = parseCampaignConfig(stored.raw);
  const settings = config.guardrails.deliverability;
  const windowDays = config.attribution.windowDays;
  const estimate: DiscountEstimate = { freeShippingMinor: options.freeShippingEstimate === undefined ? 0 : parseDecimalAmount(options.freeShippingEstimate, config.shop.currency) };
  const from = options.from ?? earliest;
  const to = options.to ?? latest;
  if (from > to) throw new RangeError(`--from ${from} is after --to ${to}`);

  // The guard's window reaches back before --from: read that much more of the ledger.
  const records = await deps.source.records(options.from ? addDays(options.from, -(settings.windowDays + 1)) : earliest, to);
  const scanned = records.sends;
  const inRange = scanned.filter((send) => send.asOf >= from && send.asOf <= to);
  const configured = new Map(config.campaigns.map((campaign) => [campaign.id, campaign]));
  const campaignIds = [...configured.keys(), ...[...new Set(inRange.map((send) => send.campaignId))].filter((id) => !configured.has(id)).sort()];
  if (options.campaignId !== undefined && !campaignIds.includes(options.campaignId)) {
    throw new Error(`no campaign "${options.campaignId}" in the config or the ledger (campaigns: ${campaignIds.join(', ')})`);
  }
  const chosen = options.campaignId === undefined ? campaignIds : [options.campaignId];
  const reported = inRange.filter((send) => chosen.includes(send.campaignId));

  const metrics = campaignMetrics(reported, estimate);
  const history = historyOf(records, config, { from, to, now: deps.clock.now() }, options);
  const profiles = await readProfiles(deps.source, records, reported, config, history);
  const { outcomes, ordersOf } = await outcomesOf(liftUnits(reported), history.reactivationUnits, deps.source, windowDays, estimate, options.concurrency ?? 16);
  const pauses = await deps.configs.pauses();
  // The guard's window ends with the latest night that sent anything up to --to: what the next night would judge.
  const lastNight = latestNight(scanned) ?? (options.to ?? deps.clock.now().toISOString().slice(0, 10));
  const currency = config.shop.currency;
  const liftSettings = { minConversions: options.minConversions ?? defaultMinConversions, currency, locale: config.shop.locale };
  const nights = [...new Set(reported.map((send) => send.asOf))].sort();
  const featured = ledgerUnits(reported, windowDays);

  const campaigns = chosen.map((id): CampaignReport => {
    const campaign = configured.get(id);
    const funnel = metrics.get(id) ?? { total: undefined, byVariant: new Map(), byStep: new Map(), byNight: new Map() };
    const units = outcomes.filter(({ unit }) => unit.campaignId === id);
    const holdout = groupOutcome(units.filter(({ unit }) => unit.holdout).map(({ outcome }) => outcome));
    const treated = groupOutcome(units.filter(({ unit }) => !unit.holdout).map(({ outcome }) => outcome));
    const lift = measureLift(treated, holdout, liftSettings);
    const scope: PauseScope = { kind: 'campaign', campaignId: id };
    const pause = inForce(pauses, scope) ?? inForce(pauses, { kind: 'shop' });
    return {
      id,
      ...(campaign ? { name: campaign.name, enabled: campaign.enabled } : {}),
      inConfig: campaign !== undefined,
      ...metricsView(funnel.total, currency),
      treated: groupView(treated, currency),
      holdout: groupView(holdout, currency),
      lift: liftView(lift, currency),
      verdict: lift.verdict,
      deliverability: deliverabilityView(scanned, scope, pauses, settings, lastNight),
      ...(pause ? { paused: pauseView(pause) } : {}),
      byVariant: variantRows(funnel, units, holdout, liftSettings, currency),
      byStep: [...funnel.byStep.entries()].sort(([a], [b]) => a - b).map(([step, row]) => ({ step, ...(campaign?.steps[step] ? { delayDays: campaign.steps[step].delayDays } : {}), ...metricsView(row, currency) })),
      byNight: [...funnel.byNight.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([night, row]) => ({ night, ...metricsView(row, currency) })),
      ...upliftOf(id, campaign, featured, ordersOf, records, history, { windowDays, estimate, currency, from, to }),
    };
  });

  const shopPause = inForce(pauses, { kind: 'shop' });
  return {
    generatedAt: deps.clock.now().toISOString(),
    configVersion: stored.version,
    range: { from: options.from ?? nights[0] ?? null, to: options.to ?? nights.at(-1) ?? null, nights: nights.length },
    attributionWindowDays: windowDays,
    shop: {
      name: config.shop.name,
      currency,
      locale: config.shop.locale,
      timeZone: config.shop.timeZone,
      deliverability: deliverabilityView(scanned, { kind: 'shop' }, pauses, settings, lastNight),
      ...(shopPause ? { paused: pauseView(shopPause) } : {}),
    },
    campaigns,
    churn: {
      nights: history.churn.map((night) => ({ ...night, shares: { active: round(night.shares.active), atRisk: round(night.shares.atRisk), lost: round(night.shares.lost) } })),
      reactivation: reactivationView(measureReactivation(history.reactivationUnits, ordersOf, attributedOrders(scanned), history.reactivationDays, history.dataEnd), history.reactivationDays),
      calibration: { maxHorizonDays: history.calibrationDays, nights: profiles.calibration.map(calibrationView) },
    },
    reasons: {
      feedback: feedbackDistribution(reported, options.commentLimit ?? 200),
      codes: reasonCodes(records, reported, config, history, profiles),
    },
    notes: notes(config, estimate, liftSettings.minConversions, history),
  };
}

function upliftOf(
  id: string,
  campaign: CampaignConfig['campaigns'][number] | undefined,
  featured: ReturnType<typeof ledgerUnits>,
  ordersOf: (customerId: string) => readonly ReportOrder[],
  records: ReportRecords,
  history: History,
  settings: { windowDays: number; estimate: DiscountEstimate; currency: string; from: CalendarDate; to: CalendarDate },
): { uplift?: UpliftView } {
  const units = featured.filter((unit) => unit.campaignId === id);
  const targeting = campaign?.targeting ?? 'everyone';
  const allocation = campaign?.experiment.allocation ?? 'fixed';
  if (units.length === 0 && targeting === 'everyone' && allocation === 'fixed') return {};
  const report = campaignUpliftReport({
    units,
    ordersOf,
    windowDays: settings.windowDays,
    marginPercent: campaign?.economics.orderMarginPercent ?? 100,
    estimate: settings.estimate,
    skips: records.decisions.filter((decision) => decision.campaignId === id && decision.asOf >= settings.from && decision.asOf <= settings.to),
    nights: [...history.nights.values()].map((run) => ({ night: run.asOf, targeting: (run as { targeting?: Record<string, NightTargeting> }).targeting?.[id] })),
    minVariantShare: (campaign?.experiment.minVariantPercent ?? 0) / 100,
  });
  const money = (minor: number) => toDecimalString(Math.round(minor), settings.currency);
  return { uplift: { targeting, allocation, ...report, marginSaved: money(report.nights.marginSavedMinor), discountSaved: money(report.nights.discountSavedMinor) } };
}

async function outcomesOf(
  units: readonly LiftUnit[],
  reactivation: readonly ReactivationUnit[],
  source: ReportSource,
  windowDays: number,
  estimate: DiscountEstimate,
  concurrency: number,
) {
  // One read per customer, over the union of the windows that matter to them: the lift's and the reactivation's.
  const spans = new Map<string, { since: string; until: string }>();
  const widen = (customerId: string, since: string, until: string) => {
    const span = spans.get(customerId);
    spans.set(customerId, span ? { since: since < span.since ? since : span.since, until: until > span.until ? until : span.until } : { since, until });
  };
  for (const unit of units) for (const at of unit.exposures) widen(unit.customerId, at, new Date(Date.parse(at) + windowDays * dayMs).toISOString());
  for (const unit of reactivation) widen(unit.customerId, unit.from, unit.until);
  const limit = pLimit(concurrency);
  const ordersByCustomer = new Map<string, ReportOrder[]>(
    await Promise.all([...spans].map(([customerId, span]) => limit(async () => [customerId, await source.ordersOf(customerId, span.since, span.until)] as const))),
  );
  return {
    outcomes: units.map((unit): { unit: LiftUnit; outcome: UnitOutcome } => ({ unit, outcome: unitOutcome(unit, ordersByCustomer.get(unit.customerId) ?? [], windowDays, estimate) })),
    ordersOf: (customerId: string): readonly ReportOrder[] => ordersByCustomer.get(customerId) ?? [],
  };
}

interface History {
  readonly churn: ChurnNight[];
  readonly reactivationUnits: ReactivationUnit[];
  readonly reactivationDays: number;
  /** The latest instant the data covers: now, or the latest night of record when the nights are replayed ahead of it. */
  readonly dataEnd: string;
  /** The model nights to calibrate, each with its model and horizon: the profiles are read after the nights. */
  readonly calibration: readonly { readonly night: CalendarDate; readonly model: FittedPurchaseModel; readonly horizonDays: number }[];
  readonly calibrationDays: number;
  /** Run records that stand, by night, and the night's instant. */
  readonly nights: ReadonlyMap<CalendarDate, NightRecord>;
  readonly instantOf: (night: CalendarDate) => string;
  readonly latestNight: CalendarDate | undefined;
}

/**
 * Churn over time from the run records, the customers to follow for reactivation, and which nights' stored models to
 * calibrate against the purchase days their customers then made. The end of the data is the latest night of
 * record: at that night the orders before it were known, and nights replayed ahead of the clock stay comparable.
 */
function historyOf(records: ReportRecords, config: CampaignConfig, range: { from: CalendarDate; to: CalendarDate; now: Date }, options: ReportOptions): History {
  const timeZone = config.shop.timeZone;
  const stood = nightsOfRecord(records.runs.filter((run) => run.asOf >= range.from && run.asOf <= range.to));
  const nights = new Map(stood.map((run) => [run.asOf, run]));
  const reservedAt = new Map<CalendarDate, string>();
  for (const send of records.sends) if (!reservedAt.has(send.asOf)) reservedAt.set(send.asOf, send.reservedAt);
  // A replayed night runs at 03:00 shop time: without a run record, that is the best guess of its instant.
  const instantOf = (night: CalendarDate) => nights.get(night)?.nightAt ?? reservedAt.get(night) ?? instantAt(night, 180, timeZone).toISOString();
  const latestNight = stood.at(-1)?.asOf;
  const now = range.now.toISOString();
  const lastInstant = latestNight ? instantOf(latestNight) : now;
  const dataEnd = lastInstant > now ? lastInstant : now;
  const reactivationDays = options.reactivationDays ?? defaultReactivationDays;
  const sends = records.sends.filter((send) => send.asOf >= range.from && send.asOf <= range.to);
  const decisions = records.decisions.filter((decision) => decision.asOf >= range.from && decision.asOf <= range.to);
  const calibrationDays = options.calibrationDays ?? defaultCalibrationDays;
  const calibration: History['calibration'][number][] = [];
  if (latestNight) {
    const models = new Map<CalendarDate, FittedPurchaseModel>();
    for (const run of stood) {
      const model = run.scoring?.used === 'model' ? purchaseModelOf(run.scoring.model) : undefined;
      if (model) models.set(run.asOf, model);
    }
    for (const night of calibrationNights([...models.keys()], latestNight, options.calibrationNights ?? defaultCalibrationNightCount)) {
      calibration.push({ night, model: models.get(night)!, horizonDays: Math.min(calibrationDays, daysBetween(night, latestNight)) });
    }
  }
  return {
    churn: churnByNight(stood),
    reactivationUnits: reactivationUnits(sends, decisions, instantOf, reactivationDays),
    reactivationDays,
    dataEnd,
    calibration,
    calibrationDays,
    nights,
    instantOf,
    latestNight,
  };
}

const defaultReactivationDays = 30;
const defaultCalibrationDays = 90;
const defaultCalibrationNightCount = 12;

function purchaseModelOf(stored: unknown): FittedPurchaseModel | undefined {
  if (stored === undefined) return undefined;
  try {
    const model = parseFittedModel(stored);
    return isPurchaseModel(model) ? model : undefined;
  } catch {
    // A stored model that no longer reads is left out, as the read API falls back to the rule for it.
    return undefined;
  }
}

/** Classifies as the given night did: with its fitted model when it used one, else with the cadence rule and its pace. */
function classifierFor(run: NightRecord | undefined, config: CampaignConfig): (customer: Customer, asOf: CalendarDate) => Classification {
  const pace = run?.shopPace ?? { secondOrderGapDays: config.classification.fallbackSecondOrderGapDays, measuredOn: 0 };
  const timeZone = config.shop.timeZone;
  const purchases = run?.scoring?.used === 'model' ? purchaseModelOf(run.scoring.model) : undefined;
  if (!purchases) return (customer, asOf) => classify(customer, asOf, pace, config.classification, timeZone);
  let spend: FittedGammaGamma | undefined;
  try {
    const stored = (run!.scoring as { spendModel?: unknown }).spendModel;
    const parsed = stored === undefined ? undefined : parseFittedModel(stored);
    spend = parsed?.model === 'gamma-gamma' && parsed.converged ? (parsed as FittedGammaGamma) : undefined;
  } catch {
    spend = undefined;
  }
  const model = { purchases, ...(spend ? { spend } : {}), atRiskBelowPAlive: config.classification.model.atRiskBelowPAlive, lostBelowPAlive: config.classification.model.lostBelowPAlive };
  return (customer, asOf) => classifyWithModel(customer, asOf, pace, config.classification, timeZone, model);
}

/** What the report derives from the customer profiles, read in one pass a page at a time. */
interface ProfileFindings {
  readonly calibration: readonly CalibrationNight[];
  /** The customers at risk or lost as of the latest night of record; absent without one. */
  readonly now?: { readonly asOf: CalendarDate; readonly tallies: ReasonTallies };
  /** The profiles of the customers the campaigns chose in range, and only those: the rest are counted and let go. */
  readonly chosen: ReadonlyMap<string, Customer>;
}

/**
 * One pass over the profiles, a page at a time, so a base of any size fits: what is counted over every customer (the
 * calibration, the reasons "now") is counted as the profiles pass, and only the profiles of the customers chosen in
 * range are kept, since their reasons are judged per send, as of the night that chose them.
 */
async function readProfiles(source: ReportSource, records: ReportRecords, reported: readonly ReportedSend[], config: CampaignConfig, history: History): Promise<ProfileFindings> {
  const timeZone = config.shop.timeZone;
  const calibrations = history.calibration.map(({ model, night, horizonDays }) => nightCalibration(model, night, horizonDays, timeZone));
  const latestRun = history.latestNight ? history.nights.get(history.latestNight) : records.latestRun;
  const now = latestRun?.asOf ? { asOf: latestRun.asOf, classify: classifierFor(latestRun, config), counter: reasonCounter() } : undefined;
  const chosenIds = new Set(reported.filter(isChosen).map((send) => send.customerId));
  const chosen = new Map<string, Customer>();
  await source.forEachCustomer((customers) => {
    for (const customer of customers) {
      for (const calibration of calibrations) calibration.add(customer);
      if (now) {
        const classification = now.classify(customer, now.asOf);
        if (classification.status === 'at_risk' || classification.status === 'lost') now.counter.add({ status: classification.status, reasonCodes: classification.reasonCodes ?? [] });
      }
      if (chosenIds.has(customer.customerId)) chosen.set(customer.customerId, customer);
    }
  });
  return {
    calibration: calibrations.map((calibration) => calibration.finish()),
    ...(now ? { now: { asOf: now.asOf, tallies: now.counter.finish() } } : {}),
    chosen,
  };
}

function isChosen(send: ReportedSend): boolean {
  return send.status === 'sent' || send.status === 'scheduled' || send.status === 'held_out';
}

/**
 * Data-derived reason codes are never stored per customer: they are a function of the profile and the night's model.
 * "Now" classifies every profile as the latest night of record would. Per campaign and night, a customer the campaign
 * chose is classified as of that night, with that night's model, but only while their purchases are still those of
 * that night (no order since): a customer who ordered again is counted apart, as the reasons no longer apply.
 */
function reasonCodes(records: ReportRecords, reported: readonly ReportedSend[], config: CampaignConfig, history: History, profiles: ProfileFindings): ReasonsView['codes'] {
  const classifiers = new Map<CalendarDate, ReturnType<typeof classifierFor>>();
  const classifierOf = (night: CalendarDate) => classifiers.get(night) ?? classifiers.set(night, classifierFor(history.nights.get(night) ?? records.latestRun, config)).get(night)!;
  type Group = { customers: Set<string>; orderedSince: number; observations: ReasonObservation[] };
  const byCampaign = new Map<string, Group>();
  const byNight = new Map<CalendarDate, Group>();
  const groupOf = <K>(map: Map<K, Group>, key: K) => map.get(key) ?? map.set(key, { customers: new Set(), orderedSince: 0, observations: [] }).get(key)!;
  for (const send of reported) {
    if (!isChosen(send)) continue;
    const customer = profiles.chosen.get(send.customerId);
    if (!customer) continue;
    const groups = [groupOf(byCampaign, send.campaignId), groupOf(byNight, send.asOf)].filter((group) => !group.customers.has(send.customerId));
    if (groups.length === 0) continue;
    for (const group of groups) group.customers.add(send.customerId);
    if (!unchangedSince(customer, history.instantOf(send.asOf))) {
      for (const group of groups) group.orderedSince += 1;
      continue;
    }
    const classification = classifierOf(send.asOf)(customer, send.asOf);
    if (classification.status !== 'at_risk' && classification.status !== 'lost') continue;
    for (const group of groups) group.observations.push({ status: classification.status, reasonCodes: classification.reasonCodes ?? [] });
  }
  const view = (group: Group): ReasonGroup => {
    const { byStatus: _byStatus, ...tally } = tallyReasons(group.observations);
    return { ...tally, orderedSince: group.orderedSince };
  };
  return {
    now: { asOf: profiles.now?.asOf ?? null, ...(profiles.now?.tallies ?? tallyReasons([])) },
    byCampaign: [...byCampaign].map(([campaignId, group]) => ({ campaignId, ...view(group) })),
    byNight: [...byNight].sort(([a], [b]) => (a < b ? -1 : 1)).map(([night, group]) => ({ night, ...view(group) })),
  };
}

function attributedOrders(sends: readonly ReportedSend[]): Set<string> {
  return new Set(sends.flatMap((send) => (send.attribution ? [send.attribution.orderId] : [])));
}

function reactivationView(reactivation: Reactivation, windowDays: number): Reactivation {
  const rated = <T extends { rate: number }>(row: T): T => ({ ...row, rate: round(row.rate) });
  return {
    ...rated(reactivation),
    windowDays,
    byContact: { emailed: rated(reactivation.byContact.emailed), held_out: rated(reactivation.byContact.held_out), not_emailed: rated(reactivation.byContact.not_emailed) },
    byNight: reactivation.byNight.map(rated),
  };
}

function calibrationView(night: CalibrationNight): CalibrationNight {
  const two = (value: number) => Math.round(value * 100) / 100;
  return {
    ...night,
    predicted: two(night.predicted),
    error: night.error === null ? null : round(night.error),
    bins: night.bins.map((bin) => ({ ...bin, predicted: two(bin.predicted) })),
  };
}

function variantRows(
  funnel: Pick<CampaignMetrics, 'byVariant'>,
  units: readonly { unit: LiftUnit; outcome: UnitOutcome }[],
  holdout: GroupOutcome,
  liftSettings: Parameters<typeof measureLift>[2],
  currency: string,
): CampaignReport['byVariant'] {
  return [...funnel.byVariant.entries()]
    .sort(([a], [b]) => (a === 'holdout' ? 1 : b === 'holdout' ? -1 : a < b ? -1 : 1))
    .map(([variant, row]) => {
      if (variant === 'holdout') return { variant, ...metricsView(row, currency) };
      // Each variant against the campaign's one holdout: the experiment's arms share it.
      const treated = groupOutcome(units.filter(({ unit }) => !unit.holdout && unit.arm === variant).map(({ outcome }) => outcome));
      const lift = measureLift(treated, holdout, liftSettings);
      return { variant, ...metricsView(row, currency), treated: groupView(treated, currency), lift: liftView(lift, currency), verdict: lift.verdict };
    });
}

function metricsView(metrics: Metrics | undefined, currency: string): MetricsView {
  const m = metrics ?? emptyMetrics();
  return {
    eligible: m.eligible,
    heldOut: m.heldOut,
    sent: m.sent,
    scheduled: m.scheduled,
    failed: m.failed,
    unconfirmed: m.unconfirmed,
    couponUnavailable: m.couponUnavailable,
    delivered: m.delivered,
    bounced: m.bounced,
    complained: m.complained,
    opened: m.opened,
    clicked: m.clicked,
    unsubscribed: m.unsubscribed,
    conversions: m.converted,
    revenue: toDecimalString(m.revenueMinor, currency),
    revenueMinor: m.revenueMinor,
    discountCost: toDecimalString(m.discountCostMinor, currency),
    discountCostMinor: m.discountCostMinor,
    couponRedemptions: m.couponRedemptions,
    freeShippingRedemptions: m.freeShippingRedemptions,
  };
}

function groupView(group: GroupOutcome, currency: string): GroupView {
  return {
    customers: group.customers,
    converted: group.converted,
    rate: round(group.rate),
    orders: group.orders,
    revenue: toDecimalString(group.revenueMinor, currency),
    revenueMinor: group.revenueMinor,
  };
}

function liftView(lift: Lift, currency: string): LiftView {
  const revenue = lift.incrementalRevenue;
  return {
    absolute: lift.absolute === undefined ? null : round(lift.absolute),
    relative: lift.relative === undefined ? null : round(lift.relative),
    ci95: lift.ci95 ? [round(lift.ci95[0]), round(lift.ci95[1])] : null,
    relativeCi95: lift.relativeCi95 ? [round(lift.relativeCi95[0]), round(lift.relativeCi95[1])] : null,
    method: 'Newcombe hybrid score interval (Wilson) for the difference; Katz log interval for the relative lift',
    incrementalOrders: lift.incrementalOrders === undefined ? null : Math.round(lift.incrementalOrders * 10) / 10,
    incrementalRevenue: revenue
      ? { gross: toDecimalString(revenue.grossMinor, currency), discountCost: toDecimalString(revenue.discountCostMinor, currency), net: toDecimalString(revenue.netMinor, currency), netMinor: revenue.netMinor }
      : null,
  };
}

function deliverabilityView(sends: readonly ReportedSend[], scope: PauseScope, pauses: readonly PauseRecord[], settings: DeliverabilitySettings, lastNight: CalendarDate): DeliverabilityView {
  const own = pauses.find((record) => scopeKey(record.scope) === scopeKey(scope));
  const shop = pauses.find((record) => record.scope.kind === 'shop');
  const window = guardWindow(lastNight, settings, scope.kind === 'shop' ? [own?.resumedAt] : [own?.resumedAt, shop?.resumedAt]);
  const rates = measureDeliverability(scope.kind === 'shop' ? sends : sends.filter((send) => send.campaignId === scope.campaignId), window);
  const verdict = guardVerdict(rates, settings);
  const state = own?.state === 'paused' ? 'paused' : verdict.pause ? 'over_threshold' : verdict.why === 'below_min_volume' ? 'below_min_volume' : 'ok';
  return {
    windowDays: settings.windowDays,
    firstNight: window.firstNight,
    lastNight: window.lastNight,
    ...(window.resumedAt ? { resumedAt: window.resumedAt } : {}),
    sent: rates.sent,
    bounced: rates.bounced,
    complained: rates.complained,
    bounceRate: round(rates.bounceRate),
    complaintRate: round(rates.complaintRate),
    thresholds: { bounceRatePause: settings.bounceRatePause, complaintRatePause: settings.complaintRatePause, minVolume: settings.minVolume },
    state,
    ...(own?.state === 'resumed' && own.resumedAt ? { resumed: { at: own.resumedAt, by: own.resumedBy ?? 'unknown' } } : {}),
  };
}

function inForce(pauses: readonly PauseRecord[], scope: PauseScope): PauseRecord | undefined {
  return pauses.find((record) => record.state === 'paused' && scopeKey(record.scope) === scopeKey(scope));
}

function pauseView(record: PauseRecord): PauseView {
  return { scope: record.scope.kind, at: record.at, reason: record.reason, reasons: record.reasons, rates: record.rates };
}

function latestNight(sends: readonly ReportedSend[]): CalendarDate | undefined {
  let found: CalendarDate | undefined;
  for (const send of sends) if (send.status === 'sent' && (found === undefined || send.asOf > found)) found = send.asOf;
  return found;
}

function notes(config: CampaignConfig, estimate: DiscountEstimate, minConversions: number, history: History): Report['notes'] {
  const currency = config.shop.currency;
  return {
    opened: 'Opens are inflated by mail privacy features (Apple Mail Privacy Protection and image proxies open every email): shown for completeness, never used for a verdict. Clicks, orders and lift are what count.',
    conversions: `Conversions and revenue are orders attributed to an email (its coupon, else a click, else the latest email within ${config.attribution.windowDays} days): they include orders that would have happened anyway.`,
    lift: `Customers emailed against the holdout (never emailed, recorded as "would have been sent") chosen on the same nights: a customer converts with any counted order within ${config.attribution.windowDays} days after a night that chose them. 95% interval: Newcombe's hybrid score (Wilson) interval for the difference of two proportions, no continuity correction. Fewer than ${minConversions} conversions in both groups together is "too early to tell".`,
    discountCost: `An estimate: a percent coupon of p on a paid total T cost T x p / (100 - p); a fixed amount its value; free shipping ${estimate.freeShippingMinor > 0 ? `${toDecimalString(estimate.freeShippingMinor, currency)} ${currency} per order (--free-shipping-estimate)` : 'is counted as 0 (set --free-shipping-estimate)'}. Order totals are after the discount, so the net incremental revenue already excludes it.`,
    churn: 'Per night with a run record: customers by status as that night classified them (the cadence rule or the fitted model: a change of method moves the shares by itself), as shares of the customers who have ordered.',
    reactivation: `Customers the nights recorded as at risk or lost in the range (chosen by a campaign: emailed, scheduled or held out; or skipped for a logged reason such as consent or the campaign's window), each once, from the first such night; reactivated when they placed a counted order within ${history.reactivationDays} days after that night. Customers left alone for the same reason since before the range have no record in it and are not counted. Nights whose window is still open are marked incomplete.`,
    calibration: `For each night that classified with a fitted model (at most ${defaultCalibrationNightCount} by default, spread over the range): every customer who had bought before it, their expected purchase days over the following days (up to ${history.calibrationDays}, and never beyond the latest night of record) against the purchase days that followed, by prior repeat purchase days. Histories are rebuilt from the purchase days the profiles keep.`,
    reasons: 'Feedback: answers to the survey in the win-back emails of the nights in range (so from at-risk and lost customers), by campaign and by the night of the email. Reason codes: derived from the data (never stored); "now" is every customer at risk or lost as of the latest night of record; per campaign and night, the customers chosen, classified as of that night with that night\'s model, unless they ordered since (feedback or a complaint given since does count).',
    deliverability: `Bounce and complaint rates over the emails sent on the ${config.guardrails.deliverability.windowDays} nights up to the latest night that sent (every bounce counts, transient too); at least ${config.guardrails.deliverability.minVolume} sends, a bounce rate of ${config.guardrails.deliverability.bounceRatePause * 100}% or a complaint rate of ${Number((config.guardrails.deliverability.complaintRatePause * 100).toFixed(4))}% pauses the campaign (or all sending) at the start of the next night; resume with winback campaigns resume ID|shop.`,
  };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
