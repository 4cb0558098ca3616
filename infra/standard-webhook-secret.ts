import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/** Random characters of the placeholder key: 64 letters and digits are valid base64 for 48 bytes (381 bits). */
export const standardWebhookSeedLength = 64;

/**
 * The generic webhook's signing secret, created in the Standard Webhooks form `whsec_<base64>` so the handler accepts
 * it from the first deploy (until the sending system's own value is put there). Secrets Manager can only generate
 * plain characters, so a seed secret generates them and this one holds `whsec_` followed by the seed, joined by
 * CloudFormation through a dynamic reference: the value never appears in the template.
 */
export function standardWebhookSecret(scope: Construct, id: string, description: string, noRotation: string): secretsmanager.Secret {
  const seed = new secretsmanager.Secret(scope, `${id}Seed`, {
    description: `Winback: random characters of the first ${id} (only read by CloudFormation when creating it)`,
    generateSecretString: { passwordLength: standardWebhookSeedLength, excludePunctuation: true, includeSpace: false },
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const secret = new secretsmanager.Secret(scope, id, {
    description: `Winback: ${description}`,
    secretStringValue: SecretValue.unsafePlainText(`whsec_${SecretValue.secretsManager(seed.secretArn).unsafeUnwrap()}`),
    removalPolicy: RemovalPolicy.DESTROY,
  });
  for (const each of [seed, secret]) Validations.of(each).acknowledge({ id: 'AwsSolutions-SMG4', reason: noRotation });
  return secret;
}
