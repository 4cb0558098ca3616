import type { CampaignConfig } from '../config/campaign-config.js';
import { addDays, type CalendarDate } from './dates.js';
import type { SentEntry } from './sends.js';

/**
 * The deliverability guard: rolling bounce and complaint rates over recent sends, and the decision to pause a
 * campaign (or all sending) before SES reviews the account. Pure: the night reads the sends and the pause records,
 * this decides, the night stores what it decided.
 *
 * - Rates are per email sent (status `sent`) in the window, counting the hard (permanent) bounces and complaints
 *   recorded on those sends, as SES counts them; a transient bounce is recorded as `softBounced` and does not count.
 * - A pause also needs at least `minComplaints` complaints: one complaint in a few hundred sends is noise, not a trend.
 * - The window is the last `windowDays` nights (the ledger's asOf, so a quiet-hours send that went out in the morning
 *   belongs to its night, and the clock time a night happens to start at moves nothing in or out), but never reaches
 *   back past the scope's latest resume, so a campaign resumed on purpose is not paused again by the very sends that
 *   paused it.
 * - A pause stays until someone resumes it explicitly (`winback campaigns resume ID|shop`), even when the window
 *   later rolls past the bad sends: a marketer decides that the cause is fixed, not the calendar.
 */
export type DeliverabilitySettings = CampaignConfig['guardrails']['deliverability'];

export type PauseScope = { readonly kind: 'shop' } | { readonly kind: 'campaign'; readonly campaignId: string };

/** The sends measured: those of the nights firstNight to lastNight, completed after the latest resume if any. */
export interface GuardWindow {
  readonly firstNight: CalendarDate;
  readonly lastNight: CalendarDate;
  /** The scope's latest explicit resume, UTC ISO-8601: only sends completed after it count. */
  readonly resumedAt?: string;
}

export interface DeliverabilityRates extends GuardWindow {
  readonly sent: number;
  readonly bounced: number;
  readonly complained: number;
  /** 0 when nothing was sent. */
  readonly bounceRate: number;
  readonly complaintRate: number;
}

export type PauseReason = 'bounce_rate' | 'complaint_rate';

export interface PauseRecord {
  readonly scope: PauseScope;
  readonly state: 'paused' | 'resumed';
  readonly reasons: readonly PauseReason[];
  /** Plain words, for the report, the console and the alert. */
  readonly reason: string;
  readonly rates: DeliverabilityRates;
  readonly thresholds: DeliverabilitySettings;
  /** When the guard paused it (the night's instant). */
  readonly at: string;
  readonly resumedAt?: string;
  readonly resumedBy?: string;
}

export type GuardVerdict =
  | { readonly pause: false; readonly why: 'below_min_volume' | 'within_limits' }
  | { readonly pause: true; readonly reasons: readonly PauseReason[]; readonly reason: string };

export function scopeKey(scope: PauseScope): string {
  return scope.kind === 'shop' ? 'SHOP' : `CAMPAIGN#${scope.campaignId}`;
}

export function scopeName(scope: PauseScope): string {
  return scope.kind === 'shop' ? 'all sending' : `campaign ${scope.campaignId}`;
}

/** Parses what `winback campaigns resume` is given: `shop` (all sending) or a campaign id. */
export function parseScope(text: string): PauseScope {
  return text === 'shop' ? { kind: 'shop' } : { kind: 'campaign', campaignId: text };
}

/** The windowDays nights ending with `lastNight`, after the latest of the given resumes. */
export function guardWindow(
  lastNight: CalendarDate,
  settings: Pick<DeliverabilitySettings, 'windowDays'>,
  resumes: readonly (string | undefined)[] = [],
): GuardWindow {
  const resumedAt = resumes.reduce<string | undefined>((latest, at) => (at !== undefined && (latest === undefined || at > latest) ? at : latest), undefined);
  return { firstNight: addDays(lastNight, -(settings.windowDays - 1)), lastNight, ...(resumedAt ? { resumedAt } : {}) };
}

/** Bounce and complaint rates of the emails sent in the window. */
export function measureDeliverability(sends: Iterable<SentEntry>, window: GuardWindow): DeliverabilityRates {
  let sent = 0;
  let bounced = 0;
  let complained = 0;
  for (const send of sends) {
    if (send.status !== 'sent' || send.completedAt === undefined) continue;
    if (send.asOf < window.firstNight || send.asOf > window.lastNight) continue;
    if (window.resumedAt !== undefined && send.completedAt <= window.resumedAt) continue;
    sent += 1;
    if (send.events?.bounced !== undefined) bounced += 1;
    if (send.events?.complained !== undefined) complained += 1;
  }
  return { ...window, sent, bounced, complained, bounceRate: sent > 0 ? bounced / sent : 0, complaintRate: sent > 0 ? complained / sent : 0 };
}

/**
 * Pause when at least minVolume emails went out in the window and a rate reaches its threshold ("reaches": a rate
 * exactly at the threshold pauses). Compared in whole counts (events >= threshold x sent, with a hair of tolerance
 * for the binary form of 0.0008), so 1 complaint in 1250 sends is exactly 0.08%, not a rounding error either side.
 */
export function guardVerdict(rates: DeliverabilityRates, settings: DeliverabilitySettings): GuardVerdict {
  if (rates.sent < settings.minVolume) return { pause: false, why: 'below_min_volume' };
  const reaches = (events: number, threshold: number) => events >= threshold * rates.sent * (1 - 1e-12);
  const reasons: PauseReason[] = [];
  if (reaches(rates.bounced, settings.bounceRatePause)) reasons.push('bounce_rate');
  if (reaches(rates.complained, settings.complaintRatePause) && rates.complained >= (settings.minComplaints ?? 1)) reasons.push('complaint_rate');
  if (reasons.length === 0) return { pause: false, why: 'within_limits' };
  const words = reasons.map((reason) =>
    reason === 'bounce_rate'
      ? `bounce rate ${percent(rates.bounceRate)} (${rates.bounced} of ${rates.sent}) reached ${percent(settings.bounceRatePause)}`
      : `complaint rate ${percent(rates.complaintRate)} (${rates.complained} of ${rates.sent}) reached ${percent(settings.complaintRatePause)}`,
  );
  return { pause: true, reasons, reason: `${words.join('; ')} over the ${settings.windowDays} nights to ${rates.lastNight}` };
}

export interface GuardEvaluation {
  /** Every scope measured tonight, with its rates and verdict. */
  readonly measured: readonly { readonly scope: PauseScope; readonly rates: DeliverabilityRates; readonly verdict: GuardVerdict }[];
  /** Pauses to store now: scopes that crossed a threshold and were not paused already. */
  readonly newPauses: readonly PauseRecord[];
  /** Everything paused after tonight's evaluation: stored pauses still in force plus the new ones. */
  readonly paused: PausedScopes;
}

export interface PausedScopes {
  readonly shop: boolean;
  readonly campaigns: ReadonlySet<string>;
}

export function isPaused(paused: PausedScopes | undefined, campaignId: string): boolean {
  return paused !== undefined && (paused.shop || paused.campaigns.has(campaignId));
}

/**
 * The guard's decision for a night: the shop and each campaign measured over their windows; a scope that reaches a
 * threshold and is not paused yet gets a new pause record. Campaigns are those of the config and any with sends in
 * the window (a campaign removed from the config pauses nothing, but is measured for the shop's rate all the same).
 */
export function evaluateGuard(input: {
  readonly sends: readonly SentEntry[];
  readonly pauses: readonly PauseRecord[];
  readonly settings: DeliverabilitySettings;
  readonly campaignIds: readonly string[];
  /** The last night measured (tonight's guard measures the nights before tonight). */
  readonly lastNight: CalendarDate;
  /** When the evaluation happens: the time a new pause is stamped with. */
  readonly at: string;
}): GuardEvaluation {
  const { sends, pauses, settings, at } = input;
  const byScope = new Map(pauses.map((record) => [scopeKey(record.scope), record]));
  const shopResume = byScope.get('SHOP')?.resumedAt;
  const scopes: PauseScope[] = [{ kind: 'shop' }, ...input.campaignIds.map((campaignId) => ({ kind: 'campaign' as const, campaignId }))];
  const measured = scopes.map((scope) => {
    const own = byScope.get(scopeKey(scope))?.resumedAt;
    // Resuming all sending starts every campaign's window afresh too.
    const window = guardWindow(input.lastNight, settings, scope.kind === 'shop' ? [own] : [own, shopResume]);
    const inScope = scope.kind === 'shop' ? sends : sends.filter((send) => send.campaignId === scope.campaignId);
    const rates = measureDeliverability(inScope, window);
    return { scope, rates, verdict: guardVerdict(rates, settings) };
  });
  const newPauses: PauseRecord[] = [];
  for (const { scope, rates, verdict } of measured) {
    if (!verdict.pause || byScope.get(scopeKey(scope))?.state === 'paused') continue;
    newPauses.push({ scope, state: 'paused', reasons: verdict.reasons, reason: verdict.reason, rates, thresholds: settings, at });
  }
  const inForce = [...pauses.filter((record) => record.state === 'paused'), ...newPauses];
  return {
    measured,
    newPauses,
    paused: {
      shop: inForce.some((record) => record.scope.kind === 'shop'),
      campaigns: new Set(inForce.flatMap((record) => (record.scope.kind === 'campaign' ? [record.scope.campaignId] : []))),
    },
  };
}

function percent(rate: number): string {
  // Complaint thresholds live in hundredths of a percent: enough digits to tell 0.08% from 0.1%.
  return `${Number((rate * 100).toFixed(rate < 0.01 ? 3 : 2))}%`;
}
