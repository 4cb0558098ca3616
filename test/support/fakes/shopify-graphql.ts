import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local server that plays the Shopify GraphQL Admin API's protocol, as shopify.dev documents it:
 * - `POST /admin/api/{version}/graphql.json` with `{query, variables}`; the token in `X-Shopify-Access-Token`
 *   (a wrong or missing one: 401 with `{"errors": "[API] Invalid API key or access token ..."}`);
 * - calculated query cost: a leaky bucket per shop (`maximumAvailable`, refilled at `restoreRate` points a second);
 *   every answer carries `extensions.cost {requestedQueryCost, actualQueryCost, throttleStatus}`; a query that costs
 *   more than is available runs nothing and gets `errors: [{message: "Throttled", extensions: {code: "THROTTLED"}}]`
 *   with HTTP 200 and `actualQueryCost: null`;
 * - `data` holds one entry per root field (its alias if it has one).
 *
 * It knows no schema: each root field (`discountCodeBasicCreate`, `bulkOperationRunQuery`, `currentBulkOperation` ...)
 * is answered by a resolver registered with `resolve(field, resolver)`, which returns that field's whole value (the
 * selection set is not applied). A field nobody registered gets a GraphQL error, as an unknown field does. Resolvers
 * live beside the test that needs them (see shopify-discounts.ts); `currentAppInstallation` and `shop` are built in.
 */
export interface ShopifyGraphqlFakeOptions {
  readonly token?: string;
  readonly shopDomain?: string;
  readonly apiVersion?: string;
  /** Access scopes the token was granted (currentAppInstallation.accessScopes). */
  readonly scopes?: readonly string[];
  readonly bucket?: { readonly maximumAvailable: number; readonly restoreRate: number };
  /** Milliseconds since some epoch; a test may drive it to refill the bucket without waiting. */
  readonly now?: () => number;
}

export interface ResolverContext {
  readonly variables: Record<string, unknown>;
  /** The root field's argument text as written in the query, for fields called with inline arguments. */
  readonly argumentText: string;
  readonly query: string;
  readonly operation: 'query' | 'mutation';
  readonly fake: ShopifyGraphqlFake;
}

/** Returns the root field's value; throwing a GraphqlFieldError answers with a GraphQL error for that field. */
export type Resolver = (context: ResolverContext) => unknown;

export class GraphqlFieldError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface RecordedCall {
  readonly at: number;
  readonly operation: 'query' | 'mutation';
  readonly fields: readonly string[];
  readonly variables: Record<string, unknown>;
  /** What happened: answered, throttled, unauthorized or a fault the test injected. */
  readonly outcome: 'answered' | 'throttled' | 'unauthorized' | 'fault';
}

/** An answer a test forces instead of the resolvers: an HTTP error, a throttle, a dropped connection. */
export type Fault = { readonly status: number; readonly body: unknown } | 'throttle' | 'drop';

interface Registration {
  readonly resolver: Resolver;
  readonly cost?: number;
}

export const shopifyTestToken = 'shpat_test_0123456789abcdef';

export class ShopifyGraphqlFake {
  readonly calls: RecordedCall[] = [];
  readonly token: string;
  readonly shopDomain: string;
  readonly apiVersion: string;
  scopes: string[];
  readonly maximumAvailable: number;
  readonly restoreRate: number;
  private available: number;
  private lastRefill: number;
  private readonly now: () => number;
  private readonly resolvers = new Map<string, Registration>();
  private readonly faults: { field?: string; remaining: number; fault: Fault }[] = [];
  private server?: Server;
  private base = '';

  private constructor(options: ShopifyGraphqlFakeOptions) {
    this.token = options.token ?? shopifyTestToken;
    this.shopDomain = options.shopDomain ?? 'winback-test.myshopify.com';
    this.apiVersion = options.apiVersion ?? '2025-10';
    this.scopes = [...(options.scopes ?? ['read_orders', 'read_customers', 'read_discounts', 'write_discounts'])];
    this.maximumAvailable = options.bucket?.maximumAvailable ?? 2000;
    this.restoreRate = options.bucket?.restoreRate ?? 100;
    this.available = this.maximumAvailable;
    this.now = options.now ?? (() => performance.now());
    this.lastRefill = this.now();
    this.resolve('currentAppInstallation', () => ({ accessScopes: this.scopes.map((handle) => ({ handle })) }), { cost: 1 });
    this.resolve('shop', () => ({ myshopifyDomain: this.shopDomain, name: 'Winback test shop' }), { cost: 1 });
  }

  static async start(options: ShopifyGraphqlFakeOptions = {}): Promise<ShopifyGraphqlFake> {
    const fake = new ShopifyGraphqlFake(options);
    await fake.listen();
    return fake;
  }

  /** The full GraphQL endpoint, as SHOPIFY_ADMIN_API_URL takes it. */
  get url(): string {
    return `${this.base}/admin/api/${this.apiVersion}/graphql.json`;
  }

  /** Answers a root field. `cost` defaults to 10 for a mutation and 1 for a query field. */
  resolve(field: string, resolver: Resolver, options: { cost?: number } = {}): this {
    this.resolvers.set(field, { resolver, ...(options.cost !== undefined ? { cost: options.cost } : {}) });
    return this;
  }

  /** The next `times` requests (that touch `field`, if given) get this answer instead. */
  fail(fault: Fault, options: { times?: number; field?: string } = {}): this {
    this.faults.push({ remaining: options.times ?? 1, fault, ...(options.field ? { field: options.field } : {}) });
    return this;
  }

  /** Drops the faults not played yet: the platform is back. */
  clearFaults(): this {
    this.faults.length = 0;
    return this;
  }

  /** Empties the bucket, as a burst from another app call would. */
  drain(points = this.maximumAvailable): void {
    this.refill();
    this.available = Math.max(0, this.available - points);
  }

  currentlyAvailable(): number {
    this.refill();
    return this.available;
  }

  callsTo(field: string): RecordedCall[] {
    return this.calls.filter((call) => call.fields.includes(field));
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async listen(): Promise<void> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) send(response, 500, { errors: [{ message: (error as Error).message }] });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private refill(): void {
    const now = this.now();
    this.available = Math.min(this.maximumAvailable, this.available + ((now - this.lastRefill) / 1000) * this.restoreRate);
    this.lastRefill = now;
  }

  private throttleStatus() {
    return { maximumAvailable: this.maximumAvailable, currentlyAvailable: Math.floor(this.available), restoreRate: this.restoreRate };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    if (request.method !== 'POST' || request.url?.split('?')[0] !== `/admin/api/${this.apiVersion}/graphql.json`) {
      send(response, 404, { errors: 'Not Found' });
      return;
    }
    if (request.headers['x-shopify-access-token'] !== this.token) {
      this.calls.push({ at: this.now(), operation: 'query', fields: [], variables: {}, outcome: 'unauthorized' });
      send(response, 401, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
      return;
    }
    let payload: { query?: unknown; variables?: unknown };
    try {
      payload = JSON.parse(body) as typeof payload;
    } catch {
      send(response, 400, { errors: { query: 'Required parameter missing or invalid' } });
      return;
    }
    if (typeof payload.query !== 'string') {
      send(response, 400, { errors: { query: 'Required parameter missing or invalid' } });
      return;
    }
    const query = payload.query;
    const variables = (payload.variables && typeof payload.variables === 'object' ? payload.variables : {}) as Record<string, unknown>;
    let parsed: ParsedOperation;
    try {
      parsed = parseOperation(query);
    } catch (error) {
      send(response, 200, { errors: [{ message: (error as Error).message, extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] });
      return;
    }
    const fields = parsed.fields.map((field) => field.name);
    const record = (outcome: RecordedCall['outcome']) => this.calls.push({ at: this.now(), operation: parsed.operation, fields, variables, outcome });

    const faultIndex = this.faults.findIndex((candidate) => candidate.remaining > 0 && (!candidate.field || fields.includes(candidate.field)));
    const fault = faultIndex >= 0 ? this.faults[faultIndex]! : undefined;
    if (fault) {
      fault.remaining -= 1;
      if (fault.remaining === 0) this.faults.splice(faultIndex, 1);
    }

    const requestedQueryCost = parsed.fields.reduce(
      (sum, field) => sum + (this.resolvers.get(field.name)?.cost ?? (parsed.operation === 'mutation' ? 10 : 1)),
      0,
    );
    this.refill();
    if (fault && fault.fault !== 'throttle') {
      record('fault');
      if (fault.fault === 'drop') request.socket.destroy();
      else send(response, fault.fault.status, fault.fault.body);
      return;
    }
    if (fault?.fault === 'throttle' || requestedQueryCost > this.available) {
      record('throttled');
      send(response, 200, {
        errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
        extensions: { cost: { requestedQueryCost, actualQueryCost: null, throttleStatus: this.throttleStatus() } },
      });
      return;
    }
    this.available -= requestedQueryCost;
    record('answered');

    const data: Record<string, unknown> = {};
    const errors: { message: string; path: string[]; extensions?: { code: string } }[] = [];
    for (const field of parsed.fields) {
      const registration = this.resolvers.get(field.name);
      const key = field.alias ?? field.name;
      if (!registration) {
        errors.push({
          message: `Field '${field.name}' doesn't exist on type '${parsed.operation === 'mutation' ? 'Mutation' : 'QueryRoot'}'`,
          path: [key],
          extensions: { code: 'undefinedField' },
        });
        continue;
      }
      try {
        data[key] = await registration.resolver({ variables, argumentText: field.argumentText, query, operation: parsed.operation, fake: this });
      } catch (error) {
        data[key] = null;
        errors.push({
          message: (error as Error).message,
          path: [key],
          ...(error instanceof GraphqlFieldError && error.code ? { extensions: { code: error.code } } : {}),
        });
      }
    }
    send(response, 200, {
      data,
      ...(errors.length > 0 ? { errors } : {}),
      extensions: { cost: { requestedQueryCost, actualQueryCost: requestedQueryCost, throttleStatus: this.throttleStatus() } },
    });
  }
}

interface ParsedOperation {
  readonly operation: 'query' | 'mutation';
  readonly fields: readonly { readonly name: string; readonly alias?: string; readonly argumentText: string }[];
}

/**
 * The operation's kind and root fields, by a small scanner: enough for the single-operation documents clients send
 * (comments, strings, block strings, aliases, arguments, nested selections); fragments at the root are not supported.
 */
export function parseOperation(query: string): ParsedOperation {
  const text = stripCommentsAndStrings(query);
  const open = text.indexOf('{');
  if (open < 0) throw new Error('Parse error: expected a selection set');
  const header = text.slice(0, open).trim();
  const operation = /^mutation\b/.test(header) ? 'mutation' : 'query';
  if (header && !/^(query|mutation)\b/.test(header)) throw new Error(`Parse error on "${header.split(/\s+/)[0]}"`);
  const fields: { name: string; alias?: string; argumentText: string }[] = [];
  let index = open + 1;
  let pendingAlias: string | undefined;
  while (index < text.length) {
    const char = text[index]!;
    if (char === '}') break;
    if (/\s|,/.test(char)) {
      index += 1;
      continue;
    }
    const identifier = /^[_A-Za-z][_0-9A-Za-z]*/.exec(text.slice(index))?.[0];
    if (!identifier) throw new Error(`Parse error on "${char}"`);
    index += identifier.length;
    while (/\s/.test(text[index] ?? '')) index += 1;
    if (text[index] === ':') {
      pendingAlias = identifier;
      index += 1;
      continue;
    }
    let argumentText = '';
    if (text[index] === '(') {
      const close = matching(text, index, '(', ')');
      argumentText = query.slice(index + 1, close);
      index = close + 1;
      while (/\s/.test(text[index] ?? '')) index += 1;
    }
    if (text[index] === '{') index = matching(text, index, '{', '}') + 1;
    fields.push({ name: identifier, ...(pendingAlias ? { alias: pendingAlias } : {}), argumentText });
    pendingAlias = undefined;
  }
  if (fields.length === 0) throw new Error('Parse error: empty selection set');
  return { operation, fields };
}

/** Blanks comments and string contents (keeping every offset), so braces inside them do not count. */
function stripCommentsAndStrings(query: string): string {
  let out = '';
  let index = 0;
  while (index < query.length) {
    if (query.startsWith('"""', index)) {
      const end = query.indexOf('"""', index + 3);
      const stop = end < 0 ? query.length : end + 3;
      out += `"${' '.repeat(stop - index - 2)}"`;
      index = stop;
    } else if (query[index] === '"') {
      let end = index + 1;
      while (end < query.length && query[end] !== '"') end += query[end] === '\\' ? 2 : 1;
      const stop = Math.min(query.length, end + 1);
      out += `"${' '.repeat(Math.max(0, stop - index - 2))}${stop - index >= 2 ? '"' : ''}`;
      index = stop;
    } else if (query[index] === '#') {
      const end = query.indexOf('\n', index);
      const stop = end < 0 ? query.length : end;
      out += ' '.repeat(stop - index);
      index = stop;
    } else {
      out += query[index];
      index += 1;
    }
  }
  return out;
}

function matching(text: string, open: number, opener: string, closer: string): number {
  let depth = 0;
  for (let index = open; index < text.length; index += 1) {
    if (text[index] === opener) depth += 1;
    else if (text[index] === closer && --depth === 0) return index;
  }
  throw new Error(`Parse error: unbalanced "${opener}"`);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
