import type { CouponProvider, CouponRequest } from '../../ports/coupons.js';
import { shopifyAdminToken, woocommerceCredentials } from '../platform-credentials.js';
import { ShopifyAdminClient, shopifyEndpoint } from '../shopify/admin-client.js';
import { ShopifyCoupons } from '../shopify/coupons.js';
import { WooCommerceCoupons } from '../woocommerce/coupons.js';
import { WooCommerceClient, woocommerceBase } from '../woocommerce/rest-client.js';
import { LocalCouponProvider } from './local.js';
import { type PlatformCode, PlatformCouponProvider, type PlatformCoupons, type PlatformResult, RoutingCouponProvider } from './platform.js';

/**
 * The night's coupon provider: each campaign's codes are made where its `coupon.provider` says. The platforms'
 * credentials are read when a campaign first needs them (SHOPIFY_ADMIN_TOKEN / WOOCOMMERCE_CONSUMER_KEY and _SECRET
 * locally, their _ARN secrets on AWS); the endpoints can point elsewhere for tests and staging (SHOPIFY_ADMIN_API_URL,
 * the full GraphQL endpoint; WOOCOMMERCE_API_URL, the REST base). On AWS the stack also names the one shop the
 * credentials may be used for (SHOPIFY_SHOP_DOMAIN, WOOCOMMERCE_SITE_URL).
 */
export function couponProviders(secret: string, source: NodeJS.ProcessEnv = process.env): CouponProvider {
  return new RoutingCouponProvider({
    local: new LocalCouponProvider(secret),
    shopify: (request) =>
      new PlatformCouponProvider(
        lazily('shopify', 250, () => shopifyCoupons(request, secret, source)),
        secret,
      ),
    woocommerce: (request) =>
      new PlatformCouponProvider(
        lazily('woocommerce', 100, () => woocommerceCoupons(request, source)),
        secret,
      ),
  });
}

/**
 * On AWS the stack names the shop its platform credentials belong to (SHOPIFY_SHOP_DOMAIN, WOOCOMMERCE_SITE_URL): a
 * campaign config that names another shop gets no credentials, so an edited config can never send them elsewhere.
 */
export class OtherShopError extends Error {
  override readonly name = 'OtherShopError';
}

function samePinnedShop(setting: string, configured: string | undefined, deployed: string | undefined): void {
  if (deployed === undefined || deployed === '' || configured === undefined) return;
  const plain = (address: string) => address.trim().toLowerCase().replace(/\/+$/, '');
  if (plain(configured) !== plain(deployed)) throw new OtherShopError(`${setting} is not the shop this deployment's credentials belong to`);
}

export async function shopifyCoupons(request: Pick<CouponRequest, 'shop'>, secret: string, source: NodeJS.ProcessEnv = process.env): Promise<ShopifyCoupons> {
  const domain = request.shop?.shopifyDomain;
  if (!domain && !source.SHOPIFY_ADMIN_API_URL) throw new Error('shop.shopifyDomain is not set');
  samePinnedShop('shop.shopifyDomain', domain, source.SHOPIFY_SHOP_DOMAIN);
  const client = new ShopifyAdminClient({ endpoint: shopifyEndpoint(domain ?? '', source.SHOPIFY_ADMIN_API_URL), token: await shopifyAdminToken(source) });
  return new ShopifyCoupons(client, { secret, timeZone: request.shop?.timeZone ?? 'UTC', currency: request.shop?.currency ?? 'EUR' });
}

export async function woocommerceCoupons(request: Pick<CouponRequest, 'shop'>, source: NodeJS.ProcessEnv = process.env): Promise<WooCommerceCoupons> {
  const site = request.shop?.woocommerceUrl;
  if (!site && !source.WOOCOMMERCE_API_URL) throw new Error('shop.woocommerceUrl is not set');
  samePinnedShop('shop.woocommerceUrl', site, source.WOOCOMMERCE_SITE_URL);
  const client = new WooCommerceClient({ base: woocommerceBase(site ?? '', source.WOOCOMMERCE_API_URL), credentials: await woocommerceCredentials(source) });
  return new WooCommerceCoupons(client, { currency: request.shop?.currency ?? 'EUR' });
}

/** A platform built on first use; a build that fails (no credentials yet) fails those codes and is tried again next time. */
function lazily(name: string, maxBatch: number, build: () => Promise<PlatformCoupons>): PlatformCoupons {
  let built: Promise<PlatformCoupons> | undefined;
  return {
    name,
    maxBatch,
    async create(codes: readonly PlatformCode[]): Promise<Map<string, PlatformResult>> {
      let platform: PlatformCoupons;
      try {
        platform = await (built ??= build());
      } catch (error) {
        built = undefined;
        const kind = (error as Error).name;
        const reason = `${name}:${kind === 'MissingCredentialsError' ? 'no_credentials' : kind === 'OtherShopError' ? 'other_shop' : 'not_configured'}`;
        return new Map(codes.map((entry) => [entry.code, { ok: false, reason }]));
      }
      return platform.create(codes);
    },
  };
}

/** The platform's housekeeping for the shop, with the night's credentials. */
export function couponHousekeeping(source: NodeJS.ProcessEnv = process.env) {
  return async (provider: 'shopify' | 'woocommerce', shop: { shopifyDomain?: string; woocommerceUrl?: string; timeZone: string; currency: string }) => {
    const request = { shop: { ...shop } };
    // The secret only derives the codes of new discounts; removing them needs none.
    return provider === 'shopify' ? shopifyCoupons(request, '', source) : woocommerceCoupons(request, source);
  };
}
