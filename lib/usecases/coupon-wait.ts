import type { Campaign, CampaignConfig } from '../config/campaign-config.js';
import { type Customer, type DecisionRecord, type Journey, recentEmailsKept } from '../domain/customer.js';
import { addDays, calendarDateIn, daysBetween } from '../domain/dates.js';
import { resolveOffer } from '../domain/offers.js';
import type { SendRecord, SendReservation } from '../domain/sends.js';
import { type CouponRequest, CouponUnavailableError } from '../ports/coupons.js';
import type { SendDependencies, StepRequest, StepResult } from './step-types.js';

/**
 * Never a dead code: an email whose code the shop's platform has not confirmed does not go. It waits on the due list
 * (as `scheduled`, with `couponPending` saying why) and the sender asks the platform again every `couponRetryMs`;
 * once less than half of the offer's validity would be left, it is given up and recorded as `coupon_unavailable`.
 */
export const couponRetryMs = 60 * 60_000;

/** The shop's platform and address for a campaign's codes, and the recipient (WooCommerce restricts the code to it). */
export function couponContext(
  request: Pick<StepRequest, 'arm' | 'campaign' | 'customer'>,
  config: CampaignConfig,
): Pick<CouponRequest, 'arm' | 'email' | 'provider' | 'shop'> {
  return couponContextOf(request.campaign, request.arm, request.customer.email, config);
}

function couponContextOf(
  campaign: Campaign,
  arm: string,
  email: string | undefined,
  config: CampaignConfig,
): Pick<CouponRequest, 'arm' | 'email' | 'provider' | 'shop'> {
  const shop = config.shop as CampaignConfig['shop'] & { shopifyDomain?: string; woocommerceUrl?: string };
  return {
    arm,
    ...(email ? { email } : {}),
    provider: campaign.coupon?.provider ?? 'local',
    shop: {
      timeZone: shop.timeZone,
      currency: shop.currency,
      ...(shop.shopifyDomain ? { shopifyDomain: shop.shopifyDomain } : {}),
      ...(shop.woocommerceUrl ? { woocommerceUrl: shop.woocommerceUrl } : {}),
    },
  };
}

/**
 * The coupon requests of a page's sends, exactly as their steps will ask for them: handed to the provider ahead
 * (`prepare`), the page's codes go to the shop's platform in bulk calls instead of a few at a time. Codes made in
 * the platform only; a send then skipped (the daily cap) leaves an unused code, which expires and is removed.
 */
export function couponRequestsFor(
  sends: readonly {
    readonly customer: Customer;
    readonly decision: { readonly campaign: Campaign; readonly episode: string; readonly step: number; readonly arm: string };
    readonly classification: { readonly valueAtStakeMinor: number };
  }[],
  config: CampaignConfig,
  asOf: string,
): CouponRequest[] {
  const requests: CouponRequest[] = [];
  for (const { customer, decision, classification } of sends) {
    const coupon = decision.campaign.coupon;
    if (!coupon || coupon.provider === 'local') continue;
    const step = decision.campaign.steps[decision.step];
    const variant = decision.campaign.experiment.variants.find((candidate) => candidate.id === decision.arm) ?? decision.campaign.experiment.variants[0];
    if (!step || !variant) continue;
    const offer = resolveOffer(step.offer, variant, classification.valueAtStakeMinor);
    if (offer.kind === 'none') continue;
    requests.push({
      send: { customerId: customer.customerId, campaignId: decision.campaign.id, episode: decision.episode, step: decision.step },
      prefix: coupon.prefix,
      offer,
      expiresOn: addDays(asOf, coupon.expiresInDays),
      ...couponContextOf(decision.campaign, decision.arm, customer.email ?? undefined, config),
    });
  }
  return requests;
}

/** The last day (shop time) a waiting email may still go: half of its offer's validity left. */
export function couponDeadline(asOf: string, expiresOn: string): string {
  return addDays(asOf, Math.max(0, Math.floor(daysBetween(asOf, expiresOn) / 2)));
}

/**
 * The night's step when the platform did not confirm the code: the step is taken (as a scheduled send, so it goes
 * once and counts against the night's cap) and waits for its code.
 */
export async function waitForCoupon(
  request: StepRequest,
  config: CampaignConfig,
  deps: SendDependencies,
  base: SendReservation,
  offer: { readonly kind: string; readonly value: number },
  failure: CouponUnavailableError,
  exit: { campaignId: string; at: string } | undefined,
): Promise<StepResult> {
  const coupon = request.campaign.coupon;
  const offerExpiresOn = coupon ? addDays(request.asOf, coupon.expiresInDays) : request.asOf;
  // In the night's own calendar, as its quiet-hours sends are: a replayed night's retries fall on its own day.
  const notBefore = new Date(request.nightAt.getTime() + couponRetryMs).toISOString();
  const reservation: SendReservation & { couponPending: string } = {
    ...base,
    offer,
    ...(failure.code ? { offerCode: failure.code } : {}),
    offerExpiresOn,
    notBefore,
    couponPending: failure.reason,
  };
  deps.log?.warn('coupon not confirmed by the shop platform; the email waits for it', {
    campaignId: base.campaignId,
    customerId: base.customerId,
    reason: failure.reason,
  });
  const held = await deps.ledger.reserve(reservation, 'scheduled');
  if (!held.reserved) return { outcome: 'skipped', reason: held.heldAs === 'failed' ? 'failed_before' : 'already_sent' };
  const recentEmails = [...(request.customer.recentEmails ?? []), notBefore].slice(-recentEmailsKept);
  const lastDecision: DecisionRecord = { asOf: request.asOf, outcome: 'scheduled', campaignId: request.campaign.id, step: request.step, arm: request.arm };
  await deps.customers.recordStep(base.customerId, {
    journey: request.journey as Journey,
    recentEmails,
    lastSend: { campaignId: base.campaignId, episode: base.episode, step: base.step, at: notBefore },
    lastDecision,
    ...(exit ? { exit } : {}),
  });
  return { outcome: 'scheduled', notBefore };
}

/**
 * The sender's check for an email that waits for its code (claimed, so `reserved`): the code once the platform
 * confirms it; otherwise the email goes back on the due list, or, past its deadline, ends as `coupon_unavailable`.
 */
export async function confirmWaitingCoupon(
  entry: SendRecord & { readonly couponPending?: string },
  campaign: Campaign,
  customer: Customer & { readonly email: string },
  config: CampaignConfig,
  deps: Pick<SendDependencies, 'coupons' | 'ledger' | 'log'>,
  now: Date,
): Promise<{ readonly code: string } | 'rescheduled' | 'cancelled'> {
  const coupon = campaign.coupon;
  const offer = entry.offer as CouponRequest['offer'] | undefined;
  if (!coupon || !offer || !entry.offerExpiresOn) {
    await deps.ledger.cancelScheduled(entry, 'coupon_unavailable');
    return 'cancelled';
  }
  try {
    const code = await deps.coupons.issue({
      send: { customerId: entry.customerId, campaignId: entry.campaignId, episode: entry.episode, step: entry.step },
      prefix: coupon.prefix,
      offer,
      expiresOn: entry.offerExpiresOn,
      ...couponContextOf(campaign, entry.arm ?? 'control', customer.email, config),
    });
    return { code };
  } catch (error) {
    if (!(error instanceof CouponUnavailableError)) throw error;
    const today = calendarDateIn(now, config.shop.timeZone);
    if (today >= couponDeadline(entry.asOf, entry.offerExpiresOn)) {
      deps.log?.warn('coupon never confirmed by the shop platform; the email is given up', {
        campaignId: entry.campaignId,
        customerId: entry.customerId,
        reason: error.reason,
      });
      await deps.ledger.cancelScheduled(entry, 'coupon_unavailable');
      return 'cancelled';
    }
    await deps.ledger.reschedule(entry, new Date(now.getTime() + couponRetryMs).toISOString());
    return 'rescheduled';
  }
}

export type { Customer };
