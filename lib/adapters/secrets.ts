import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { required, type Environment } from '../config/environment.js';
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
