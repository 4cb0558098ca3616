import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { signShopify } from '../../lib/domain/webhooks/signatures.js';
import { localLambdaContext } from '../../lib/local/lambda-context.js';
import { apiGatewayEvent, fixtureHeaders, fixtureText } from '../support/http.js';
import { localShop } from '../support/local-aws.js';

const secret = 'test-shopify-webhook-secret-0123';
const fixture = (path: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8'));

interface EmfLine {
  readonly _aws: {
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly string[][];
      readonly Metrics: readonly { Name: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

/** What the handlers print as CloudWatch EMF during `act`, parsed. */
async function emfPrintedBy(act: () => Promise<unknown>): Promise<EmfLine[]> {
  const printed: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  });
  try {
    await act();
  } finally {
    write.mockRestore();
  }
  return printed
    .flatMap((text) => text.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfLine);
}

const metricNames = (lines: readonly EmfLine[]) =>
  lines.flatMap((line) => line._aws.CloudWatchMetrics.flatMap((directive) => directive.Metrics.map((metric) => metric.Name)));

beforeEach(async () => {
  // Metrics are created at import, with the environment of that moment: on, as on AWS.
  vi.resetModules();
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'Winback');
  const shop = await localShop();
  vi.stubEnv('TABLE_NAME', shop.tableName);
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', shop.dynamoEndpoint);
  vi.stubEnv('SHOPIFY_WEBHOOK_SECRET', secret);
});
afterEach(() => vi.unstubAllEnvs());

describe('metrics (CloudWatch EMF) from the handlers', () => {
  it('counts an SES event by its type, with only the service as a dimension and no trace of the recipient', async () => {
    // Prepare
    const { handler } = await import('../../functions/email-events/handler.js');
    const event = fixture('ses/valid-bounce-permanent.json');
    // Act
    const lines = await emfPrintedBy(() => handler(event, localLambdaContext('email-events-test')));
    // Assess
    expect(metricNames(lines)).toContain('EmailEventBounce');
    for (const line of lines) {
      for (const directive of line._aws.CloudWatchMetrics) {
        expect(directive.Namespace).toBe('Winback');
        for (const dimensions of directive.Dimensions) expect(['service', 'function_name']).toEqual(expect.arrayContaining(dimensions));
      }
      expect(JSON.stringify(line)).not.toMatch(/bruno|example\.net|@/);
    }
  });

  it('counts webhook answers by class, so refused forgeries show on the dashboard', async () => {
    // Prepare: a delivery whose body no longer matches its signature
    const { handler } = await import('../../functions/webhook-shopify/handler.js');
    const body = fixtureText('shopify', 'orders-create.json');
    const headers = { ...fixtureHeaders('shopify', 'orders-create.headers.json'), 'X-Shopify-Hmac-Sha256': signShopify(`${body} `, secret) };
    const event = apiGatewayEvent('POST', '/webhooks/shopify', { headers, body });
    // Act
    let status: number | undefined;
    const lines = await emfPrintedBy(async () => {
      status = (await handler(event, localLambdaContext('webhook-shopify-test'))).statusCode;
    });
    // Assess
    expect(status).toBe(401);
    expect(metricNames(lines)).toContain('Responses4xx');
    expect(metricNames(lines)).not.toContain('Responses2xx');
  });
});
