import type { WooCommerceCredentials } from '../platform-credentials.js';

/**
 * A small client for the WooCommerce REST API v3 (`{site}/wp-json/wc/v3`). Authenticated with the REST API key by
 * HTTP Basic auth, which WooCommerce accepts over HTTPS. A 429 (a host's or a security plugin's rate limit) or a 5xx
 * is asked again after Retry-After, or an exponential wait.
 */
export interface WooCommerceClientOptions {
  /** The REST base, by default `${siteUrl}/wp-json/wc/v3`. */
  readonly base: string;
  readonly credentials: WooCommerceCredentials;
  readonly patienceMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly fetch?: typeof fetch;
}

export class WooCommerceApiError extends Error {
  override readonly name = 'WooCommerceApiError';
  constructor(
    message: string,
    /** `unauthorized`, `http_429`, `http_500`, a WooCommerce error code, or `network`. */
    readonly code: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}

export function woocommerceBase(siteUrl: string, override?: string): string {
  return (override ?? `${siteUrl.replace(/\/+$/, '')}/wp-json/wc/v3`).replace(/\/+$/, '');
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class WooCommerceClient {
  readonly stats = { requests: 0, rateLimited: 0 };

  constructor(private readonly options: WooCommerceClientOptions) {}

  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<{ body: T; headers: Headers }> {
    const sleep = this.options.sleep ?? sleepFor;
    const deadline = Date.now() + (this.options.patienceMs ?? 60_000);
    for (let attempt = 1; ; attempt += 1) {
      let failure: WooCommerceApiError;
      let retryAfterMs: number | undefined;
      try {
        return await this.once<T>(method, path, body);
      } catch (error) {
        failure = error instanceof WooCommerceApiError ? error : new WooCommerceApiError((error as Error).message, 'network', true);
        retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs;
      }
      if (failure.status === 429) this.stats.rateLimited += 1;
      if (!failure.retryable || Date.now() >= deadline) throw failure;
      await sleep(Math.min(retryAfterMs ?? 500 * 2 ** Math.min(attempt - 1, 6), Math.max(0, deadline - Date.now())));
    }
  }

  private async once<T>(method: string, path: string, body: unknown): Promise<{ body: T; headers: Headers }> {
    this.stats.requests += 1;
    const { consumerKey, consumerSecret } = this.options.credentials;
    const response = await (this.options.fetch ?? fetch)(`${this.options.base}${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`${consumerKey}:${consumerSecret}`).toString('base64')}`,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.ok && parsed !== undefined) return { body: parsed as T, headers: response.headers };
    const code = (parsed as { code?: string } | undefined)?.code;
    const message = (parsed as { message?: string } | undefined)?.message ?? `HTTP ${response.status}`;
    if (response.status === 401 || response.status === 403)
      throw new WooCommerceApiError(`WooCommerce refused the API key: ${message}`, code ?? 'unauthorized', false, response.status);
    if (response.status === 429 || response.status >= 500) {
      const error = new WooCommerceApiError(`WooCommerce answered HTTP ${response.status}`, `http_${response.status}`, true, response.status);
      const retryAfter = Number(response.headers.get('retry-after'));
      if (Number.isFinite(retryAfter) && retryAfter > 0) Object.assign(error, { retryAfterMs: Math.min(retryAfter, 60) * 1000 });
      throw error;
    }
    throw new WooCommerceApiError(`WooCommerce answered HTTP ${response.status}: ${message}`, code ?? `http_${response.status}`, false, response.status);
  }
}
