import type { ResolvedOffer } from '../domain/offers.js';
import type { SendKey } from '../domain/sends.js';

export type CouponProviderName = 'shopify' | 'woocommerce' | 'local';

export interface CouponRequest {
  readonly send: SendKey;
  readonly prefix: string;
  readonly offer: ResolvedOffer;
  /** The last day the code works, YYYY-MM-DD in the shop's time zone. */
  readonly expiresOn: string;
  /** The variant sent: Shopify keeps one discount per campaign, step, arm and offer. */
  readonly arm?: string;
  /** The recipient: WooCommerce restricts the coupon to it. */
  readonly email?: string;
  /** Where the code is made; absent means local. */
  readonly provider?: CouponProviderName;
  readonly shop?: { readonly shopifyDomain?: string; readonly woocommerceUrl?: string; readonly timeZone?: string; readonly currency?: string };
}

/**
 * Issues the unique code for one recipient and step. The code it returns works at checkout: a platform's provider
 * answers only once the platform confirmed the code exists. Issuing again for the same send gives the same code, and
 * a code the platform has already (a retried night) is not an error.
 */
export interface CouponProvider {
  /** Throws CouponUnavailableError when the code cannot be confirmed: the email must not go with it. */
  issue(request: CouponRequest): Promise<string>;
  /**
   * Starts creating these codes together (in bulk) ahead of their `issue` calls, which then wait for that work instead
   * of one call each. Optional; never throws (a failure shows in the `issue` of the codes concerned).
   */
  prepare?(requests: readonly CouponRequest[]): void;
}

/** The platform could not confirm the code: the email waits (or, once its offer would be too short, is given up). */
export class CouponUnavailableError extends Error {
  override readonly name = 'CouponUnavailableError';
  constructor(
    /** The code the email would carry: the same on every attempt. */
    readonly code: string,
    /** Why, short and free of personal data: `shopify:THROTTLED`, `woocommerce:http_500`, `shopify:unauthorized`. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`coupon ${code} is not confirmed in the platform: ${reason}`, options);
  }
}

/** What housekeeping removed: codes (or whole discounts) that expired unused before the grace period ended. */
export interface CouponHousekeeping {
  removeExpired(expiredBefore: string): Promise<{ readonly removed: number }>;
}
