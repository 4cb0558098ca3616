/**
 * A small client for the Shopify GraphQL Admin API: `POST {endpoint}` with `X-Shopify-Access-Token`, and the
 * calculated-cost rate limit respected. Every answer carries `extensions.cost.throttleStatus`; a query that would
 * cost more than the bucket holds is refused with a `THROTTLED` error (HTTP 200, sometimes 429): the client waits
 * until the bucket has refilled enough (cost - available, at restoreRate points a second) and asks again.
 */
export const shopifyApiVersion = '2025-10';

export interface ShopifyAdminClientOptions {
  /** The full GraphQL endpoint; by default https://{shopDomain}/admin/api/{version}/graphql.json. */
  readonly endpoint: string;
  readonly token: string;
  /** How long a request may keep waiting for throttling and server errors, in all. */
  readonly patienceMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly fetch?: typeof fetch;
}

export interface ThrottleStatus {
  readonly maximumAvailable: number;
  readonly currentlyAvailable: number;
  readonly restoreRate: number;
}

/** The API said no in a way that asking again will not change (a bad token, a missing scope, a GraphQL error). */
export class ShopifyApiError extends Error {
  override readonly name = 'ShopifyApiError';
  constructor(
    message: string,
    /** Short, for ledgers and logs: `unauthorized`, `THROTTLED`, `http_503`, `ACCESS_DENIED`, `network`. */
    readonly code: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export function shopifyEndpoint(shopDomain: string, override?: string): string {
  return override ?? `https://${shopDomain}/admin/api/${shopifyApiVersion}/graphql.json`;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ShopifyAdminClient {
  private throttle: ThrottleStatus | undefined;
  private throttleAt = 0;
  readonly stats = { requests: 0, throttled: 0, waited: 0 };

  constructor(private readonly options: ShopifyAdminClientOptions) {}

  /** The query's `data`; throws ShopifyApiError when it cannot be had within the client's patience. */
  async request<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}, expectedCost = 10): Promise<T> {
    const sleep = this.options.sleep ?? sleepFor;
    const deadline = Date.now() + (this.options.patienceMs ?? 60_000);
    let attempt = 0;
    for (;;) {
      attempt += 1;
      // Wait before asking when the last answer says the bucket cannot hold this query yet.
      const wait = this.waitFor(expectedCost);
      if (wait > 0) this.stats.waited += 1;
      if (wait > 0) await sleep(Math.min(wait, Math.max(0, deadline - Date.now())));
      let failure: ShopifyApiError;
      try {
        return await this.once<T>(query, variables);
      } catch (error) {
        failure = error instanceof ShopifyApiError ? error : new ShopifyApiError((error as Error).message, 'network', true);
      }
      if (!failure.retryable || Date.now() >= deadline) throw failure;
      if (failure.code === 'THROTTLED') {
        this.stats.throttled += 1;
        const refill = this.waitFor(expectedCost);
        await sleep(Math.min(Math.max(refill, 250), Math.max(0, deadline - Date.now())));
      } else {
        await sleep(Math.min(250 * 2 ** Math.min(attempt, 6), Math.max(0, deadline - Date.now())));
      }
    }
  }

  /** Milliseconds until the bucket holds `cost` points, as far as the last answer tells. */
  private waitFor(cost: number): number {
    if (!this.throttle || this.throttle.restoreRate <= 0) return 0;
    const now = Date.now();
    const available = Math.min(this.throttle.maximumAvailable, this.throttle.currentlyAvailable + ((now - this.throttleAt) / 1000) * this.throttle.restoreRate);
    const needed = Math.min(cost, this.throttle.maximumAvailable) - available;
    return needed <= 0 ? 0 : Math.ceil((needed / this.throttle.restoreRate) * 1000) + 50;
  }

  private async once<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    this.stats.requests += 1;
    const response = await (this.options.fetch ?? fetch)(this.options.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-shopify-access-token': this.options.token },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let body: { data?: unknown; errors?: unknown; extensions?: { cost?: { throttleStatus?: ThrottleStatus } } } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = undefined;
    }
    const status = body?.extensions?.cost?.throttleStatus;
    if (status && typeof status.currentlyAvailable === 'number') {
      this.throttle = status;
      this.throttleAt = Date.now();
    }
    if (response.status === 401 || response.status === 403)
      throw new ShopifyApiError(`Shopify refused the access token (HTTP ${response.status})`, 'unauthorized', false);
    const errors = Array.isArray(body?.errors) ? (body!.errors as { message?: string; extensions?: { code?: string } }[]) : [];
    if (errors.some((error) => error.extensions?.code === 'THROTTLED') || response.status === 429)
      throw new ShopifyApiError('throttled by Shopify', 'THROTTLED', true);
    if (response.status >= 500) throw new ShopifyApiError(`Shopify answered HTTP ${response.status}`, `http_${response.status}`, true);
    if (!response.ok || !body) throw new ShopifyApiError(`Shopify answered HTTP ${response.status}`, `http_${response.status}`, false);
    if (errors.length > 0 && (body.data === undefined || body.data === null)) {
      const first = errors[0]!;
      throw new ShopifyApiError(first.message ?? 'GraphQL error', first.extensions?.code ?? 'graphql_error', false);
    }
    if (errors.length > 0) {
      const first = errors[0]!;
      throw new ShopifyApiError(first.message ?? 'GraphQL error', first.extensions?.code ?? 'graphql_error', false);
    }
    return body.data as T;
  }
}
