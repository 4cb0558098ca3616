import type { ResolvedOffer } from '../domain/offers.js';
import type { SendKey } from '../domain/sends.js';

export interface CouponRequest {
  readonly send: SendKey;
  readonly prefix: string;
  readonly offer: ResolvedOffer;
  /** The last day the code works, YYYY-MM-DD in the shop's time zone. */
  readonly expiresOn: string;
}

/** Issues the unique code for one recipient and step; issuing again for the same send gives the same code. */
export interface CouponProvider {
  issue(request: CouponRequest): Promise<string>;
}
