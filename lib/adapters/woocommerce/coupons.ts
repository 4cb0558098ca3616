import { toDecimalString } from '../../domain/money.js';
import type { CouponHousekeeping } from '../../ports/coupons.js';
import type { PlatformCode, PlatformCoupons, PlatformResult } from '../coupons/platform.js';
import { WooCommerceApiError, type WooCommerceClient } from './rest-client.js';

/** POST /coupons/batch takes at most 100 objects a call. */
export const woocommerceCouponsPerCall = 100;

/** Every coupon Winback makes has a description starting so: housekeeping touches nothing else. */
export const couponDescriptionPrefix = 'Winback';

interface BatchItemError {
  readonly id?: number;
  readonly error?: { readonly code?: string; readonly message?: string; readonly data?: { readonly status?: number } };
}

interface WooCoupon {
  readonly id: number;
  readonly code: string;
  readonly description?: string;
  readonly date_expires?: string | null;
  readonly date_expires_gmt?: string | null;
  readonly usage_count?: number;
}

/**
 * Coupons in WooCommerce, one per recipient: restricted to the recipient's email, one use in all and per customer,
 * expiring at the end of the offer's last day (the site's time zone), made 100 at a time through the batch endpoint.
 * The batch answers item by item, in order: an item with an `error` was not made; one that already exists (a
 * retried night) is looked up and counts when it is there.
 */
export class WooCommerceCoupons implements PlatformCoupons, CouponHousekeeping {
  readonly name = 'woocommerce';
  readonly maxBatch = woocommerceCouponsPerCall;

  constructor(
    private readonly client: WooCommerceClient,
    private readonly options: { readonly currency: string },
  ) {}

  async create(codes: readonly PlatformCode[]): Promise<Map<string, PlatformResult>> {
    const results = new Map<string, PlatformResult>();
    for (let start = 0; start < codes.length; start += woocommerceCouponsPerCall) {
      const chunk = codes.slice(start, start + woocommerceCouponsPerCall);
      let answer: { create?: (WooCoupon & BatchItemError)[] };
      try {
        answer = (await this.client.request<typeof answer>('POST', '/coupons/batch', { create: chunk.map((entry) => this.couponOf(entry)) })).body;
      } catch (error) {
        const reason = `woocommerce:${error instanceof WooCommerceApiError ? error.code : 'error'}`;
        for (const entry of chunk) results.set(entry.code, { ok: false, reason });
        continue;
      }
      // Read defensively: a plugin or a proxy may answer 200 with anything.
      const created: unknown[] = Array.isArray(answer?.create) ? answer.create : [];
      const existing: PlatformCode[] = [];
      chunk.forEach((entry, index) => {
        const item = (typeof created[index] === 'object' && created[index] !== null ? created[index] : undefined) as (WooCoupon & BatchItemError) | undefined;
        if (item && !item.error && item.id > 0 && typeof item.code === 'string' && item.code.toUpperCase() === entry.code.toUpperCase())
          results.set(entry.code, { ok: true });
        else if (item?.error?.code === 'woocommerce_rest_coupon_code_already_exists') existing.push(entry);
        else results.set(entry.code, { ok: false, reason: `woocommerce:${typeof item?.error?.code === 'string' ? item.error.code : 'not_created'}` });
      });
      for (const entry of existing) results.set(entry.code, await this.confirmExisting(entry.code));
    }
    return results;
  }

  /** Deletes Winback's coupons that expired unused before `expiredBefore` (UTC ISO-8601), 100 a call. */
  async removeExpired(expiredBefore: string): Promise<{ removed: number }> {
    const stale: number[] = [];
    for (let page = 1; ; page += 1) {
      const { body, headers } = await this.client.request<WooCoupon[]>(
        'GET',
        `/coupons?search=${encodeURIComponent(couponDescriptionPrefix)}&per_page=100&page=${page}`,
      );
      for (const coupon of body) {
        const expires = coupon.date_expires_gmt ?? coupon.date_expires;
        if (!coupon.description?.startsWith(couponDescriptionPrefix) || !expires || (coupon.usage_count ?? 0) > 0) continue;
        if (Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(expires) ? expires : `${expires}Z`) < Date.parse(expiredBefore)) stale.push(coupon.id);
      }
      const pages = Number(headers.get('x-wp-totalpages') ?? '1');
      if (body.length === 0 || page >= pages) break;
    }
    let removed = 0;
    for (let start = 0; start < stale.length; start += woocommerceCouponsPerCall) {
      const { body } = await this.client.request<{ delete?: BatchItemError[] }>('POST', '/coupons/batch', {
        delete: stale.slice(start, start + woocommerceCouponsPerCall),
      });
      removed += (body.delete ?? []).filter((item) => !item.error).length;
    }
    return { removed };
  }

  private couponOf({ code, request }: PlatformCode) {
    const { offer } = request;
    const currency = request.shop?.currency ?? this.options.currency;
    return {
      code,
      discount_type: offer.kind === 'percent' ? 'percent' : 'fixed_cart',
      amount: offer.kind === 'percent' ? String(offer.value) : offer.kind === 'fixed_amount' ? toDecimalString(offer.value, currency) : '0',
      free_shipping: offer.kind === 'free_shipping',
      individual_use: true,
      usage_limit: 1,
      usage_limit_per_user: 1,
      ...(request.email ? { email_restrictions: [request.email] } : {}),
      // The site's time zone; the offer works through its last day.
      date_expires: `${request.expiresOn}T23:59:59`,
      description: `${couponDescriptionPrefix} ${request.send.campaignId} step ${request.send.step + 1} ${request.arm ?? 'control'}`,
    };
  }

  private async confirmExisting(code: string): Promise<PlatformResult> {
    try {
      const { body } = await this.client.request<WooCoupon[]>('GET', `/coupons?code=${encodeURIComponent(code)}`);
      return body.some((coupon) => coupon.code.toUpperCase() === code.toUpperCase()) ? { ok: true } : { ok: false, reason: 'woocommerce:code_taken' };
    } catch (error) {
      return { ok: false, reason: `woocommerce:${error instanceof WooCommerceApiError ? error.code : 'error'}` };
    }
  }
}
