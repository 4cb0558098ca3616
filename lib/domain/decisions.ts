import type { Campaign, CampaignConfig } from '../config/campaign-config.js';
import { assignArm } from './assignment.js';
import type { Classification } from './classification.js';
import { type Customer, emailableConsentStates, type Journey } from './customer.js';
import { type CalendarDate, calendarDateIn, daysBetween, daysBetweenInstants } from './dates.js';
import { isDeliverableAddress } from './email.js';
import { type CustomerPolicy, featuresFor, variantFor } from './uplift/night-policy.js';
import type { DecisionFeatures } from './uplift/targeting.js';

/** Why a customer was not emailed tonight; every customer scanned ends with "sent", "held out" or one of these. */
export const skipReasons = [
  'active',
  'no_orders',
  'no_email',
  'unsubscribed',
  'no_consent',
  'no_campaign',
  'beyond_window',
  'below_threshold',
  'audience_filter',
  'cooldown',
  'waiting_next_step',
  'sequence_complete',
  'already_sent',
  'frequency_cap',
  'daily_cap',
  'warm_up',
  'suppressed',
  'send_failed',
  'failed_before',
  'render_failed',
  'render_paused',
  'send_unconfirmed',
  'sending_paused',
  'campaign_paused',
  'unreadable_record',
  'sure_thing',
  'lost_cause',
  'do_not_disturb',
] as const;
export type SkipReason = (typeof skipReasons)[number];

/** Plain words for each reason, for the report and the console. */
export const skipReasonMeanings: Record<SkipReason, string> = {
  active: 'still buying at their usual pace',
  no_orders: 'has never ordered',
  no_email: 'no valid email address',
  unsubscribed: 'unsubscribed from marketing email',
  no_consent: 'never gave consent to marketing email',
  no_campaign: 'no enabled campaign for their status',
  beyond_window: 'gone longer than the campaign reaches back',
  below_threshold: 'value at stake below the campaign threshold',
  audience_filter: "outside the campaign's audience filters",
  cooldown: 'left this campaign recently; waiting out the cooldown',
  waiting_next_step: 'in a sequence; the next step is not due yet',
  sequence_complete: 'had every step of the campaign for this lapse',
  already_sent: 'this step already went out for this lapse',
  frequency_cap: 'reached the frequency cap across campaigns',
  daily_cap: "the shop's daily send cap was reached",
  warm_up: 'waiting for a later night: the sending domain is warming up, and customers with more at stake go first',
  suppressed: 'on the suppression list (bounce, complaint, opt-out)',
  send_failed: 'SES refused the message (never retried) or throttled it out (tried again another night)',
  failed_before: 'SES refused this step on an earlier night; it is not retried, and the sequence stops there',
  render_failed: 'the email did not render for this customer (see the logs); nothing was reserved',
  render_paused: "this campaign's emails kept failing to render tonight (see the logs), so it stopped for the rest of the night; fix its template",
  send_unconfirmed: 'SES may or may not have sent it; never resent, to avoid doubles',
  sending_paused: 'sending stopped for the night (SES paused or suspended the account, or IAM denied sending)',
  campaign_paused:
    'the deliverability guard paused this campaign (or all sending) after too many bounces or complaints; resume with `winback campaigns resume`',
  unreadable_record: 'the stored customer record could not be read',
  sure_thing: 'uplift targeting: likely to order anyway; the email (and its offer) would mostly give margin away',
  lost_cause: 'uplift targeting: unlikely to order, emailed or not; the email would cost more than it brings',
  do_not_disturb: 'uplift targeting: the email is expected to make them less likely to order',
};

export interface StepDecision {
  readonly campaign: Campaign;
  readonly episode: string;
  readonly step: number;
  /** The variant id, or 'holdout'. */
  readonly arm: string;
  /** The journey after this step, to store on the customer once the step is recorded. */
  readonly journey: Journey;
  /** Step 0: what the night knew of the customer, kept in the ledger for the uplift learner. */
  readonly features?: DecisionFeatures;
  /** Chosen although uplift targeting would have skipped them: the exploration share that keeps learning going. */
  readonly explored?: boolean;
}

/** For a customer uplift targeting skipped: the expected incremental margin (negative) and the discount not given away. */
export interface TargetingSaving {
  readonly marginMinor: number;
  readonly discountSavedMinor: number;
}

export type Decision =
  | { readonly kind: 'skip'; readonly reason: SkipReason; readonly campaignId?: string; readonly targeting?: TargetingSaving }
  | ({ readonly kind: 'send' } & StepDecision)
  | ({ readonly kind: 'hold' } & StepDecision);

/**
 * Tonight's decision for one customer, from their own item alone. The suppression list, the ledger, the daily
 * cap and quiet hours come after, because they need a read, a conditional write or the whole night's count.
 * `policy` is the night's plan for uplift targeting and offer sizing (absent: every campaign emails everyone eligible,
 * with its configured variant weights).
 */
export function decide(
  customer: Customer,
  classification: Classification,
  config: CampaignConfig,
  asOf: CalendarDate,
  now: Date,
  policy?: CustomerPolicy,
): Decision {
  if (classification.status === 'active' || classification.status === 'no_orders') return skip(classification.status);
  if (!isDeliverableAddress(customer.email)) return skip('no_email');
  if (customer.consent.state === 'unsubscribed') return skip('unsubscribed');
  if (!emailableConsentStates.has(customer.consent.state)) return skip('no_consent');

  const episode = calendarDateIn(customer.summary.lastOrderAt!, config.shop.timeZone);
  const candidates = config.campaigns
    .filter((campaign) => campaign.enabled && campaign.audience.status === classification.status)
    .sort((a, b) => b.priority - a.priority);
  if (candidates.length === 0) return skip('no_campaign');
  const eligible = candidates.filter((campaign) => audienceMiss(campaign, customer, classification) === undefined);
  if (eligible.length === 0) return skip(audienceMiss(candidates[0]!, customer, classification)!, candidates[0]!.id);

  const journey = customer.journey?.episode === episode ? customer.journey : undefined;
  const current = journey ? eligible.find((campaign) => campaign.id === journey.campaignId) : undefined;
  if (journey && current) return continueJourney(journey, current, asOf, now, customer, config);

  const exits = exitsOf(customer, episode);
  const open = eligible.filter(
    (campaign) => !inCooldown(exits[campaign.id], now, config.guardrails.cooldownDays) && !(journey && journey.campaignId === campaign.id),
  );
  if (open.length === 0) return skip('cooldown', eligible[0]!.id);
  const campaign = open[0]!;
  if (capReached(customer, now, config)) return skip('frequency_cap', campaign.id);
  const assignment = assignArm(customer.customerId, policy?.campaignFor(campaign, customer, classification) ?? campaign);
  // A holdout customer is judged on the offer they would have got, so both arms are chosen by the same rule and
  // their comparison (the lift, the learner's rows) stays a randomized one.
  const variant = assignment.arm === 'treatment' ? assignment.variant : variantFor(customer.customerId, campaign);
  const features = featuresFor(customer, classification, campaign, variant, now);
  const verdict = policy?.target(campaign, customer, classification, variant, features);
  if (verdict && !verdict.email)
    return {
      kind: 'skip',
      reason: verdict.reason,
      campaignId: campaign.id,
      targeting: { marginMinor: verdict.marginMinor, discountSavedMinor: verdict.discountSavedMinor },
    };
  const arm = assignment.arm === 'holdout' ? 'holdout' : assignment.variant.id;
  const next: Journey = { campaignId: campaign.id, episode, arm, startedOn: asOf, nextStep: 1, lastStepAt: now.toISOString() };
  return {
    kind: arm === 'holdout' ? 'hold' : 'send',
    campaign,
    episode,
    step: 0,
    arm,
    journey: next,
    features,
    ...(verdict?.explored ? { explored: true } : {}),
  };
}

function continueJourney(journey: Journey, campaign: Campaign, asOf: CalendarDate, now: Date, customer: Customer, config: CampaignConfig): Decision {
  if (calendarDateIn(journey.lastStepAt, config.shop.timeZone) === asOf) return skip('already_sent', campaign.id);
  if (journey.nextStep >= campaign.steps.length) return skip('sequence_complete', campaign.id);
  const step = campaign.steps[journey.nextStep]!;
  if (daysBetween(journey.startedOn, asOf) < step.delayDays) return skip('waiting_next_step', campaign.id);
  if (journey.arm !== 'holdout' && capReached(customer, now, config)) return skip('frequency_cap', campaign.id);
  const next: Journey = { ...journey, nextStep: journey.nextStep + 1, lastStepAt: now.toISOString() };
  return { kind: journey.arm === 'holdout' ? 'hold' : 'send', campaign, episode: journey.episode, step: journey.nextStep, arm: journey.arm, journey: next };
}

/** The first audience rule the customer fails, named as the reason they were removed. */
function audienceMiss(campaign: Campaign, customer: Customer, classification: Classification): SkipReason | undefined {
  const audience = campaign.audience;
  const days = classification.daysSinceLastOrder ?? 0;
  if (days > audience.maxDaysSinceLastOrder) return 'beyond_window';
  if (classification.valueAtStakeMinor < audience.minValueAtStakeMinor) return 'below_threshold';
  const orders = customer.summary.orderCount;
  const outside =
    (audience.minDaysSinceLastOrder !== undefined && days < audience.minDaysSinceLastOrder) ||
    (audience.minOrders !== undefined && orders < audience.minOrders) ||
    (audience.maxOrders !== undefined && orders > audience.maxOrders) ||
    (audience.minPAlive !== undefined && (classification.pAlive ?? 1) < audience.minPAlive) ||
    (audience.maxPAlive !== undefined && (classification.pAlive ?? 0) > audience.maxPAlive) ||
    (audience.minClvMinor !== undefined && (classification.clvMinor ?? 0) < audience.minClvMinor) ||
    (audience.reasonCodes !== undefined && !audience.reasonCodes.some((code) => classification.reasonCodes?.includes(code))) ||
    (audience.countries !== undefined && !audience.countries.includes(customer.country ?? ''));
  return outside ? 'audience_filter' : undefined;
}

/** A journey of an earlier lapse ended when the customer ordered again: it counts as an exit from its campaign. */
function exitsOf(customer: Customer, episode: string): Readonly<Record<string, string>> {
  const exits = { ...customer.campaignExits };
  const journey = customer.journey;
  if (journey && journey.episode !== episode && (exits[journey.campaignId] ?? '') < journey.lastStepAt) {
    exits[journey.campaignId] = journey.lastStepAt;
  }
  return exits;
}

function inCooldown(exitedAt: string | undefined, now: Date, cooldownDays: number): boolean {
  return exitedAt !== undefined && daysBetweenInstants(exitedAt, now.toISOString()) < cooldownDays;
}

function capReached(customer: Customer, now: Date, config: CampaignConfig): boolean {
  const { maxEmails, perDays } = config.guardrails.frequencyCap;
  const recent = (customer.recentEmails ?? []).filter((at) => daysBetweenInstants(at, now.toISOString()) < perDays);
  return recent.length >= maxEmails;
}

function skip(reason: SkipReason, campaignId?: string): Decision {
  return campaignId ? { kind: 'skip', reason, campaignId } : { kind: 'skip', reason };
}
