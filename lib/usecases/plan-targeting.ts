import pLimit from 'p-limit';
import type { CampaignConfig } from '../config/campaign-config.js';
import { addDays, type CalendarDate } from '../domain/dates.js';
import type { ReportOrder } from '../domain/report.js';
import { type CampaignHistory, campaignHistories, ledgerUnits } from '../domain/uplift/ledger-training.js';
import { type PolicyPlan, planCampaignPolicy } from '../domain/uplift/night-policy.js';
import type { NightTargeting } from '../domain/uplift/uplift-report.js';
import type { TargetingTally } from '../ports/night-work.js';
import type { ReportSource } from '../ports/report-source.js';

/** The ledger and the orders, as the night's start reads them to learn whom the email moves. */
export type TargetingHistory = Pick<ReportSource, 'records' | 'ordersOf'>;

/** How far back the night learns from: a year of sends and holdouts (older customers and offers have moved on). */
export const targetingHistoryNights = 365;
const dayMs = 86_400_000;

export const emptyTargetingTally = (): TargetingTally => ({
  skipped: { sure_thing: 0, lost_cause: 0, do_not_disturb: 0 },
  explored: 0,
  marginSavedMinor: 0,
  discountSavedMinor: 0,
});

export function mergeTargetingTally(into: TargetingTally, from: TargetingTally): TargetingTally {
  for (const reason of ['sure_thing', 'lost_cause', 'do_not_disturb'] as const) into.skipped[reason] += from.skipped?.[reason] ?? 0;
  into.explored += from.explored ?? 0;
  into.marginSavedMinor += from.marginSavedMinor ?? 0;
  into.discountSavedMinor += from.discountSavedMinor ?? 0;
  return into;
}

/**
 * Once per night, before any customer: for each enabled campaign under `targeting: "uplift"` or Thompson allocation,
 * the training rows from the ledger (sends and holdouts of the last year whose attribution windows have closed, with
 * the features stored at decision time, and their customers' orders), then the campaign's plan (night-policy.ts).
 * Without a history source (a test's minimal dependencies) every such campaign falls back to `everyone` and says so.
 */
export async function planTargeting(
  history: TargetingHistory | undefined,
  config: CampaignConfig,
  asOf: CalendarDate,
  nightAt: Date,
): Promise<PolicyPlan | undefined> {
  const wanted = config.campaigns.filter(
    (campaign) =>
      campaign.enabled && (campaign.targeting === 'uplift' || (campaign.experiment.allocation === 'thompson' && campaign.experiment.variants.length > 1)),
  );
  if (wanted.length === 0) return undefined;
  const windowDays = config.attribution.windowDays;
  const ids = new Set(wanted.map((campaign) => campaign.id));
  let histories = new Map<string, CampaignHistory>();
  if (history) {
    const records = await history.records(addDays(asOf, -targetingHistoryNights), addDays(asOf, -1));
    const units = ledgerUnits(
      records.sends.filter((send) => ids.has(send.campaignId)),
      windowDays,
      nightAt.toISOString(),
    );
    // One read per customer, over their exposures' windows.
    const spans = new Map<string, { since: string; until: string }>();
    for (const unit of units) {
      for (const at of unit.exposures) {
        const until = new Date(Date.parse(at) + windowDays * dayMs).toISOString();
        const span = spans.get(unit.customerId);
        spans.set(unit.customerId, span ? { since: at < span.since ? at : span.since, until: until > span.until ? until : span.until } : { since: at, until });
      }
    }
    const limit = pLimit(16);
    const orders = new Map<string, ReportOrder[]>(
      await Promise.all(
        [...spans].map(([customerId, span]) => limit(async () => [customerId, await history.ordersOf(customerId, span.since, span.until)] as const)),
      ),
    );
    const margins = new Map(wanted.map((campaign) => [campaign.id, campaign.economics.orderMarginPercent]));
    histories = campaignHistories(
      units,
      (customerId) => orders.get(customerId) ?? [],
      windowDays,
      (id) => margins.get(id) ?? 100,
      { freeShippingMinor: 0 },
    );
  }
  // The same night gives the same plan (its folds and draws): a retried start agrees with the first.
  const seed = Number(asOf.replaceAll('-', '')) % 2_147_483_647;
  return Object.fromEntries(wanted.map((campaign) => [campaign.id, planCampaignPolicy(campaign, histories.get(campaign.id), seed)]));
}

/** The night's summary of each planned campaign: what was in force and why, what it skipped and saved, the offers. */
export function targetingSummary(
  plan: PolicyPlan | undefined,
  tallies: Readonly<Record<string, { targeting?: TargetingTally }>>,
): Record<string, NightTargeting> | undefined {
  if (!plan) return undefined;
  return Object.fromEntries(
    Object.entries(plan).map(([id, campaign]): [string, NightTargeting] => {
      const tally = tallies[id]?.targeting ?? emptyTargetingTally();
      return [
        id,
        {
          targeting: campaign.targeting,
          used: campaign.used,
          ...(campaign.reason ? { reason: campaign.reason } : {}),
          ...(campaign.cvQini !== undefined ? { cvQini: campaign.cvQini } : {}),
          treated: campaign.treated,
          control: campaign.control,
          skipped: tally.skipped,
          explored: tally.explored,
          marginSavedMinor: Math.round(tally.marginSavedMinor),
          discountSavedMinor: Math.round(tally.discountSavedMinor),
          ...(campaign.allocation
            ? {
                offers: Object.fromEntries(
                  Object.entries(campaign.allocation).map(([segment, allocation]) => [segment, { leader: allocation.leader, shares: allocation.shares }]),
                ),
              }
            : {}),
        },
      ];
    }),
  );
}
