import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { adminToken, linkSigningSecret, webhookSecrets } from '../../lib/adapters/secrets.js';
import { readEnvironment } from '../../lib/config/environment.js';

const secretsManager = mockClient(SecretsManagerClient);
afterEach(() => secretsManager.reset());

const arn = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}`;

describe('secrets on AWS', () => {
  it('reads webhook secrets from Secrets Manager, two during a rotation', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand, { SecretId: arn('shopify-a') }).resolves({ SecretString: 'new-shopify-secret-0123, old-shopify-secret-0123' });
    const environment = readEnvironment({ SHOPIFY_WEBHOOK_SECRET_ARN: arn('shopify-a') });
    // Act
    const secrets = await webhookSecrets(environment, 'SHOPIFY_WEBHOOK_SECRET');
    // Assess
    expect(secrets).toEqual(['new-shopify-secret-0123', 'old-shopify-secret-0123']);
  });

  it('refuses a stored secret that breaks the rules, naming it, and never echoes its value', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand, { SecretId: arn('generic-b') }).resolves({ SecretString: 'not-a-whsec' });
    const environment = readEnvironment({ WEBHOOK_SECRET_ARN: arn('generic-b') });
    // Act
    const reading = webhookSecrets(environment, 'WEBHOOK_SECRET');
    // Assess
    await expect(reading).rejects.toThrow(/WEBHOOK_SECRET.*expected whsec_/);
    await expect(reading).rejects.not.toThrow(/not-a-whsec/);
  });

  it('prefers the local value and names what is missing', async () => {
    // Prepare
    const local = readEnvironment({ WINBACK_ADMIN_TOKEN: 'local-admin-token-0123456789', UNSUBSCRIBE_SECRET: 'local-unsubscribe-signing-key-0123456789' });
    const nothing = readEnvironment({});
    // Act / Assess
    expect(await adminToken(local)).toBe('local-admin-token-0123456789');
    expect(await linkSigningSecret(local)).toBe('local-unsubscribe-signing-key-0123456789');
    await expect(adminToken(nothing)).rejects.toThrow(/WINBACK_ADMIN_TOKEN_ARN: required/);
    await expect(webhookSecrets(nothing, 'WOOCOMMERCE_WEBHOOK_SECRET')).rejects.toThrow(/WOOCOMMERCE_WEBHOOK_SECRET: required/);
    expect(secretsManager.calls()).toHaveLength(0);
  });
});
