import type { CampaignConfig } from '../config/campaign-config.js';
import { toDecimalString } from '../domain/money.js';
import type { DiscountEstimate } from '../domain/report.js';
import type { Report } from '../domain/report-view.js';
import { defaultCalibrationNightCount, type History } from './report-history.js';

/** The report's notes: what each figure means and where it falls short, in the words a shop owner reads. */
export function notes(config: CampaignConfig, estimate: DiscountEstimate, minConversions: number, history: History): Report['notes'] {
  const currency = config.shop.currency;
  return {
    opened:
      'Opens are inflated by mail privacy features (Apple Mail Privacy Protection and image proxies open every email): shown for completeness, never used for a verdict. Clicks, orders and lift are what count.',
    conversions: `Conversions and revenue are orders attributed to an email (its coupon, else a click, else the latest email within ${config.attribution.windowDays} days): they include orders that would have happened anyway.`,
    lift: `Customers emailed against the holdout (never emailed, recorded as "would have been sent") chosen on the same nights: a customer converts with any counted order within ${config.attribution.windowDays} days after a night that chose them. 95% interval: Newcombe's hybrid score (Wilson) interval for the difference of two proportions, no continuity correction. Fewer than ${minConversions} conversions in both groups together is "too early to tell".`,
    discountCost: `An estimate: a percent coupon of p on a paid total T cost T x p / (100 - p); a fixed amount its value; free shipping ${estimate.freeShippingMinor > 0 ? `${toDecimalString(estimate.freeShippingMinor, currency)} ${currency} per order (--free-shipping-estimate)` : 'is counted as 0 (set --free-shipping-estimate)'}. Order totals are after the discount, so the net incremental revenue already excludes it.`,
    churn:
      'Per night with a run record: customers by status as that night classified them (the cadence rule or the fitted model: a change of method moves the shares by itself), as shares of the customers who have ordered.',
    reactivation: `Customers the nights recorded as at risk or lost in the range (chosen by a campaign: emailed, scheduled or held out; or skipped for a logged reason such as consent or the campaign's window), each once, from the first such night; reactivated when they placed a counted order within ${history.reactivationDays} days after that night. Customers left alone for the same reason since before the range have no record in it and are not counted. Nights whose window is still open are marked incomplete.`,
    calibration: `For each night that classified with a fitted model (at most ${defaultCalibrationNightCount} by default, spread over the range): every customer who had bought before it, their expected purchase days over the following days (up to ${history.calibrationDays}, and never beyond the latest night of record) against the purchase days that followed, by prior repeat purchase days. Histories are rebuilt from the purchase days the profiles keep.`,
    reasons:
      'Feedback: answers to the survey in the win-back emails of the nights in range (so from at-risk and lost customers), by campaign and by the night of the email. Reason codes: derived from the data (never stored); "now" is every customer at risk or lost as of the latest night of record; per campaign and night, the customers chosen, classified as of that night with that night\'s model, unless they ordered since (feedback or a complaint given since does count).',
    deliverability: `Bounce and complaint rates over the emails sent on the ${config.guardrails.deliverability.windowDays} nights up to the latest night that sent (every bounce counts, transient too); at least ${config.guardrails.deliverability.minVolume} sends, a bounce rate of ${config.guardrails.deliverability.bounceRatePause * 100}% or a complaint rate of ${Number((config.guardrails.deliverability.complaintRatePause * 100).toFixed(4))}% pauses the campaign (or all sending) at the start of the next night; resume with winback campaigns resume ID|shop.`,
  };
}
