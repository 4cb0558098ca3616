import { createHmac } from 'node:crypto';
import type { Offer, Variant } from '../config/campaign-config.js';
import { formatMoney } from './money.js';

export interface ResolvedOffer {
  readonly kind: Offer['kind'];
  /** Percent points, or minor units for fixed_amount; 0 for none and free_shipping. */
  readonly value: number;
}

/** The step's offer for this customer: the variant's value if it sets one, else the highest tier the customer reaches. */
export function resolveOffer(offer: Offer, variant: Variant, valueAtStakeMinor: number): ResolvedOffer {
  if (offer.kind === 'none' || offer.kind === 'free_shipping') return { kind: offer.kind, value: 0 };
  if (variant.offerValue !== undefined) return { kind: offer.kind, value: variant.offerValue };
  const tier = [...offer.tiers]
    .sort((a, b) => b.minValueAtStakeMinor - a.minValueAtStakeMinor)
    .find((candidate) => valueAtStakeMinor >= candidate.minValueAtStakeMinor);
  return { kind: offer.kind, value: tier?.value ?? offer.value };
}

/** "15% off your next order", in the shop's currency and locale. */
export function describeOffer(offer: ResolvedOffer, currency: string, locale: string): string {
  switch (offer.kind) {
    case 'none':
      return '';
    case 'percent':
      return `${offer.value}% off your next order`;
    case 'fixed_amount':
      return `${formatMoney({ minor: offer.value, currency }, locale)} off your next order`;
    case 'free_shipping':
      return 'free shipping on your next order';
  }
}

// Crockford's base32 without I, L, O, U: codes are read aloud and typed from phones.
const codeAlphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The local coupon generator: a unique, unguessable code per recipient and step, derived with an HMAC so that
 * issuing it again (a retried send) gives the same code. A platform's discount API can replace it behind the
 * CouponProvider port.
 */
export function localCouponCode(prefix: string, key: string, secret: string): string {
  const digest = createHmac('sha256', secret).update(`winback-coupon.v1.${key}`).digest();
  let code = '';
  for (let index = 0; index < 8; index += 1) code += codeAlphabet[digest[index]! % 32];
  return `${prefix}-${code}`;
}
