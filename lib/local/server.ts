import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { adminApiTimeoutSeconds } from '../http/route.js';
import { localLambdaContext } from './lambda-context.js';

type HttpLambda = (event: APIGatewayProxyEventV2, context: ReturnType<typeof localLambdaContext>) => Promise<APIGatewayProxyStructuredResultV2>;
type EventLambda = (event: unknown, context: ReturnType<typeof localLambdaContext>) => Promise<unknown>;

interface Route {
  readonly method: 'GET' | 'POST' | 'GET_POST' | 'GET_POST_PUT';
  readonly pattern: RegExp;
  readonly routeKey: string;
  readonly load: () => Promise<HttpLambda>;
  /** The function's timeout on AWS, when its handler reads the time it has left. */
  readonly timeoutMs?: number;
}

const adminApiTimeoutMs = adminApiTimeoutSeconds * 1000;

/** API Gateway's own limit is 10 MB; the handlers enforce tighter ones of their own. */
const maxRequestBytes = 10 * 1024 * 1024;

const routes: readonly Route[] = [
  {
    method: 'POST',
    pattern: /^\/webhooks\/shopify$/,
    routeKey: 'POST /webhooks/shopify',
    load: async () => (await import('../../functions/webhook-shopify/handler.js')).handler as unknown as HttpLambda,
  },
  {
    method: 'POST',
    pattern: /^\/webhooks\/woocommerce$/,
    routeKey: 'POST /webhooks/woocommerce',
    load: async () => (await import('../../functions/webhook-woocommerce/handler.js')).handler as unknown as HttpLambda,
  },
  {
    method: 'POST',
    pattern: /^\/webhooks\/generic$/,
    routeKey: 'POST /webhooks/generic',
    load: async () => (await import('../../functions/webhook-generic/handler.js')).handler as unknown as HttpLambda,
  },
  {
    method: 'GET_POST',
    pattern: /^\/unsubscribe\/[^/]+$/,
    routeKey: 'ANY /unsubscribe/{token}',
    load: async () => (await import('../../functions/unsubscribe/handler.js')).handler as unknown as HttpLambda,
  },
  {
    method: 'GET_POST',
    pattern: /^\/feedback\/[^/]+$/,
    routeKey: 'ANY /feedback/{token}',
    load: async () => (await import('../../functions/feedback/handler.js')).handler as unknown as HttpLambda,
  },
  {
    method: 'GET_POST_PUT',
    pattern: /^\/api\/campaigns(\/[^/]+)*$/,
    routeKey: 'ANY /api/campaigns/{proxy+}',
    load: async () => (await import('../../functions/admin-api/handler.js')).handler as unknown as HttpLambda,
    timeoutMs: adminApiTimeoutMs,
  },
  {
    method: 'GET',
    pattern: /^\/api\/customers$/,
    routeKey: 'GET /api/customers',
    load: async () => (await import('../../functions/admin-api/handler.js')).handler as unknown as HttpLambda,
    timeoutMs: adminApiTimeoutMs,
  },
  {
    method: 'GET',
    pattern: /^\/api\/segments$/,
    routeKey: 'GET /api/segments',
    load: async () => (await import('../../functions/admin-api/handler.js')).handler as unknown as HttpLambda,
    timeoutMs: adminApiTimeoutMs,
  },
  {
    method: 'GET',
    pattern: /^\/api\/report$/,
    routeKey: 'GET /api/report',
    load: async () => (await import('../../functions/admin-api/handler.js')).handler as unknown as HttpLambda,
    timeoutMs: adminApiTimeoutMs,
  },
  {
    method: 'GET',
    pattern: /^\/(console\/[^/]+)?$/,
    routeKey: 'GET /console/{proxy+}',
    load: async () => (await import('../../functions/console/handler.js')).handler as unknown as HttpLambda,
  },
  {
    method: 'GET',
    pattern: /^\/health$/,
    routeKey: 'GET /health',
    load: async () => (await import('../../functions/admin-api/handler.js')).handler as unknown as HttpLambda,
  },
];

export interface LocalServerOptions {
  readonly port: number;
  readonly host?: string;
  readonly latestSummary?: () => unknown;
}

/**
 * The local HTTP API: each request becomes the payload format 2.0 event API Gateway would deliver, handed to the
 * same Lambda handler. `POST /local/ses-events` stands in for the EventBridge rule (there is no local SES event
 * stream) and hands the envelope to the events handler as the rule target would.
 */
export async function startLocalServer(options: LocalServerOptions): Promise<Server> {
  const server = createServer((request, response) => {
    handle(request, response, options).catch((error: unknown) => {
      // The exception goes to the operator's terminal, never to whoever sent the request.
      process.stderr.write(`local server: ${request.method} ${request.url}: ${(error as Error).stack ?? String(error)}\n`);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'internal_error' }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  return server;
}

async function handle(request: IncomingMessage, response: ServerResponse, options: LocalServerOptions): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const verb = (request.method ?? 'GET').toUpperCase();
  if (verb === 'GET' && url.pathname === '/runs/latest') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(options.latestSummary?.() ?? null, null, 2));
    return;
  }
  const body = await readBody(request);
  if (body === 'too_large') {
    response.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'payload_too_large' }));
    return;
  }
  if (verb === 'POST' && url.pathname === '/local/ses-events') {
    const refused = refuseCrossSite(request);
    if (refused) {
      response.writeHead(refused.status, { 'content-type': 'application/json' }).end(JSON.stringify(refused.body));
      return;
    }
    const { handler } = await import('../../functions/email-events/handler.js');
    let envelope: unknown;
    try {
      envelope = JSON.parse(body.toString('utf8'));
    } catch {
      response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'malformed_json' }));
      return;
    }
    const outcome = await (handler as unknown as EventLambda)(envelope, localLambdaContext('winback-email-events'));
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(outcome));
    return;
  }
  // HEAD is answered as GET is, without the body (Node's http leaves it out); the handler sees HEAD and acts on nothing.
  const routeVerb = verb === 'HEAD' ? 'GET' : verb;
  const route = routes.find((candidate) => candidate.pattern.test(url.pathname) && candidate.method.split('_').includes(routeVerb));
  if (!route) {
    response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not_found' }));
    return;
  }
  const handler = await route.load();
  const result = await handler(
    toApiGatewayEvent(request, url, body, route.routeKey),
    localLambdaContext(`winback-${route.routeKey.split(' ')[1]!.split('/')[1]}`, route.timeoutMs),
  );
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)]));
  response.writeHead(result.statusCode ?? 200, headers).end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
}

/**
 * The header `POST /local/ses-events` requires, beside `Content-Type: application/json`. A web page can post
 * `text/plain` anywhere without asking; a custom header or a JSON content type makes the browser ask first (a CORS
 * preflight), which this server never grants, so no page the developer visits can forge SES events.
 */
export const localEventsHeaders = { 'content-type': 'application/json', 'x-winback-local': '1' } as const;

function refuseCrossSite(request: IncomingMessage): { status: number; body: Record<string, string> } | undefined {
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    return { status: 415, body: { error: 'unsupported_media_type', field: 'content-type', problem: 'expected application/json' } };
  }
  if (request.headers['x-winback-local'] !== '1') {
    return { status: 403, body: { error: 'forbidden', field: 'x-winback-local', problem: 'this local endpoint requires the header X-Winback-Local: 1' } };
  }
  return undefined;
}

function decodedToken(token: string): string | undefined {
  try {
    return decodeURIComponent(token);
  } catch {
    return undefined;
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxRequestBytes) return 'too_large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const textContentTypes = /^(text\/|application\/(json|x-www-form-urlencoded|xml|javascript))/i;

/** What API Gateway HTTP APIs send a Lambda integration (payload format 2.0). */
export function toApiGatewayEvent(request: IncomingMessage, url: URL, body: Buffer, routeKey: string): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const isText = textContentTypes.test(headers['content-type'] ?? '');
  const token = /^\/(?:unsubscribe|feedback)\/([^/]+)$/.exec(url.pathname)?.[1];
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search ? { queryStringParameters: query } : {}),
    // A token that does not decode (`%E0%A4%A`) is left to the handler, which answers 400 naming it.
    ...(token && decodedToken(token) !== undefined ? { pathParameters: { token: decodedToken(token)! } } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: (request.method ?? 'GET').toUpperCase(),
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !isText } : { isBase64Encoded: false }),
  };
}
