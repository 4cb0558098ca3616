import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import { type CampaignConfig, parseCampaignConfig } from '../config/campaign-config.js';
import { classifyWithModel } from '../domain/classification.js';
import type { Customer } from '../domain/customer.js';
import { type CalendarDate, calendarDateIn, instantAt, isCalendarDate, parseClockTime } from '../domain/dates.js';
import type { SkipReason } from '../domain/decisions.js';
import { customerPolicy } from '../domain/uplift/night-policy.js';
import { nextWarmUpHistory, sendingDomain, warmUpLimit, warmUpThreshold } from '../domain/warm-up.js';
import type { CampaignConfigStore } from '../ports/campaign-configs.js';
import type { CustomerPage } from '../ports/customers.js';
import type { NightPlan, NightWarmUp, NightWork, SegmentTally } from '../ports/night-work.js';
import type { NightSummary, RunRecorder } from '../ports/runs.js';
import { judgeCustomer } from './decide-customer.js';
import { guardDeliverability } from './deliverability-guard.js';
import { memoryBudget, type NightContext, type SegmentDependencies } from './night-context.js';
import { emptyTargetingTally, mergeTargetingTally, planTargeting, type TargetingHistory, targetingSummary } from './plan-targeting.js';
import { estimateFromSample, type PreviewCoverage, previewSegmentsFor } from './preview-sample.js';
import { type SegmentPosition, scoreSegment } from './score-segment.js';
import { emptyTally } from './segment-tally.js';
import { paceSampleSize, studyShop } from './study-shop.js';

export interface NightDependencies extends SegmentDependencies {
  readonly configs: CampaignConfigStore;
  readonly runs: RunRecorder;
  /** The ledger and orders the night learns uplift targeting and offer sizing from (docs/uplift.md); absent, it cannot. */
  readonly history?: TargetingHistory;
}

export interface NightOptions {
  readonly asOf?: CalendarDate;
  /** When asOf is not given, the night is this instant's date in the shop's time zone (default: now). */
  readonly at?: Date;
  readonly runId?: string;
  readonly totalSegments?: number;
  readonly sendConcurrency?: number;
  /**
   * Segments a preview scans at once in its one process; default `localSegmentConcurrency()`. More segments than
   * this wait their turn, so memory follows this number, not the customer base. (A night's segment workers are the
   * workflow's Map iterations, as many at once as its MaxConcurrency.)
   */
  readonly segmentConcurrency?: number;
}

/** A replayed night (an explicit --as-of) is taken to run at this shop-local time, like the schedule's default. */
export const replayedNightTime = '03:00';

export class NoCampaignConfigError extends Error {
  constructor() {
    super('no campaign config is stored: apply one first (winback config apply FILE; locally npm start applies the default)');
    this.name = 'NoCampaignConfigError';
  }
}

/** How many customers a scan segment should hold: enough segments to run in parallel, few enough to stay cheap. */
const customersPerSegment = 25_000;
const minSegments = 4;
const maxSegments = 1_000;

export function segmentsFor(customerCount: number): number {
  return Math.min(maxSegments, Math.max(minSegments, Math.ceil(customerCount / customersPerSegment)));
}

/**
 * Segments a preview works on at once in one process: twice the cores, at least 4. Each holds a few pages in memory,
 * and past this many the local stack is busy anyway, so a shop ten times larger takes ten times longer in the same
 * memory (a night's segments are each a segment worker's instead).
 */
export function localSegmentConcurrency(cores = availableParallelism()): number {
  return Math.max(4, 2 * cores);
}

async function eachSegment<T>(totalSegments: number, concurrency: number | undefined, work: (segment: number) => Promise<T>): Promise<T[]> {
  const limit = pLimit(concurrency ?? localSegmentConcurrency());
  return Promise.all(Array.from({ length: totalSegments }, (_, segment) => limit(() => work(segment))));
}

export interface NightPreview {
  /** The night's counts; estimates for the whole shop when `coverage.complete` is false. */
  readonly summary: NightSummary;
  /** One rendered email per campaign and variant, from the first customer the night would send it to. */
  readonly samples: Record<string, { readonly to: string; readonly subject: string; readonly html: string; readonly text: string }>;
  readonly coverage: PreviewCoverage;
}

export interface PreviewOptions extends NightOptions {
  /** Previewed without being applied; absent, the config in force. */
  readonly config?: CampaignConfig;
  /**
   * True when the preview must answer now (checked between pages). It then finishes the pages it started, leaves
   * the segments it did not finish out and estimates the night from the others (see preview-sample.ts). Absent,
   * every customer is scanned and the counts are exact.
   */
  readonly shouldStop?: () => boolean;
}

/**
 * A dry run of a night: the same decisions, counted and with a sample email per variant, but nothing reserved,
 * sent, logged or recorded. A config given here is previewed without being applied.
 */
export async function previewNight(deps: NightDependencies, options: PreviewOptions = {}): Promise<NightPreview> {
  const prepared = await prepareNight(deps, options);
  const setup = options.config ? { ...prepared, config: options.config } : prepared;
  const plan = await planNight(setup, deps, { store: false });
  const { shouldStop } = options;
  const totalSegments = shouldStop && options.totalSegments === undefined ? previewSegmentsFor(prepared.shopSize, plan.totalSegments) : plan.totalSegments;
  const samples: NightPreview['samples'] = {};
  const night = { ...contextOf({ ...plan, totalSegments }, setup.config, memoryBudget(plan.dailySendCap), options.sendConcurrency), samples };
  const tallies = await eachSegment(totalSegments, options.segmentConcurrency, async (segment) => {
    // The first segment always finishes, so even a preview out of time before it began has a sample to show.
    if (segment === 0 || !shouldStop) return (await scoreSegment(segment, night, deps)).tally;
    if (shouldStop()) return undefined;
    const result = await scoreSegment(segment, night, deps, { shouldStop });
    // A segment cut short is not a uniform share of the shop (its scan order is its keys' hash order, but its share
    // of the key space is unknown): only whole segments count.
    return result.nextCursor ? undefined : result.tally;
  });
  const finished = tallies.filter((tally): tally is SegmentTally => tally !== undefined);
  const summary = summarize({ ...plan, totalSegments }, finished, deps.clock.now(), night.stop.reason);
  const customersScanned = summary.customersScanned;
  if (finished.length === totalSegments)
    return { summary, samples, coverage: { complete: true, segmentsScanned: totalSegments, totalSegments, fraction: 1, customersScanned } };
  const fraction = finished.length / totalSegments;
  return {
    summary: estimateFromSample(summary, fraction, plan.dailySendCap),
    samples,
    coverage: { complete: false, segmentsScanned: finished.length, totalSegments, fraction, customersScanned },
  };
}

// ---- The night fanned out on AWS: start, one worker per segment (in as many invocations as it takes), finish. ----

export interface FanOutDependencies extends NightDependencies {
  readonly work: NightWork;
}

/**
 * The fan-out's first step: the run record, the deliverability guard and the fitted model, stored as the night's
 * plan, so every segment worker scores with the same model and pace and none refits.
 */
export async function startNight(deps: FanOutDependencies, options: NightOptions = {}): Promise<NightPlan> {
  const setup = await prepareNight(deps, options);
  await deps.runs.started(runOf(setup));
  try {
    const plan = await planNight(setup, deps, { store: true });
    await deps.work.savePlan(plan);
    return plan;
  } catch (error) {
    await deps.runs.failed({ ...runOf(setup), error: (error as Error).message });
    throw error;
  }
}

/**
 * One segment worker invocation: scans from `position.cursor` until the segment ends or `position.shouldStop` says
 * the invocation nears its time limit, stores its tally under the run and returns where the next one continues.
 * Run again from the same cursor (a retry), it sends nothing twice and its tally replaces the first attempt's.
 */
export async function workSegment(
  runId: string,
  segment: number,
  deps: FanOutDependencies,
  position: SegmentPosition = {},
  sendConcurrency?: number,
): Promise<{ nextCursor?: string }> {
  const plan = await deps.work.plan(runId);
  if (!plan) throw new RangeError(`runId: no night "${runId}" was started (or its plan expired)`);
  if (!Number.isInteger(segment) || segment < 0 || segment >= plan.totalSegments)
    throw new RangeError(`segment: expected 0 to ${plan.totalSegments - 1}, got ${segment}`);
  const stored = await deps.configs.version(plan.configVersion);
  if (!stored) throw new RangeError(`configVersion: version ${plan.configVersion} of the campaign config is gone`);
  const night = contextOf(plan, parseCampaignConfig(stored.raw), deps.work.budget(runId, plan.dailySendCap), sendConcurrency);
  const result = await scoreSegment(segment, night, deps, position);
  await deps.work.saveTally(runId, segment, position.cursor, result.tally);
  return result.nextCursor ? { nextCursor: result.nextCursor } : {};
}

/** The fan-out's last step: the segments' tallies summed into the night's summary, the run record. */
export async function finishNight(runId: string, deps: FanOutDependencies): Promise<NightSummary> {
  const plan = await deps.work.plan(runId);
  if (!plan) throw new RangeError(`runId: no night "${runId}" was started (or its plan expired)`);
  const summary = summarize(plan, await deps.work.tallies(runId), deps.clock.now());
  await deps.runs.finished(summary);
  return summary;
}

/** A night the workflow gave up on: its run record says so, with the error, for the report and the alarm. */
export async function failNight(runId: string, error: string, deps: FanOutDependencies): Promise<void> {
  const plan = await deps.work.plan(runId);
  if (!plan) throw new RangeError(`runId: no night "${runId}" was started (or its plan expired)`);
  await deps.runs.failed({ runId, asOf: plan.asOf, startedAt: plan.startedAt, error });
}

interface NightSetup {
  readonly runId: string;
  readonly asOf: CalendarDate;
  readonly nightAt: Date;
  readonly startedAt: Date;
  readonly config: CampaignConfig;
  readonly configVersion: number;
  readonly totalSegments: number;
  /** The shop's approximate number of customers (DynamoDB's item count, updated about every six hours). */
  readonly shopSize: number;
}

async function prepareNight(deps: NightDependencies, options: NightOptions): Promise<NightSetup> {
  const startedAt = deps.clock.now();
  const stored = await deps.configs.latest();
  if (!stored) throw new NoCampaignConfigError();
  const config = parseCampaignConfig(stored.raw);
  if (options.asOf !== undefined && !isCalendarDate(options.asOf)) throw new RangeError(`asOf: expected a date as YYYY-MM-DD, got "${options.asOf}"`);
  const asOf = options.asOf ?? calendarDateIn(options.at ?? startedAt, config.shop.timeZone);
  const nightAt = options.at ?? (options.asOf !== undefined ? instantAt(asOf, parseClockTime(replayedNightTime), config.shop.timeZone) : startedAt);
  const shopSize = await deps.customers.approximateCount();
  const totalSegments = options.totalSegments ?? segmentsFor(shopSize);
  return { runId: options.runId ?? randomUUID(), asOf, nightAt, startedAt, config, configVersion: stored.version, totalSegments, shopSize };
}

function runOf(setup: NightSetup) {
  return { runId: setup.runId, asOf: setup.asOf, startedAt: setup.startedAt.toISOString(), configVersion: setup.configVersion };
}

/** Everything decided once per night, before any customer: the guard's pauses, the shop's pace and the model. */
async function planNight(setup: NightSetup, deps: NightDependencies, { store }: { store: boolean }): Promise<NightPlan> {
  const { config, totalSegments, nightAt } = setup;
  // Before any email goes out: a scope over the guard's thresholds is paused now, and the night skips it. The guard,
  // the study of the shop and the targeting read different items and need nothing of each other: they run at once.
  const latestNight = deps.runs.latest();
  const [guard, { pace, scoring, model, products }, policy] = await Promise.all([
    guardDeliverability(deps, config, { asOf: setup.asOf, at: nightAt }, { store }),
    latestNight.then((latest) =>
      studyShop(deps, config, {
        totalSegments,
        asOf: setup.asOf,
        nightAt,
        configVersion: setup.configVersion,
        shopSize: setup.shopSize,
        ...(latest ? { latest } : {}),
      }),
    ),
    planTargeting(deps.history, config, setup.asOf, nightAt),
  ]);
  const plan: NightPlan = {
    runId: setup.runId,
    asOf: setup.asOf,
    nightAt: nightAt.toISOString(),
    startedAt: setup.startedAt.toISOString(),
    configVersion: setup.configVersion,
    totalSegments,
    dailySendCap: config.guardrails.dailySendCap,
    pace,
    scoring,
    ...(model ? { model } : {}),
    ...(policy ? { policy } : {}),
    paused: { shop: guard.paused.shop, campaigns: [...guard.paused.campaigns].sort() },
    ...(products.products.length > 0 ? { products } : {}),
  };
  return planWarmUp(plan, setup, await latestNight, deps);
}

/** The sending domains of tonight's enabled campaigns: each has its own reputation to build. */
function sendingDomains(config: CampaignConfig): string[] {
  return [...new Set(config.campaigns.filter((campaign) => campaign.enabled).map((campaign) => sendingDomain(campaign.sender.fromAddress)))];
}

/**
 * Tonight's warm-up limit from the history the latest night carried forward, and, when it holds the night below
 * what it would send, the least value at stake that makes the cut: measured on up to as many customers as the model
 * is fitted on (every segment read at once, as the night reads them), by judging each one exactly as the night will
 * (nothing is written).
 */
async function planWarmUp(plan: NightPlan, setup: NightSetup, latest: NightSummary | undefined, deps: NightDependencies): Promise<NightPlan> {
  const { config } = setup;
  const settings = config.guardrails.warmUp;
  if (!settings.enabled) return plan;
  const domains = sendingDomains(config);
  // A night recorded before warm-up existed: its sends count for every domain of tonight's campaigns.
  const history = latest?.warmUp?.history ?? (latest ? Object.fromEntries(domains.map((domain) => [domain, { [latest.asOf]: sentOf(latest) }])) : {});
  const limit = warmUpLimit(settings, config.guardrails.dailySendCap, domains, history, setup.asOf);
  const campaignDomains = Object.fromEntries(
    config.campaigns.filter((campaign) => campaign.enabled).map((campaign) => [campaign.id, sendingDomain(campaign.sender.fromAddress)]),
  );
  const warmUp: NightWarmUp = { limit: limit.limit, warmingUp: limit.warmingUp, history, campaignDomains, lookbackDays: settings.lookbackDays };
  if (!limit.warmingUp) return { ...plan, warmUp };
  const context = { ...contextOf(plan, config, memoryBudget(0)), samples: {} };
  const values: number[] = [];
  const tally = emptyTally();
  const sampleSize = Math.max(paceSampleSize, config.classification.model.sampleSize);
  let seen = 0;
  let complete = true;
  // The segments are read at once, as the night reads them, each a page ahead of its judging: the whole shop (up to
  // the sample size) in about the time of the night's own scan, not in its segments one after the other.
  await eachSegment(plan.totalSegments, undefined, async (segment) => {
    const read = (cursor?: string) => {
      const page = deps.customers.scanPage({ segment, totalSegments: plan.totalSegments, ...(cursor ? { cursor } : {}) });
      page.catch(() => {}); // a page read ahead and not used must not become an unhandled rejection
      return page;
    };
    if (seen >= sampleSize) {
      complete = false;
      return;
    }
    let ahead: Promise<CustomerPage> | undefined = read();
    while (ahead) {
      const page: CustomerPage = await ahead;
      ahead = page.nextCursor ? read(page.nextCursor) : undefined;
      const now = deps.clock.now();
      for (const customer of page.customers) {
        seen += 1;
        const judged = judgeCustomer(customer, context, now, deps, tally);
        if (judged.candidate?.decision.kind === 'send') values.push(judged.candidate.classification.valueAtStakeMinor);
      }
      if (ahead && seen >= sampleSize) {
        complete = false;
        return;
      }
    }
  });
  const fraction = complete ? 1 : Math.min(1, seen / Math.max(seen, setup.shopSize));
  const threshold = warmUpThreshold(values, fraction, limit.limit);
  return { ...plan, dailySendCap: limit.limit, warmUp: { ...warmUp, ...(threshold !== undefined ? { minValueAtStakeMinor: threshold } : {}) } };
}

function sentOf(summary: NightSummary): number {
  return summary.emailsSent + (summary.emailsQueued ?? 0) + (summary.emailsScheduled ?? 0);
}

function contextOf(plan: NightPlan, config: CampaignConfig, budget: NightContext['budget'], sendConcurrency = 8): NightContext {
  const { model } = plan;
  return {
    runId: plan.runId,
    asOf: plan.asOf,
    nightAt: new Date(plan.nightAt),
    config,
    pace: plan.pace,
    totalSegments: plan.totalSegments,
    sendConcurrency,
    stop: {},
    budget,
    paused: { shop: plan.paused.shop, campaigns: new Set(plan.paused.campaigns) },
    ...(plan.products ? { products: plan.products } : {}),
    ...(plan.warmUp?.minValueAtStakeMinor !== undefined ? { warmUpMinValueMinor: plan.warmUp.minValueAtStakeMinor } : {}),
    ...(plan.policy ? { policy: customerPolicy(plan.policy) } : {}),
    ...(model ? { score: (customer: Customer) => classifyWithModel(customer, plan.asOf, plan.pace, config.classification, config.shop.timeZone, model) } : {}),
  };
}

function summarize(plan: NightPlan, tallies: readonly SegmentTally[], finishedAt: Date, stoppedBy?: string): NightSummary {
  const total = tallies.reduce(mergeTallies, emptyTally());
  const pausedScopes = [...(plan.paused.shop ? ['shop'] : []), ...plan.paused.campaigns];
  return {
    runId: plan.runId,
    asOf: plan.asOf,
    startedAt: plan.startedAt,
    configVersion: plan.configVersion,
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - new Date(plan.startedAt).getTime(),
    totalSegments: plan.totalSegments,
    shopPace: plan.pace,
    customersScanned: total.customersScanned,
    active: total.statuses.active,
    atRisk: total.statuses.at_risk,
    lost: total.statuses.lost,
    noOrders: total.statuses.no_orders,
    emailsSent: total.emailsSent,
    emailsQueued: total.queued,
    emailsScheduled: total.scheduled,
    heldOut: total.heldOut,
    sentByCampaign: Object.fromEntries(Object.entries(total.campaigns).map(([id, campaign]) => [id, campaign.sent + campaign.queued])),
    campaigns: total.campaigns,
    nightAt: plan.nightAt,
    scoring: plan.scoring,
    skipped: total.skipped,
    ...(stoppedBy ? { stoppedBy } : {}),
    ...(pausedScopes.length > 0 ? { paused: pausedScopes } : {}),
    ...(plan.policy ? { targeting: targetingSummary(plan.policy, total.campaigns)! } : {}),
    ...(plan.warmUp ? { warmUp: warmUpSummary(plan, total) } : {}),
  };
}

function warmUpSummary(plan: NightPlan, total: SegmentTally): NonNullable<NightSummary['warmUp']> {
  const warmUp = plan.warmUp!;
  const byDomain: Record<string, number> = {};
  for (const [campaignId, campaign] of Object.entries(total.campaigns)) {
    const domain = warmUp.campaignDomains[campaignId];
    if (domain) byDomain[domain] = (byDomain[domain] ?? 0) + campaign.sent + (campaign.queued ?? 0) + campaign.scheduled;
  }
  return {
    limit: warmUp.limit,
    warmingUp: warmUp.warmingUp,
    backlog: warmUp.warmingUp ? (total.skipped.warm_up ?? 0) + (total.skipped.daily_cap ?? 0) : 0,
    history: nextWarmUpHistory(warmUp.history, plan.asOf, byDomain, warmUp.lookbackDays),
  };
}

function mergeTallies(into: SegmentTally, from: SegmentTally): SegmentTally {
  into.customersScanned += from.customersScanned;
  into.emailsSent += from.emailsSent;
  into.queued += from.queued ?? 0;
  into.scheduled += from.scheduled;
  into.heldOut += from.heldOut;
  for (const [status, value] of Object.entries(from.statuses)) into.statuses[status as keyof SegmentTally['statuses']] += value;
  for (const [reason, value] of Object.entries(from.skipped)) into.skipped[reason as SkipReason] = (into.skipped[reason as SkipReason] ?? 0) + (value ?? 0);
  for (const [id, campaign] of Object.entries(from.campaigns)) {
    const target = (into.campaigns[id] ??= { sent: 0, queued: 0, scheduled: 0, heldOut: 0, byVariant: {} });
    target.sent += campaign.sent;
    target.queued += campaign.queued ?? 0;
    target.scheduled += campaign.scheduled;
    target.heldOut += campaign.heldOut;
    for (const [variant, value] of Object.entries(campaign.byVariant)) target.byVariant[variant] = (target.byVariant[variant] ?? 0) + value;
    if (campaign.targeting) target.targeting = mergeTargetingTally(target.targeting ?? emptyTargetingTally(), campaign.targeting);
  }
  return into;
}
