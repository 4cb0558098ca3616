import { getSecret } from '@aws-lambda-powertools/parameters/secrets';

/**
 * The shop platforms' API credentials: values in the environment locally, Secrets Manager ARNs on AWS (read through
 * the same five-minute cache as the other secrets, so a rotated token reaches warm functions). Never a command-line
 * argument: those end up in shell histories and process lists.
 */
const secretCacheSeconds = 300;

export class MissingCredentialsError extends Error {
  override readonly name = 'MissingCredentialsError';
}

/** SHOPIFY_ADMIN_TOKEN (an Admin API access token, shpat_...) or SHOPIFY_ADMIN_TOKEN_ARN. */
export async function shopifyAdminToken(source: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (source.SHOPIFY_ADMIN_TOKEN) return source.SHOPIFY_ADMIN_TOKEN;
  const arn = source.SHOPIFY_ADMIN_TOKEN_ARN;
  if (!arn)
    throw new MissingCredentialsError("SHOPIFY_ADMIN_TOKEN is not set (or SHOPIFY_ADMIN_TOKEN_ARN on AWS): the Admin API access token of the shop's app");
  const value = await getSecret(arn, { maxAge: secretCacheSeconds });
  // The stack creates the secret holding a JSON placeholder until the merchant puts the token there.
  if (typeof value !== 'string' || value.trim().length < 10 || value.trim().startsWith('{'))
    throw new MissingCredentialsError(`the secret in ${arn} must be the Shopify Admin API access token`);
  return value.trim();
}

export interface WooCommerceCredentials {
  readonly consumerKey: string;
  readonly consumerSecret: string;
}

/**
 * WOOCOMMERCE_CONSUMER_KEY and WOOCOMMERCE_CONSUMER_SECRET, or WOOCOMMERCE_CREDENTIALS_ARN: a secret holding
 * `{"consumerKey": "ck_...", "consumerSecret": "cs_..."}`.
 */
export async function woocommerceCredentials(source: NodeJS.ProcessEnv = process.env): Promise<WooCommerceCredentials> {
  if (source.WOOCOMMERCE_CONSUMER_KEY && source.WOOCOMMERCE_CONSUMER_SECRET)
    return { consumerKey: source.WOOCOMMERCE_CONSUMER_KEY, consumerSecret: source.WOOCOMMERCE_CONSUMER_SECRET };
  const arn = source.WOOCOMMERCE_CREDENTIALS_ARN;
  if (!arn)
    throw new MissingCredentialsError(
      'WOOCOMMERCE_CONSUMER_KEY and WOOCOMMERCE_CONSUMER_SECRET are not set (or WOOCOMMERCE_CREDENTIALS_ARN on AWS): a REST API key with read/write permission',
    );
  const value = await getSecret(arn, { maxAge: secretCacheSeconds });
  let parsed: Partial<WooCommerceCredentials> = {};
  try {
    parsed = ((typeof value === 'string' ? JSON.parse(value) : value) ?? {}) as Partial<WooCommerceCredentials>;
  } catch {
    // Reported below.
  }
  if (typeof parsed.consumerKey !== 'string' || typeof parsed.consumerSecret !== 'string') {
    throw new MissingCredentialsError(`the secret in ${arn} must be JSON {"consumerKey": "ck_...", "consumerSecret": "cs_..."}`);
  }
  return { consumerKey: parsed.consumerKey, consumerSecret: parsed.consumerSecret };
}
