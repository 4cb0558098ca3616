import pLimit from 'p-limit';
import type { CampaignConfig, ClassificationSettings } from '../config/campaign-config.js';
import { modelSummary, type NightModel, type ShopPace } from '../domain/classification.js';
import { type CalendarDate, daysBetween, median } from '../domain/dates.js';
import { type ProductStats, ProductStatsBuilder } from '../domain/recommendations.js';
import { fitModel, fitPurchaseModel } from '../domain/scoring/models.js';
import type { CustomerSummary, FittedGammaGamma } from '../domain/scoring/types.js';
import { nightModel, storedNightModel } from '../domain/stored-model.js';
import { unreadableProblem } from '../domain/unreadable-record.js';
import type { Clock } from '../ports/clock.js';
import type { CustomerRepository } from '../ports/customers.js';
import type { NightScoring } from '../ports/night-work.js';
import type { NightSummary } from '../ports/runs.js';

export interface StudyDependencies {
  readonly customers: Pick<CustomerRepository, 'scanPage'>;
  readonly clock: Clock;
}

export interface StudyNight {
  readonly totalSegments: number;
  readonly asOf: CalendarDate;
  readonly nightAt: Date;
  readonly configVersion: number;
  /** The shop's approximate number of customers: a fit is kept only while the shop stays within a tenth of its size. */
  readonly shopSize: number;
  /** The latest night's record: its model is classified by again while it is fresh (see `reusableFit`). */
  readonly latest?: Pick<NightSummary, 'asOf' | 'configVersion' | 'scoring'> & { readonly shopPace?: ShopPace };
}

export interface ShopStudy {
  readonly pace: ShopPace;
  readonly scoring: NightScoring;
  readonly model?: NightModel;
  readonly products: ProductStats;
}

/** One-time buyers' pace is measured on this many repeat customers' first gaps, and read from at least this many customers. */
export const paceSampleSize = 2_000;

/** Segments the study reads at once: a page of each in memory, the sample's summaries beside them. */
const studyConcurrency = 8;

/** What one segment's share of the sample contributed, kept in scan order so the study is the same on every run. */
interface SegmentShare {
  readonly gaps: number[];
  readonly summaries: CustomerSummary[];
}

/**
 * Before the night: a uniform sample of customers gives the shop's typical second-order gap for one-time buyers,
 * what it sells (the emails' recommendations) and, under `model` or `auto`, the summaries the model is fitted on.
 * Each scan segment holds a uniform share of the shop (DynamoDB spreads them over the key space), so the sample is
 * an equal share of each, read at once: the study of a shop the sample covers whole takes about one parallel scan,
 * not one segment after the other. Memory is bounded by the sample size. While the latest night's fit is fresh, the
 * night classifies by it and its pace, and reads only the products' sample: the model's parameters describe the
 * shop's customers, not the night, and most nights would otherwise read the whole shop twice.
 */
export async function studyShop(deps: StudyDependencies, config: CampaignConfig, night: StudyNight): Promise<ShopStudy> {
  const { totalSegments, asOf, nightAt, shopSize } = night;
  const settings = config.classification;
  const wantModel = settings.policy !== 'rule';
  const earlier = wantModel ? reusableFit(night.latest, settings, { asOf, configVersion: night.configVersion, shopSize }) : undefined;
  const earlierModel = earlier ? storedNightModel(earlier, settings) : undefined;
  const fit = wantModel && !earlierModel;
  const sampleSize = fit ? Math.max(paceSampleSize, settings.model.sampleSize) : paceSampleSize;
  const products = new ProductStatsBuilder(nightAt);
  const limit = pLimit(studyConcurrency);
  const shares = await Promise.all(
    Array.from({ length: totalSegments }, (_, segment) =>
      limit(() => studySegment(deps, config, { segment, totalSegments, quota: shareOf(sampleSize, segment, totalSegments) }, asOf, fit, products)),
    ),
  );
  const gaps = shares.flatMap((share) => share.gaps).slice(0, paceSampleSize);
  const measured = median(gaps);
  const pace: ShopPace =
    measured === undefined || gaps.length < settings.minRepeatCustomersForShopGap
      ? { secondOrderGapDays: settings.fallbackSecondOrderGapDays, measuredOn: 0 }
      : { secondOrderGapDays: Math.round(measured), measuredOn: gaps.length };
  // The pace goes with the fit it was measured beside (on the model's sample, not the smaller one read tonight), so
  // a kept fit classifies as it did on the night it was made.
  if (earlier && earlierModel) return { pace: night.latest?.shopPace ?? pace, scoring: earlier, model: earlierModel, products: products.build() };
  const summaries = shares.flatMap((share) => share.summaries);
  return { pace, ...fitShop(config, summaries, { asOf, shopSize }), products: products.build() };
}

/**
 * The latest night's fit, if tonight may classify by it: it was fitted under tonight's config version and model
 * settings, at most `refitAfterDays - 1` days before tonight (not after: a replayed earlier night fits its own), and
 * on a shop within a tenth of tonight's size. Otherwise undefined, and tonight fits again.
 */
export function reusableFit(
  latest: StudyNight['latest'],
  settings: ClassificationSettings,
  night: { readonly asOf: CalendarDate; readonly configVersion: number; readonly shopSize: number },
): NightScoring | undefined {
  const scoring = latest?.scoring;
  if (!latest || scoring?.used !== 'model' || latest.configVersion !== night.configVersion) return undefined;
  // A preview of a config not yet applied shares the version in force: its model settings are checked as well.
  if (scoring.model?.model !== settings.model.kind || scoring.model.penalty !== settings.model.penalty) return undefined;
  const fittedAsOf = scoring.fittedAsOf ?? latest.asOf;
  const age = daysBetween(fittedAsOf, night.asOf);
  if (!(age >= 0 && age < settings.model.refitAfterDays)) return undefined;
  const fittedOn = scoring.shopSize;
  if (fittedOn === undefined || Math.abs(night.shopSize - fittedOn) > fittedOn / 10) return undefined;
  return { ...scoring, fittedAsOf };
}

/** The sample's share of a segment: the sample split as evenly as the segments allow, the first ones one more. */
function shareOf(sampleSize: number, segment: number, totalSegments: number): number {
  return Math.floor(sampleSize / totalSegments) + (segment < sampleSize % totalSegments ? 1 : 0);
}

async function studySegment(
  deps: StudyDependencies,
  config: CampaignConfig,
  position: { segment: number; totalSegments: number; quota: number },
  asOf: CalendarDate,
  fit: boolean,
  products: ProductStatsBuilder,
): Promise<SegmentShare> {
  const share: SegmentShare = { gaps: [], summaries: [] };
  const { segment, totalSegments, quota } = position;
  let seen = 0;
  let cursor: string | undefined;
  while (seen < quota) {
    // No more than the share is read: a page of DynamoDB's 1 MB would be thousands of customers for a share of 500.
    const page = await deps.customers.scanPage({ segment, totalSegments, limit: quota - seen, ...(cursor ? { cursor } : {}) });
    for (const customer of page.customers) {
      // Left out of the fit as the segments leave it out of the night (counted there as unreadable_record).
      if (unreadableProblem(customer, deps.clock.now(), config.shop.timeZone)) continue;
      seen += 1;
      if (customer.summary.firstRepeatGapDays !== undefined) share.gaps.push(customer.summary.firstRepeatGapDays);
      // The latest orders of the sample teach the night the shop's products: what sells, and what sells together.
      products.add(customer.summary.lastItems, customer.summary.lastOrderAt);
      const summary = fit ? modelSummary(customer, asOf, config.shop.timeZone) : undefined;
      if (summary) share.summaries.push(summary);
    }
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return share;
}

/** The model fitted on the sample's summaries, or why the night classifies by the cadence rule instead. */
function fitShop(
  config: CampaignConfig,
  summaries: readonly CustomerSummary[],
  fitted: { readonly asOf: CalendarDate; readonly shopSize: number },
): Pick<ShopStudy, 'scoring' | 'model'> {
  const settings = config.classification;
  const repeatCustomers = summaries.filter((summary) => summary.x > 0).length;
  const base = { policy: settings.policy, sampleSize: summaries.length, repeatCustomers };
  if (settings.policy === 'rule') return { scoring: { ...base, used: 'rule' } };
  if (settings.policy === 'auto' && (summaries.length < settings.model.minCustomers || repeatCustomers < settings.model.minRepeatCustomers)) {
    const reason = `too little history for the model: ${summaries.length} customers (${repeatCustomers} repeat), needs ${settings.model.minCustomers} (${settings.model.minRepeatCustomers} repeat)`;
    return { scoring: { ...base, used: 'rule', reason } };
  }
  const purchases = fitPurchaseModel(settings.model.kind, summaries, { timeUnit: 'days', penalty: settings.model.penalty });
  if (!purchases.converged) {
    return {
      scoring: {
        ...base,
        used: 'rule',
        reason: `the ${settings.model.kind} fit did not converge: ${purchases.diagnostic ?? 'no diagnostic'}`,
        model: purchases,
      },
    };
  }
  const repeaters = summaries.filter((summary) => summary.x > 0 && (summary.monetary ?? 0) > 0);
  const spend =
    repeaters.length >= 20 ? (fitModel('gamma-gamma', repeaters, { timeUnit: 'days', penalty: settings.model.penalty }) as FittedGammaGamma) : undefined;
  return {
    scoring: { ...base, used: 'model', model: purchases, ...(spend ? { spendModel: spend } : {}), fittedAsOf: fitted.asOf, shopSize: fitted.shopSize },
    model: nightModel(purchases, spend, settings),
  };
}
