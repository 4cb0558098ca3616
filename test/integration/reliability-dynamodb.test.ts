import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDocumentClient, isConditionalCheckFailure } from '../../lib/adapters/dynamodb/client.js';
import { DynamoCustomerRepository } from '../../lib/adapters/dynamodb/customers.js';
import { DynamoSendLedger } from '../../lib/adapters/dynamodb/send-ledger.js';
import { keys } from '../../lib/adapters/dynamodb/table.js';
import { signShopify } from '../../lib/domain/webhooks/signatures.js';
import { localLambdaContext } from '../../lib/local/lambda-context.js';
import { customerFrom } from '../support/customers.js';
import { forwardTo } from '../support/forward.js';
import { apiGatewayEvent, fixtureHeaders, fixtureText } from '../support/http.js';
import { localShop } from '../support/local-aws.js';

/**
 * DynamoDB Local never throttles and never fails, so these tests put a small HTTP proxy on loopback between the
 * real adapters and DynamoDB Local. It answers some requests with the errors DynamoDB really sends and forwards
 * the rest untouched. Unlike a stubbed `client.send`, this goes through the SDK's own retry middleware: what is
 * tested is the client `createDocumentClient` builds.
 */
type Fault = 'ProvisionedThroughputExceededException' | 'ThrottlingException' | 'InternalServerError' | 'ServiceUnavailable' | 'unprocessed';

interface SeenRequest {
  readonly operation: string;
  readonly body: string;
}

const faultAnswers: Record<Exclude<Fault, 'unprocessed'>, { status: number; body: string }> = {
  ProvisionedThroughputExceededException: {
    status: 400,
    body: JSON.stringify({
      __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
      message: 'The level of configured provisioned throughput for the table was exceeded.',
    }),
  },
  ThrottlingException: {
    status: 400,
    body: JSON.stringify({ __type: 'com.amazon.coral.availability#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' }),
  },
  InternalServerError: {
    status: 500,
    body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' }),
  },
  ServiceUnavailable: { status: 503, body: '' },
};

async function faultyDynamo(target: string, faultFor: (seen: SeenRequest, index: number) => Fault | undefined) {
  const seen: SeenRequest[] = [];
  const upstream = new URL(target);
  const server: Server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = String(incoming.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      const request = { operation, body: body.toString('utf8') };
      seen.push(request);
      const fault = faultFor(request, seen.filter((earlier) => earlier.operation === operation).length - 1);
      if (fault === 'unprocessed') {
        // DynamoDB may accept a batch and leave any of its items unprocessed, without an error.
        const { RequestItems } = JSON.parse(request.body) as { RequestItems: unknown };
        outgoing.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ UnprocessedItems: RequestItems }));
        return;
      }
      if (fault) {
        const answer = faultAnswers[fault];
        outgoing.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'fault' }).end(answer.body);
        return;
      }
      forwardTo(upstream, incoming, outgoing, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const attempts = (operation: string) => seen.filter((request) => request.operation === operation).length;
  return { endpoint, seen, attempts, close };
}

let closeProxy: (() => Promise<void>) | undefined;
afterEach(async () => {
  await closeProxy?.();
  closeProxy = undefined;
});

async function throughFaults(faultFor: (seen: SeenRequest, index: number) => Fault | undefined, maxAttempts?: number) {
  const shop = await localShop();
  const proxy = await faultyDynamo(shop.dynamoEndpoint, faultFor);
  closeProxy = proxy.close;
  const client = createDocumentClient({ endpoint: proxy.endpoint, ...(maxAttempts ? { maxAttempts } : {}) });
  return { ...shop, proxy, ledger: new DynamoSendLedger(client, shop.tableName), customers: new DynamoCustomerRepository(client, shop.tableName) };
}

const webhookSecret = 'test-shopify-webhook-secret-throttled-0123';

const reservation = (customerId: string) => ({
  customerId,
  campaignId: 'lost-winback',
  episode: '2026-05-01',
  step: 0,
  runId: 'run-1',
  asOf: '2026-11-22',
  reservedAt: '2026-11-22T02:00:00.000Z',
});

describe('DynamoDB throttling and transient errors', () => {
  it('retries throttling, a 500 and a 503 with backoff until the write goes through, and writes it once', async () => {
    // Prepare: the first four PutItem requests fail, each with another of the faults DynamoDB sends
    const faults: Fault[] = ['ProvisionedThroughputExceededException', 'ThrottlingException', 'InternalServerError', 'ServiceUnavailable'];
    const shop = await throughFaults((request, index) => (request.operation === 'PutItem' ? faults[index] : undefined));
    // Act
    const answer = await shop.ledger.reserve(reservation('9007199254740993'));
    // Assess
    expect(answer).toEqual({ reserved: true });
    expect(shop.proxy.attempts('PutItem')).toBe(faults.length + 1);
    const stored = await shop.client.send(
      new GetCommand({ TableName: shop.tableName, Key: keys.send('9007199254740993', 'lost-winback', '2026-05-01', 0), ConsistentRead: true }),
    );
    expect(stored.Item).toMatchObject({ status: 'reserved', runId: 'run-1' });
  });

  it('gives up after maxAttempts and surfaces the throttling error instead of pretending it wrote', async () => {
    // Prepare: a table that throttles every write
    const shop = await throughFaults((request) => (request.operation === 'PutItem' ? 'ProvisionedThroughputExceededException' : undefined), 3);
    // Act
    const reserving = shop.ledger.reserve(reservation('9007199254740994'));
    // Assess
    await expect(reserving).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(shop.proxy.attempts('PutItem')).toBe(3);
    const stored = await shop.client.send(
      new GetCommand({ TableName: shop.tableName, Key: keys.send('9007199254740994', 'lost-winback', '2026-05-01', 0), ConsistentRead: true }),
    );
    expect(stored.Item).toBeUndefined();
  });

  it('takes a conditional-check failure as the answer "already reserved", at once and without a retry', async () => {
    // Prepare
    const shop = await throughFaults(() => undefined);
    await shop.ledger.reserve(reservation('9007199254740995'));
    const before = shop.proxy.attempts('PutItem');
    // Act
    const second = await shop.ledger.reserve({ ...reservation('9007199254740995'), runId: 'run-2' });
    // Assess
    expect(second).toEqual({ reserved: false, heldAs: 'reserved', holder: { runId: 'run-1' } });
    expect(shop.proxy.attempts('PutItem') - before).toBe(1);
  });

  it('answers a conditional-check failure after throttling with the holder of the step, not an error', async () => {
    // Prepare: the step is already held, and the table throttles the second attempt to reserve it
    const shop = await throughFaults((request, index) => (request.operation === 'PutItem' && index === 1 ? 'ThrottlingException' : undefined));
    await shop.ledger.reserve(reservation('9007199254740996'));
    await shop.ledger.complete(reservation('9007199254740996'), { status: 'sent', messageId: 'm-1', at: '2026-11-22T02:00:01.000Z', night: '2026-11-22' });
    // Act
    const again = await shop.ledger.reserve({ ...reservation('9007199254740996'), runId: 'run-2' });
    // Assess
    expect(again).toEqual({ reserved: false, heldAs: 'sent', holder: { runId: 'run-1' } });
    expect(shop.proxy.attempts('PutItem')).toBe(3);
  });

  it('retries the items a batch write left unprocessed until every customer is stored', async () => {
    // Prepare: the first two batch writes come back with every item unprocessed
    const shop = await throughFaults((request, index) => (request.operation === 'BatchWriteItem' && index < 2 ? 'unprocessed' : undefined));
    const entries = ['Ann', 'Bo', 'Cid'].map((name) => customerFrom({ name, orderDays: ['2026-05-01'] }));
    // Act
    await shop.customers.putMany(entries);
    // Assess
    expect(shop.proxy.attempts('BatchWriteItem')).toBeGreaterThan(2);
    const direct = new DynamoCustomerRepository(shop.client, shop.tableName);
    for (const { customer } of entries) expect(await direct.get(customer.customerId)).toMatchObject({ customerId: customer.customerId, email: customer.email });
  });

  it('never takes a throttling error for a conditional-check failure', async () => {
    // Prepare
    const shop = await throughFaults((request) => (request.operation === 'PutItem' ? 'ThrottlingException' : undefined), 1);
    const put = new PutCommand({ TableName: shop.tableName, Item: { pk: 'X', sk: 'Y' }, ConditionExpression: 'attribute_not_exists(pk)' });
    // Act
    const error = await createDocumentClient({ endpoint: shop.proxy.endpoint, maxAttempts: 1 })
      .send(put)
      .catch((caught: unknown) => caught);
    // Assess
    expect(error).toMatchObject({ name: 'ThrottlingException' });
    expect(isConditionalCheckFailure(error)).toBe(false);
  });

  it("answers a webhook 503 after three attempts when DynamoDB keeps throttling, well inside Shopify's 5 seconds", async () => {
    // Prepare: every storage request throttled; the Shopify handler's own client, built from the environment
    const shop = await throughFaults(() => 'ThrottlingException');
    vi.resetModules();
    vi.stubEnv('TABLE_NAME', shop.tableName);
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', shop.proxy.endpoint);
    vi.stubEnv('SHOPIFY_WEBHOOK_SECRET', webhookSecret);
    const { handler } = await import('../../functions/webhook-shopify/handler.js');
    const body = fixtureText('shopify', 'orders-create.json');
    const headers = { ...fixtureHeaders('shopify', 'orders-create.headers.json'), 'X-Shopify-Hmac-Sha256': signShopify(body, webhookSecret) };
    try {
      // Act
      const response = await handler(apiGatewayEvent('POST', '/webhooks/shopify', { headers, body }), localLambdaContext('webhook-shopify-test'));
      // Assess: the platform is told to retry, and the client gave up after its three attempts
      expect(response.statusCode).toBe(503);
      expect(shop.proxy.seen).toHaveLength(3);
      expect(new Set(shop.proxy.seen.map((request) => request.operation)).size).toBe(1);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
