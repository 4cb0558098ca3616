import { randomBytes, randomUUID } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import defaultCampaignConfig from '../../lib/config/default-campaign-config.json' with { type: 'json' };
import { signStandardWebhook } from '../../lib/domain/webhooks/signatures.js';
import { localLambdaContext } from '../../lib/local/lambda-context.js';
import { systemClock } from '../../lib/ports/clock.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { apiGatewayEvent, fixtureText } from '../support/http.js';
import { localShop, useShopEnvironment } from '../support/local-aws.js';

const secretsManager = mockClient(SecretsManagerClient);
const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:Winback-GenericWebhookSecret-AbCdEf';
const whsec = () => `whsec_${randomBytes(32).toString('base64')}`;

/** A Standard Webhooks delivery of the fixture order, signed now with `secret`. */
function delivery(secret: string): APIGatewayProxyEventV2 {
  const body = fixtureText('generic', 'order.json');
  const id = `msg_${randomUUID()}`;
  const now = new Date();
  return apiGatewayEvent('POST', '/webhooks/generic', {
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signStandardWebhook(id, now, body, secret),
    },
    body,
  });
}

describe('a rotated webhook secret in a warm container', () => {
  beforeAll(async () => {
    const shop = await localShop();
    // The webhook files an order against the campaigns in force, as a deployed shop has them.
    await applyCampaignConfig(defaultCampaignConfig, 'test', { configs: shop.deps.configs, clock: systemClock });
    useShopEnvironment(shop, { WEBHOOK_SECRET_ARN: secretArn });
    vi.stubEnv('WEBHOOK_SECRET', undefined as unknown as string);
  });
  afterAll(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
    secretsManager.restore();
  });

  it("takes effect within the cache's five minutes, without a cold start", async () => {
    // Prepare: one container (one module instance) that has already served a delivery with the old secret
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const [oldSecret, newSecret] = [whsec(), whsec()];
    secretsManager.on(GetSecretValueCommand, { SecretId: secretArn }).resolves({ SecretString: oldSecret });
    const { handler } = await import('../../functions/webhook-generic/handler.js');
    const invoke = async (event: APIGatewayProxyEventV2) =>
      (await handler(event, localLambdaContext('webhook-generic') as unknown as Context)) as { statusCode: number; body?: string };
    const first = await invoke(delivery(oldSecret));
    expect(first.statusCode, first.body).toBeLessThan(300);
    // Act: the merchant puts the new value; the sender signs with it at once
    secretsManager.on(GetSecretValueCommand, { SecretId: secretArn }).resolves({ SecretString: newSecret });
    const beforeExpiry = await invoke(delivery(newSecret));
    vi.setSystemTime(Date.now() + 5 * 60_000 + 1_000);
    const afterExpiry = await invoke(delivery(newSecret));
    // Assess: refused while the cached old value lasts, accepted once it expires
    expect(beforeExpiry.statusCode).toBe(401);
    expect(afterExpiry.statusCode).toBeLessThan(300);
  });
});
