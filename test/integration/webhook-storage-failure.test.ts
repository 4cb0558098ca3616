import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signShopify } from '../../lib/domain/webhooks/signatures.js';
import { localLambdaContext } from '../../lib/local/lambda-context.js';
import { apiGatewayEvent, fixtureHeaders, fixtureText } from '../support/http.js';

const secret = 'test-shopify-webhook-secret-0123';

beforeAll(() => {
  vi.stubEnv('TABLE_NAME', 'winback-unreachable');
  vi.stubEnv('SHOPIFY_WEBHOOK_SECRET', secret);
  vi.stubEnv('AWS_REGION', 'eu-west-1');
});
afterAll(() => vi.unstubAllEnvs());

describe('a storage failure while receiving a webhook', () => {
  it('answers 503 so the platform retries, never a 2xx for what was not stored', async () => {
    // Prepare: DynamoDB fails every call (a fault the emulator cannot produce on demand)
    const dynamo = mockClient(DynamoDBDocumentClient);
    dynamo.onAnyCommand().rejects(Object.assign(new Error('Service unavailable'), { name: 'InternalServerError' }));
    const { handler } = await import('../../functions/webhook-shopify/handler.js');
    const body = fixtureText('shopify', 'orders-create.json');
    const headers = { ...fixtureHeaders('shopify', 'orders-create.headers.json'), 'X-Shopify-Hmac-Sha256': signShopify(body, secret) };
    const event = apiGatewayEvent('POST', '/webhooks/shopify', { headers, body });
    // Act
    const response = await handler(event, localLambdaContext('webhook-shopify-test'));
    // Assess
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body!)).toMatchObject({ error: 'storage_unavailable' });
    dynamo.restore();
  });
});
