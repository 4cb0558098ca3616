import type { Audience, Campaign, CampaignConfig } from '../config/campaign-config.js';
import type { Classification } from './classification.js';
import { emailableConsentStates, type Customer } from './customer.js';
import { calendarDateIn, daysBetween, type CalendarDate } from './dates.js';
import { isDeliverableAddress } from './email.js';

/** Why a customer was not emailed tonight; every customer scanned ends with "sent" or one of these. */
export const skipReasons = [
  'active',
  'no_orders',
  'no_email',
  'unsubscribed',
  'no_consent',
  'no_campaign',
  'beyond_window',
  'below_threshold',
  'already_sent',
  'recently_emailed',
  'suppressed',
  'send_failed',
  'failed_before',
  'render_failed',
  'send_unconfirmed',
  'sending_paused',
  'unreadable_record',
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
  already_sent: 'this step already went out for this lapse',
  recently_emailed: 'emailed too recently (guardrail)',
  suppressed: 'on the suppression list (bounce, complaint, opt-out)',
  send_failed: 'SES refused the message (never retried) or throttled it out (tried again another night)',
  failed_before: 'SES refused this step on an earlier night; it is not retried',
  render_failed: 'the email did not render for this customer (see the logs)',
  send_unconfirmed: 'SES may or may not have sent it; never resent, to avoid doubles',
  sending_paused: 'sending stopped for the night (SES paused the account)',
  unreadable_record: 'the stored customer record could not be read',
};

export type Decision =
  | { readonly kind: 'skip'; readonly reason: SkipReason }
  | { readonly kind: 'send'; readonly campaign: Campaign; readonly episode: string; readonly step: number };

/**
 * The rules that can be decided from the customer's own item. The suppression list and the send ledger come
 * after, because they need a read or a conditional write.
 */
export function decide(customer: Customer, classification: Classification, config: CampaignConfig, asOf: CalendarDate): Decision {
  if (classification.status === 'active' || classification.status === 'no_orders') return skip(classification.status);
  if (!isDeliverableAddress(customer.email)) return skip('no_email');
  if (customer.consent.state === 'unsubscribed') return skip('unsubscribed');
  if (!emailableConsentStates.has(customer.consent.state)) return skip('no_consent');

  const campaign = campaignFor(config, classification.status);
  if (!campaign) return skip('no_campaign');
  if ((classification.daysSinceLastOrder ?? 0) > campaign.thresholds.maxDaysSinceLastOrder) return skip('beyond_window');
  if (classification.valueAtStakeMinor < campaign.thresholds.minValueAtStakeMinor) return skip('below_threshold');

  const episode = calendarDateIn(customer.summary.lastOrderAt!, config.shop.timeZone);
  const step = 0;
  const last = customer.lastSend;
  if (last && last.campaignId === campaign.id && last.episode === episode && last.step === step) return skip('already_sent');
  if (customer.lastEmailedAt && daysBetween(calendarDateIn(customer.lastEmailedAt, config.shop.timeZone), asOf) < config.guardrails.minDaysBetweenEmails) {
    return skip('recently_emailed');
  }
  return { kind: 'send', campaign, episode, step };
}

export function campaignFor(config: CampaignConfig, audience: Audience): Campaign | undefined {
  return config.campaigns.find((campaign) => campaign.enabled && campaign.audience === audience);
}

function skip(reason: SkipReason): Decision {
  return { kind: 'skip', reason };
}
