import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local server that plays WooCommerce REST API v3's orders listing, as woocommerce.github.io/woocommerce-rest-api-docs
 * documents it: `GET /wp-json/wc/v3/orders?per_page=N&page=P` (per_page at most 100, default 10) with HTTP Basic auth
 * by consumer key and secret (a wrong key: 401 `woocommerce_rest_cannot_view`); the answer is a JSON array, with
 * `X-WP-Total`, `X-WP-TotalPages` and a `Link` header (`rel="next"`, `rel="prev"`). A page past the end is an empty
 * array. Faults a test asks for: a 429 with Retry-After (a host's rate limit), a 500.
 */
export const wooTestCredentials = { consumerKey: 'ck_test_0123456789', consumerSecret: 'cs_test_0123456789' };

export class WooCommerceOrdersFake {
  readonly requests: { page: number; perPage: number; status: number }[] = [];
  private readonly faults: { status: number; retryAfter?: string }[] = [];
  private server?: Server;
  base = '';

  private constructor(private readonly orders: readonly unknown[]) {}

  static async start(orders: readonly unknown[]): Promise<WooCommerceOrdersFake> {
    const fake = new WooCommerceOrdersFake(orders);
    const server = createServer((request, response) => fake.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake.server = server;
    fake.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return fake;
  }

  /** The next requests get this answer instead. */
  fail(status: number, options: { retryAfter?: string; times?: number } = {}): this {
    for (let index = 0; index < (options.times ?? 1); index += 1)
      this.faults.push({ status, ...(options.retryAfter ? { retryAfter: options.retryAfter } : {}) });
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', this.base);
    const page = Number(url.searchParams.get('page') ?? '1');
    const perPage = Number(url.searchParams.get('per_page') ?? '10');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ page, perPage, status });
      response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers }).end(JSON.stringify(body));
    };
    if (request.method !== 'GET' || url.pathname !== '/wp-json/wc/v3/orders')
      return send(404, { code: 'rest_no_route', message: 'No route was found matching the URL and request method.', data: { status: 404 } });
    const expected = `Basic ${Buffer.from(`${wooTestCredentials.consumerKey}:${wooTestCredentials.consumerSecret}`).toString('base64')}`;
    if (request.headers.authorization !== expected)
      return send(401, { code: 'woocommerce_rest_cannot_view', message: 'Sorry, you cannot list resources.', data: { status: 401 } });
    const fault = this.faults.shift();
    if (fault) return send(fault.status, { code: 'too_many_requests', message: 'Slow down' }, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100)
      return send(400, {
        code: 'rest_invalid_param',
        message: 'Invalid parameter(s): per_page',
        data: { status: 400, params: { per_page: 'per_page must be between 1 (inclusive) and 100 (inclusive)' } },
      });
    const totalPages = Math.max(1, Math.ceil(this.orders.length / perPage));
    const slice = this.orders.slice((page - 1) * perPage, page * perPage);
    const link = (p: number, rel: string) => `<${this.base}/wp-json/wc/v3/orders?per_page=${perPage}&page=${p}>; rel="${rel}"`;
    const links = [...(page > 1 ? [link(page - 1, 'prev')] : []), ...(page < totalPages ? [link(page + 1, 'next')] : [])];
    send(200, slice, {
      'x-wp-total': String(this.orders.length),
      'x-wp-totalpages': String(totalPages),
      ...(links.length > 0 ? { link: links.join(', ') } : {}),
    });
  }
}
