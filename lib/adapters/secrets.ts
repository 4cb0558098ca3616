import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { type Environment, required, secretList, standardWebhookSecretList } from '../config/environment.js';
import { minimumSecretLength } from '../domain/unsubscribe-token.js';

/** Cached for five minutes by Powertools, so a rotated key reaches warm functions without a redeploy. */
const secretCacheSeconds = 300;

/** The key that signs unsubscribe and feedback links: a value locally, a Secrets Manager ARN on AWS. */
export async function linkSigningSecret(environment: Environment): Promise<string> {
  if (environment.UNSUBSCRIBE_SECRET) return environment.UNSUBSCRIBE_SECRET;
  const arn = required(environment, 'UNSUBSCRIBE_SECRET_ARN', 'to sign unsubscribe and feedback links (or UNSUBSCRIBE_SECRET locally)');
  const value = await getSecret(arn, { maxAge: secretCacheSeconds });
  if (typeof value !== 'string' || value.length < minimumSecretLength) {
    throw new Error(`the link signing key in ${arn} must be a string of at least ${minimumSecretLength} characters`);
  }
  return value;
}

type ListSecret = 'SHOPIFY_WEBHOOK_SECRET' | 'WOOCOMMERCE_WEBHOOK_SECRET' | 'WEBHOOK_SECRET';

/**
 * A webhook's active secrets (one, or two during a rotation): the value locally, or read from the Secrets Manager
 * ARN in `<NAME>_ARN` on AWS and checked with the same rules.
 */
export async function webhookSecrets(environment: Environment, name: ListSecret): Promise<string[]> {
  const value = environment[name];
  if (value) return value;
  const arn = environment[`${name}_ARN`];
  if (!arn) throw new Error(`invalid environment:\n  - ${name}: required (or ${name}_ARN on AWS) to verify deliveries`);
  const text = await getSecret(arn, { maxAge: secretCacheSeconds });
  const parsed = (name === 'WEBHOOK_SECRET' ? standardWebhookSecretList : secretList).safeParse(text);
  if (!parsed.success) throw new Error(`the secret in ${arn} (${name}) is not valid: ${parsed.error.issues[0]?.message ?? 'unreadable'}`);
  return parsed.data;
}

/** The admin API's bearer token: the value locally, or read from `WINBACK_ADMIN_TOKEN_ARN` on AWS. */
export async function adminToken(environment: Environment): Promise<string> {
  if (environment.WINBACK_ADMIN_TOKEN) return environment.WINBACK_ADMIN_TOKEN;
  const arn = required(environment, 'WINBACK_ADMIN_TOKEN_ARN', 'to authorize the admin API (or WINBACK_ADMIN_TOKEN locally)');
  const value = await getSecret(arn, { maxAge: secretCacheSeconds });
  if (typeof value !== 'string' || value.length < 24) throw new Error(`the admin token in ${arn} must be a string of at least 24 characters`);
  return value;
}
