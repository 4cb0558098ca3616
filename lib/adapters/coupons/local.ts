import { localCouponCode } from '../../domain/offers.js';
import type { CouponProvider, CouponRequest } from '../../ports/coupons.js';

/**
 * Codes made here, for shops that load them into their platform themselves (or tests and the demo). A platform's
 * discount API (Shopify price rules, WooCommerce coupons) implements the same port.
 */
export class LocalCouponProvider implements CouponProvider {
  constructor(private readonly secret: string) {}

  async issue(request: CouponRequest): Promise<string> {
    const { send } = request;
    return localCouponCode(request.prefix, `${send.customerId}:${send.campaignId}:${send.episode}:${send.step}`, this.secret);
  }
}
