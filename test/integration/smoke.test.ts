import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { smoke } from '../../lib/smoke/main.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { localApi } from '../support/http.js';
import { localShop, useShopEnvironment } from '../support/local-aws.js';

/**
 * `npm run smoke` against the local stack: the same command, reading the stack's outputs from a file shaped like the
 * one `cdk deploy --outputs-file` writes and the secrets from "Secrets Manager" (a stand-in speaking its JSON protocol,
 * reached through AWS_ENDPOINT_URL_SECRETS_MANAGER as the SDK would reach AWS), with the API's URL pointed at the
 * local HTTP API, where the real handlers answer.
 */
const region = 'eu-west-1';
const arnOf = (name: string) => `arn:aws:secretsmanager:${region}:000000000000:secret:Winback-${name}-AbCdEf`;
const secrets = {
  shopify: `shpss_${randomBytes(16).toString('hex')}`,
  wooCommerce: randomBytes(24).toString('hex'),
  generic: `whsec_${randomBytes(32).toString('base64')}`,
};
const adminToken = `smoke-admin-token-${randomBytes(12).toString('hex')}`;

/** GetSecretValue by ARN, as the SDK asks for it; `values` can be changed by a test (a secret that is not the stack's). */
function secretsManagerStandIn(values: Map<string, string>): Promise<{ server: Server; endpoint: string }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: string };
      const value = values.get(body.SecretId ?? '');
      response.writeHead(value === undefined ? 400 : 200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
      response.end(
        JSON.stringify(
          value === undefined
            ? { __type: 'ResourceNotFoundException', message: 'no such secret' }
            : { ARN: body.SecretId, Name: body.SecretId, SecretString: value, VersionId: randomUUID() },
        ),
      );
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })),
  );
}

describe('npm run smoke -- --stack NAME, against the local stack', () => {
  let api: Awaited<ReturnType<typeof localApi>>;
  let standIn: Awaited<ReturnType<typeof secretsManagerStandIn>>;
  let workDir: string;
  const values = new Map<string, string>();
  const outputsFor = (name: string, apiUrl: string, prefix = '') => {
    const file = join(workDir, `${name}-${randomUUID().slice(0, 6)}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        [name]: {
          ApiUrl: apiUrl,
          ShopifyWebhookSecretArn: arnOf(`${prefix}ShopifyWebhookSecret`),
          WooCommerceWebhookSecretArn: arnOf(`${prefix}WooCommerceWebhookSecret`),
          GenericWebhookSecretArn: arnOf(`${prefix}GenericWebhookSecret`),
          AdminTokenArn: arnOf('AdminToken'),
        },
      }),
    );
    return file;
  };
  const quiet = () => undefined;

  beforeAll(async () => {
    // Prepare: a shop with its config and a customer, its handlers holding the secrets the stack's secrets hold
    const shop = await localShop();
    await applyCampaignConfig(testConfig(), 'test', shop.deps);
    await shop.deps.customers.putMany([customerFrom({ name: 'Sami', orderDays: ['2026-03-01', '2026-05-01'] })]);
    useShopEnvironment(shop, {
      WINBACK_ADMIN_TOKEN: adminToken,
      SHOPIFY_WEBHOOK_SECRET: secrets.shopify,
      WOOCOMMERCE_WEBHOOK_SECRET: secrets.wooCommerce,
      WEBHOOK_SECRET: secrets.generic,
    });
    values.set(arnOf('ShopifyWebhookSecret'), secrets.shopify);
    values.set(arnOf('WooCommerceWebhookSecret'), secrets.wooCommerce);
    values.set(arnOf('GenericWebhookSecret'), secrets.generic);
    values.set(arnOf('OtherShopifyWebhookSecret'), `shpss_${randomBytes(16).toString('hex')}`);
    values.set(arnOf('OtherWooCommerceWebhookSecret'), secrets.wooCommerce);
    values.set(arnOf('OtherGenericWebhookSecret'), secrets.generic);
    standIn = await secretsManagerStandIn(values);
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', standIn.endpoint);
    vi.stubEnv('AWS_REGION', region);
    api = await localApi();
    workDir = mkdtempSync(join(tmpdir(), 'winback-smoke-'));
  });
  afterAll(async () => {
    await api?.close();
    await new Promise((resolve) => standIn?.server.close(resolve));
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    vi.unstubAllEnvs();
  });

  it('passes every check: health, each webhook signed and forged, the customer read back, a dry-run night, forgetting it', async () => {
    // Act
    const printed: string[] = [];
    const result = await smoke(['--stack', 'Winback', '--outputs', outputsFor('Winback', api.base), '--token', adminToken], (text) => printed.push(text));
    // Assess
    expect(result.checks.filter((check) => !check.ok)).toEqual([]);
    expect(result.checks.filter((check) => check.skipped)).toEqual([]);
    expect(result.checks.map((check) => check.name)).toEqual([
      'GET /health answers 200 {"ok":true}',
      'POST /webhooks/shopify takes a signed orders/create',
      'POST /webhooks/shopify refuses a forged signature with 401',
      'POST /webhooks/woocommerce answers the creation ping with 200',
      'POST /webhooks/woocommerce refuses a forged signature with 401',
      'POST /webhooks/generic takes a signed order',
      'POST /webhooks/generic refuses a forged signature with 401',
      'GET /api/customers refuses a request without a token with 401',
      'GET /api/customers shows the smoke customer with its orders',
      'POST /api/campaigns/{id}/preview runs a dry-run night that scans the shop',
      'customers/redact forgets the smoke customer',
    ]);
    expect(result.exitCode).toBe(0);
    expect(printed.join('\n')).toContain('All 11 checks passed.');
  });

  it('says which check failed, and why, when the stack holds another Shopify secret than the functions', async () => {
    // Act
    const printed: string[] = [];
    const result = await smoke(['--stack', 'Winback', '--outputs', outputsFor('Winback', api.base, 'Other'), '--token', adminToken], (text) =>
      printed.push(text),
    );
    // Assess
    expect(result.exitCode).toBe(1);
    const failed = result.checks.filter((check) => !check.ok);
    expect(failed.map((check) => check.name)).toEqual([
      'POST /webhooks/shopify takes a signed orders/create',
      'GET /api/customers shows the smoke customer with its orders',
      'customers/redact forgets the smoke customer',
    ]);
    expect(failed[0]!.detail).toMatch(/^401 /);
    expect(printed.join('\n')).toMatch(/FAIL {2}POST \/webhooks\/shopify takes a signed orders\/create\n {8}401 /);
    expect(printed.join('\n')).toContain('3 of 11 checks failed.');
  });

  it('runs the public checks without a token and says the others were not run', async () => {
    // Act
    const result = await smoke(['--stack', 'Winback', '--outputs', outputsFor('Winback', api.base)], quiet);
    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.checks.filter((check) => check.skipped).map((check) => check.detail)).toEqual(Array(3).fill(expect.stringContaining('pass --token')));
    expect(result.checks.filter((check) => !check.skipped)).toHaveLength(8);
  });

  it('fails every check with "no answer" when nothing listens at the API URL', async () => {
    // Act
    const result = await smoke(['--stack', 'Winback', '--outputs', outputsFor('Winback', 'http://127.0.0.1:9'), '--token', adminToken], quiet);
    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.checks[0]).toMatchObject({ ok: false, detail: expect.stringMatching(/^no answer: /) });
  });

  it('answers a usage error with exit code 2 and names what is missing', async () => {
    // Act
    const printed: string[] = [];
    const noStack = await smoke([], (text) => printed.push(text));
    const otherStack = await smoke(['--stack', 'Elsewhere', '--outputs', outputsFor('Winback', api.base)], (text) => printed.push(text));
    const noFile = await smoke(['--stack', 'Winback', '--outputs', join(workDir, 'missing.json')], (text) => printed.push(text));
    // Assess
    expect([noStack.exitCode, otherStack.exitCode, noFile.exitCode]).toEqual([2, 2, 2]);
    expect(printed[0]).toContain('--stack: required');
    expect(printed[1]).toContain('no outputs for the stack "Elsewhere" (it has: Winback)');
    expect(printed[2]).toContain("missing.json: cannot read the stack's outputs");
  });
});
