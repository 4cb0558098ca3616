import { parseCampaignConfig } from '../config/campaign-config.js';
import { addDays, type CalendarDate } from '../domain/dates.js';
import type { PauseScope } from '../domain/deliverability.js';
import { parseDecimalAmount } from '../domain/money.js';
import { campaignMetrics, type DiscountEstimate, defaultMinConversions, groupOutcome, liftUnits, measureLift } from '../domain/report.js';
import { feedbackDistribution, measureReactivation, type NightRecord } from '../domain/report-churn.js';
import type { CampaignReport, Report, WarmUpView } from '../domain/report-view.js';
import type { ReportedSend } from '../domain/sends.js';
import { ledgerUnits } from '../domain/uplift/ledger-training.js';
import type { CampaignConfigStore } from '../ports/campaign-configs.js';
import type { Clock } from '../ports/clock.js';
import type { ReportSource } from '../ports/report-source.js';
import { historyOf } from './report-history.js';
import { notes } from './report-notes.js';
import { outcomesOf } from './report-orders.js';
import { readProfiles, reasonCodes } from './report-reasons.js';
import { upliftOf } from './report-uplift.js';
import {
  calibrationView,
  deliverabilityView,
  groupView,
  inForce,
  liftView,
  metricsView,
  pauseView,
  reactivationView,
  round,
  variantRows,
} from './report-views.js';
import { NoCampaignConfigError } from './run-night.js';

export type {
  CampaignReport,
  ChurnView,
  DeliverabilityView,
  GroupView,
  LiftView,
  MetricsView,
  PauseView,
  ReasonGroup,
  ReasonsView,
  Report,
  UpliftView,
  WarmUpView,
} from '../domain/report-view.js';

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

const earliest = '0000-01-01';
const latest = '9999-12-31';

/**
 * The campaign report: the funnel from the ledger, the lift from the treated and holdout customers' orders, and the
 * deliverability guard's view, for the nights in range. Reads the ledger once (a scan, which also gathers the orders
 * of the customers it names where the source can), then the customer profiles a page at a time (keeping only those of
 * the customers the campaigns chose), and the orders of any customer in a campaign the scan did not vouch for (a
 * key-range query each).
 */
export async function buildReport(deps: ReportDependencies, options: ReportOptions = {}): Promise<Report> {
  const stored = await deps.configs.latest();
  if (!stored) throw new NoCampaignConfigError();
  const config = parseCampaignConfig(stored.raw);
  const settings = config.guardrails.deliverability;
  const windowDays = config.attribution.windowDays;
  const estimate: DiscountEstimate = {
    freeShippingMinor: options.freeShippingEstimate === undefined ? 0 : parseDecimalAmount(options.freeShippingEstimate, config.shop.currency),
  };
  const from = options.from ?? earliest;
  const to = options.to ?? latest;
  if (from > to) throw new RangeError(`--from ${from} is after --to ${to}`);

  // The guard's window reaches back before --from: read that much more of the ledger.
  const recordsFrom = options.from ? addDays(options.from, -(settings.windowDays + 1)) : earliest;
  // The orders come with the ledger, from its first night on (a day early for the shop's time zone): a span that starts
  // before that is read on its own.
  const records = await deps.source.records(recordsFrom, to, { ordersSince: options.from ? `${addDays(recordsFrom, -1)}T00:00:00.000Z` : '' });
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
  const { outcomes, ordersOf } = await outcomesOf(
    liftUnits(reported),
    history.reactivationUnits,
    deps.source,
    windowDays,
    estimate,
    options.concurrency ?? 16,
    records.orders,
  );
  const pauses = await deps.configs.pauses();
  // The guard's window ends with the latest night that sent anything up to --to: what the next night would judge.
  const lastNight = latestNight(scanned) ?? options.to ?? deps.clock.now().toISOString().slice(0, 10);
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
      byStep: [...funnel.byStep.entries()]
        .sort(([a], [b]) => a - b)
        .map(([step, row]) => ({ step, ...(campaign?.steps[step] ? { delayDays: campaign.steps[step].delayDays } : {}), ...metricsView(row, currency) })),
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
      ...warmUpOf((history.latestNight ? history.nights.get(history.latestNight) : undefined) ?? records.latestRun),
    },
    campaigns,
    churn: {
      nights: history.churn.map((night) => ({
        ...night,
        shares: { active: round(night.shares.active), atRisk: round(night.shares.atRisk), lost: round(night.shares.lost) },
      })),
      reactivation: reactivationView(
        measureReactivation(history.reactivationUnits, ordersOf, attributedOrders(scanned), history.reactivationDays, history.dataEnd),
        history.reactivationDays,
      ),
      calibration: { maxHorizonDays: history.calibrationDays, nights: profiles.calibration.map(calibrationView) },
    },
    reasons: {
      feedback: feedbackDistribution(reported, options.commentLimit ?? 200),
      codes: reasonCodes(records, reported, config, history, profiles),
    },
    notes: notes(config, estimate, liftSettings.minConversions, history),
  };
}

function warmUpOf(run: NightRecord | undefined): { warmUp?: WarmUpView } {
  if (!run?.warmUp) return {};
  const { limit, warmingUp, backlog } = run.warmUp;
  return { warmUp: { night: run.asOf, limit, warmingUp, backlog } };
}

function attributedOrders(sends: readonly ReportedSend[]): Set<string> {
  return new Set(sends.flatMap((send) => (send.attribution ? [send.attribution.orderId] : [])));
}

function latestNight(sends: readonly ReportedSend[]): CalendarDate | undefined {
  let found: CalendarDate | undefined;
  for (const send of sends) if (send.status === 'sent' && (found === undefined || send.asOf > found)) found = send.asOf;
  return found;
}
