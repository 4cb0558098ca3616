import type { CampaignConfig } from '../config/campaign-config.js';
import type { CouponHousekeeping, CouponProviderName } from '../ports/coupons.js';

/**
 * Days after its expiry a code stays in the shop's platform: a late order or a customer service question can still
 * find it. After that, Winback's codes that expired unused are removed, so the shop's discount list does not fill
 * with thousands of dead codes.
 */
export const couponGraceDays = 30;

export type HousekeepingFor = (provider: Exclude<CouponProviderName, 'local'>, shop: CampaignConfig['shop']) => Promise<CouponHousekeeping>;

export interface HousekeepingResult {
  readonly removed: Partial<Record<CouponProviderName, number>>;
  readonly failed: Partial<Record<CouponProviderName, string>>;
}

/** Removes expired codes from every platform a campaign makes codes in; a platform that fails is reported, never thrown. */
export async function removeExpiredCoupons(
  config: CampaignConfig,
  housekeepingFor: HousekeepingFor,
  now: Date,
  graceDays = couponGraceDays,
): Promise<HousekeepingResult> {
  const expiredBefore = new Date(now.getTime() - graceDays * 86_400_000).toISOString();
  const providers = new Set(config.campaigns.map((campaign) => campaign.coupon?.provider ?? 'local').filter((provider) => provider !== 'local'));
  const removed: HousekeepingResult['removed'] = {};
  const failed: HousekeepingResult['failed'] = {};
  for (const provider of providers as Set<Exclude<CouponProviderName, 'local'>>) {
    try {
      removed[provider] = (await (await housekeepingFor(provider, config.shop)).removeExpired(expiredBefore)).removed;
    } catch (error) {
      failed[provider] = (error as Error).message;
    }
  }
  return { removed, failed };
}
