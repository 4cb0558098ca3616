import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { Environment } from '../config/environment.js';
import { minimumSecretLength } from '../domain/unsubscribe-token.js';

/** Cached for five minutes by Powertools, so a rotated key reaches warm functions without a redeploy. */
const secretCacheSeconds = 300;

export async function unsubscribeSecret(environment: Environment): Promise<string> {
  if (environment.UNSUBSCRIBE_SECRET) return environment.UNSUBSCRIBE_SECRET;
  const value = await getSecret(environment.UNSUBSCRIBE_SECRET_ARN!, { maxAge: secretCacheSeconds });
  if (typeof value !== 'string' || value.length < minimumSecretLength) {
    throw new Error(`the unsubscribe signing key in ${environment.UNSUBSCRIBE_SECRET_ARN} must be a string of at least ${minimumSecretLength} characters`);
  }
  return value;
}
