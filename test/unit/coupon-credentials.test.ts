import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { couponProviders } from '../../lib/adapters/coupons/wiring.js';
import { MissingCredentialsError, shopifyAdminToken, woocommerceCredentials } from '../../lib/adapters/platform-credentials.js';
import { type CouponRequest, CouponUnavailableError } from '../../lib/ports/coupons.js';
import { WooCommerceRestFake, woocommerceTestKey } from '../support/fakes/woocommerce-rest.js';

const secretsManager = mockClient(SecretsManagerClient);
let fake: WooCommerceRestFake | undefined;
afterEach(async () => {
  secretsManager.reset();
  await fake?.close();
  fake = undefined;
});

/** Powertools caches a secret per ARN for five minutes: each test reads its own. */
const arn = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbC123`;
const secret = 'coupon-test-secret-0123456789abcdef';

const request = (customer: number, shop: CouponRequest['shop']): CouponRequest => ({
  send: { customerId: `c${customer}`, campaignId: 'lapsed', episode: '2026-05-01', step: 1 },
  prefix: 'BACK',
  offer: { kind: 'percent', value: 15 },
  expiresOn: '2026-12-06',
  arm: 'control',
  email: `customer${customer}@example.org`,
  provider: shop?.shopifyDomain ? 'shopify' : 'woocommerce',
  shop: { currency: 'EUR', timeZone: 'UTC', ...shop },
});

describe('coupon platform credentials on AWS', () => {
  it("reads the platform's credentials from the Secrets Manager ARNs the stack gives", async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand, { SecretId: arn('shopify-token') }).resolves({ SecretString: ' shpat_0123456789abcdef0123456789abcdef \n' });
    secretsManager.on(GetSecretValueCommand, { SecretId: arn('woo-key') }).resolves({ SecretString: JSON.stringify(woocommerceTestKey) });
    // Act
    const token = await shopifyAdminToken({ SHOPIFY_ADMIN_TOKEN_ARN: arn('shopify-token') });
    const key = await woocommerceCredentials({ WOOCOMMERCE_CREDENTIALS_ARN: arn('woo-key') });
    // Assess
    expect(token).toBe('shpat_0123456789abcdef0123456789abcdef');
    expect(key).toEqual(woocommerceTestKey);
  });

  it('reads the placeholder the stack creates as no credentials yet, naming the secret and never echoing it', async () => {
    // Prepare: what the stack's generated secrets hold until the merchant puts the real values there.
    const placeholder = (replaceWith: string) => JSON.stringify({ replaceWith, placeholder: 'Zq8Xw3Lr5Tn0Vb7Kc2Md9Pf4Gh6Js1Ya8Ue3Oi5Wt0Rx7Ql' });
    secretsManager
      .on(GetSecretValueCommand, { SecretId: arn('shopify-placeholder') })
      .resolves({ SecretString: placeholder('the Admin API access token (shpat_...) as the whole secret value') });
    secretsManager
      .on(GetSecretValueCommand, { SecretId: arn('woo-placeholder') })
      .resolves({ SecretString: placeholder('{"consumerKey": "ck_...", "consumerSecret": "cs_..."}') });
    secretsManager.on(GetSecretValueCommand, { SecretId: arn('woo-null') }).resolves({ SecretString: 'null' });
    // Act
    const shopify = shopifyAdminToken({ SHOPIFY_ADMIN_TOKEN_ARN: arn('shopify-placeholder') });
    const woocommerce = woocommerceCredentials({ WOOCOMMERCE_CREDENTIALS_ARN: arn('woo-placeholder') });
    const empty = woocommerceCredentials({ WOOCOMMERCE_CREDENTIALS_ARN: arn('woo-null') });
    // Assess
    await expect(shopify).rejects.toThrow(MissingCredentialsError);
    await expect(shopify).rejects.toThrow(arn('shopify-placeholder'));
    await expect(shopify).rejects.not.toThrow(/Zq8Xw3/);
    await expect(woocommerce).rejects.toThrow(MissingCredentialsError);
    await expect(empty).rejects.toThrow(MissingCredentialsError);
  });

  it("uses the credentials for the shop the deployment names only: another shop's codes are refused, and it is sent nothing", async () => {
    // Prepare
    fake = await WooCommerceRestFake.start();
    const source = {
      WOOCOMMERCE_API_URL: fake.url,
      WOOCOMMERCE_SITE_URL: 'https://fietsen.example',
      WOOCOMMERCE_CONSUMER_KEY: woocommerceTestKey.consumerKey,
      WOOCOMMERCE_CONSUMER_SECRET: woocommerceTestKey.consumerSecret,
    };
    const otherSource = {
      ...source,
      SHOPIFY_SHOP_DOMAIN: 'fietsen.myshopify.com',
      SHOPIFY_ADMIN_TOKEN: 'shpat_0123456789abcdef0123456789abcdef',
      SHOPIFY_ADMIN_API_URL: fake.url,
    };
    // Act
    const ours = await couponProviders(secret, source).issue(request(1, { woocommerceUrl: 'https://Fietsen.example/' }));
    const elsewhere = couponProviders(secret, source).issue(request(2, { woocommerceUrl: 'https://attacker.example' }));
    const otherShopify = couponProviders(secret, otherSource).issue(request(3, { shopifyDomain: 'someone-else.myshopify.com' }));
    // Assess
    expect(fake.byCode(ours)).toBeDefined();
    await expect(elsewhere).rejects.toThrow(CouponUnavailableError);
    await expect(elsewhere).rejects.toMatchObject({ reason: 'woocommerce:other_shop' });
    await expect(otherShopify).rejects.toMatchObject({ reason: 'shopify:other_shop' });
    expect(fake.requests.filter((entry) => entry.method === 'POST')).toHaveLength(1);
  });
});
