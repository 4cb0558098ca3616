import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local server that plays the WooCommerce REST API v3 (`/wp-json/wc/v3`) as woocommerce.github.io/woocommerce-rest-api-docs
 * documents it, for coupons, webhooks and the system status:
 * - auth by the REST API key: HTTP Basic (consumer key : consumer secret) or `consumer_key` / `consumer_secret` query
 *   parameters; a wrong key is 401 `woocommerce_rest_authentication_error`; a read-only key writing is 401
 *   `woocommerce_rest_cannot_create` (`woocommerce_rest_cannot_batch` for a batch);
 * - `POST /coupons/batch` with `create` / `update` / `delete`: at most 100 objects (else 413
 *   `woocommerce_rest_request_entity_too_large`); answered item by item in order, an item that failed carries
 *   `{id: 0, error: {code, message, data: {status}}}` (an existing code: `woocommerce_rest_coupon_code_already_exists`);
 * - `GET /coupons` with `code`, `search`, `per_page`, `page` and the `X-WP-Total` / `X-WP-TotalPages` headers;
 * - `GET|POST /webhooks`, `GET /system_status`.
 * Codes are stored in lower case, as WooCommerce does. Each coupon remembers when it was created.
 */
export interface FakeCoupon {
  id: number;
  code: string;
  amount: string;
  discount_type: string;
  description: string;
  date_expires: string | null;
  date_expires_gmt: string | null;
  usage_count: number;
  individual_use: boolean;
  usage_limit: number | null;
  usage_limit_per_user: number | null;
  email_restrictions: string[];
  free_shipping: boolean;
  date_created_gmt: string;
  createdAt: number;
}

export interface WooCommerceFakeOptions {
  readonly consumerKey?: string;
  readonly consumerSecret?: string;
  readonly permissions?: 'read' | 'write' | 'read_write';
  /** Items of a batch that fail with their own error (a failure in the middle of a batch). */
  readonly failingCodes?: (code: string) => boolean;
}

export const woocommerceTestKey = { consumerKey: 'ck_0123456789abcdef0123456789abcdef01234567', consumerSecret: 'cs_0123456789abcdef0123456789abcdef01234567' };

export class WooCommerceRestFake {
  readonly coupons = new Map<number, FakeCoupon>();
  readonly webhooks: { id: number; name: string; topic: string; delivery_url: string; status: string; secret?: string }[] = [];
  readonly requests: { method: string; path: string; status: number; at: number }[] = [];
  options: WooCommerceFakeOptions;
  private readonly faults: { remaining: number; status: number; body: unknown; headers?: Record<string, string> }[] = [];
  private sequence = 100;
  private server?: Server;
  private base = '';

  private constructor(options: WooCommerceFakeOptions) {
    this.options = options;
  }

  static async start(options: WooCommerceFakeOptions = {}): Promise<WooCommerceRestFake> {
    const fake = new WooCommerceRestFake(options);
    const server = createServer((request, response) => {
      fake
        .handle(request, response)
        .catch((error: unknown) => send(response, 500, { code: 'internal_server_error', message: (error as Error).message, data: { status: 500 } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake.server = server;
    fake.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return fake;
  }

  /** The site's address (the shop's woocommerceUrl would be its https twin). */
  get siteUrl(): string {
    return this.base;
  }

  /** The REST base, as WOOCOMMERCE_API_URL takes it. */
  get url(): string {
    return `${this.base}/wp-json/wc/v3`;
  }

  /** The next `times` requests get this status (429 carries Retry-After: 1 unless told otherwise). */
  fail(status: number, options: { times?: number; retryAfter?: string } = {}): this {
    const body =
      status === 429
        ? { code: 'too_many_requests', message: 'Too Many Requests', data: { status } }
        : { code: 'internal_server_error', message: 'There has been a critical error on this website.', data: { status } };
    this.faults.push({ remaining: options.times ?? 1, status, body, ...(status === 429 ? { headers: { 'retry-after': options.retryAfter ?? '1' } } : {}) });
    return this;
  }

  /** Drops the faults not played yet: the site is back. */
  clearFaults(): this {
    this.faults.length = 0;
    return this;
  }

  byCode(code: string): FakeCoupon | undefined {
    return [...this.coupons.values()].find((coupon) => coupon.code === code.toLowerCase());
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = await readBody(request);
    const url = new URL(request.url ?? '/', this.base);
    const path = url.pathname.replace(/^\/wp-json\/wc\/v3/, '');
    const method = request.method ?? 'GET';
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ method, path, status, at: Date.now() });
      send(response, status, body, headers);
    };
    if (!url.pathname.startsWith('/wp-json/wc/v3/'))
      return answer(404, { code: 'rest_no_route', message: 'No route was found matching the URL and request method.', data: { status: 404 } });

    const fault = this.faults.find((candidate) => candidate.remaining > 0);
    if (fault) {
      fault.remaining -= 1;
      if (fault.remaining === 0) this.faults.splice(this.faults.indexOf(fault), 1);
      return answer(fault.status, fault.body, fault.headers);
    }

    const key = this.options.consumerKey ?? woocommerceTestKey.consumerKey;
    const secret = this.options.consumerSecret ?? woocommerceTestKey.consumerSecret;
    const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const [givenKey, givenSecret] = basic
      ? Buffer.from(basic, 'base64').toString('utf8').split(':')
      : [url.searchParams.get('consumer_key'), url.searchParams.get('consumer_secret')];
    if (!givenKey) return answer(401, { code: 'woocommerce_rest_cannot_view', message: 'Sorry, you cannot list resources.', data: { status: 401 } });
    if (givenKey !== key || givenSecret !== secret)
      return answer(401, { code: 'woocommerce_rest_authentication_error', message: 'Consumer key is invalid.', data: { status: 401 } });
    const canWrite = (this.options.permissions ?? 'read_write') !== 'read';

    let body: Record<string, any> = {};
    if (text) {
      try {
        body = JSON.parse(text) as Record<string, any>;
      } catch {
        return answer(400, { code: 'rest_invalid_json', message: 'Invalid JSON body passed.', data: { status: 400 } });
      }
    }

    if (method === 'GET' && path === '/system_status')
      return answer(200, { environment: { site_url: this.base, version: '9.4.0', wp_version: '6.7' }, settings: { currency: 'EUR' } });

    if (path === '/coupons/batch' && method === 'POST') {
      if (!canWrite)
        return answer(401, {
          code: 'woocommerce_rest_cannot_batch',
          message: 'Sorry, you are not allowed to batch manipulate this resource.',
          data: { status: 401 },
        });
      const creates = (body.create ?? []) as Record<string, any>[];
      const deletes = (body.delete ?? []) as number[];
      if (creates.length + deletes.length + ((body.update ?? []) as unknown[]).length > 100) {
        return answer(413, {
          code: 'woocommerce_rest_request_entity_too_large',
          message: 'Unable to accept more than 100 items for this request.',
          data: { status: 413 },
        });
      }
      const result: Record<string, unknown[]> = {};
      if (body.create) result.create = creates.map((item) => this.createCoupon(item));
      if (body.delete) {
        result.delete = deletes.map((id) => {
          const coupon = this.coupons.get(Number(id));
          if (!coupon) return { id: Number(id), error: { code: 'woocommerce_rest_shop_coupon_invalid_id', message: 'Invalid ID.', data: { status: 404 } } };
          this.coupons.delete(coupon.id);
          return view(coupon);
        });
      }
      return answer(200, result);
    }

    if (path === '/coupons' && method === 'GET') {
      const code = url.searchParams.get('code');
      const search = url.searchParams.get('search')?.toLowerCase();
      const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? '10'));
      const page = Math.max(1, Number(url.searchParams.get('page') ?? '1'));
      const all = [...this.coupons.values()].filter(
        (coupon) =>
          (!code || coupon.code === code.toLowerCase()) && (!search || coupon.code.includes(search) || coupon.description.toLowerCase().includes(search)),
      );
      const pages = Math.max(1, Math.ceil(all.length / perPage));
      return answer(200, all.slice((page - 1) * perPage, page * perPage).map(view), { 'x-wp-total': String(all.length), 'x-wp-totalpages': String(pages) });
    }

    if (path === '/webhooks' && method === 'GET')
      return answer(
        200,
        this.webhooks.map(({ secret: _secret, ...hook }) => hook),
        { 'x-wp-total': String(this.webhooks.length), 'x-wp-totalpages': '1' },
      );
    if (path === '/webhooks' && method === 'POST') {
      if (!canWrite)
        return answer(401, { code: 'woocommerce_rest_cannot_create', message: 'Sorry, you are not allowed to create resources.', data: { status: 401 } });
      if (!body.topic || !body.delivery_url)
        return answer(400, { code: 'rest_missing_callback_param', message: 'Missing parameter(s): topic, delivery_url', data: { status: 400 } });
      const hook = {
        id: this.sequence++,
        name: String(body.name ?? body.topic),
        topic: String(body.topic),
        delivery_url: String(body.delivery_url),
        status: String(body.status ?? 'active'),
        ...(body.secret ? { secret: String(body.secret) } : {}),
      };
      this.webhooks.push(hook);
      const { secret: _secret, ...shown } = hook;
      return answer(201, shown);
    }

    return answer(404, { code: 'rest_no_route', message: 'No route was found matching the URL and request method.', data: { status: 404 } });
  }

  private createCoupon(item: Record<string, any>): unknown {
    const code = String(item.code ?? '')
      .trim()
      .toLowerCase();
    if (!code) return { id: 0, error: { code: 'woocommerce_rest_empty_coupon_code', message: 'The coupon code cannot be empty.', data: { status: 400 } } };
    if (this.byCode(code))
      return { id: 0, error: { code: 'woocommerce_rest_coupon_code_already_exists', message: 'The coupon code already exists', data: { status: 400 } } };
    if (this.options.failingCodes?.(String(item.code)))
      return { id: 0, error: { code: 'woocommerce_rest_invalid_coupon', message: 'Invalid coupon.', data: { status: 400 } } };
    const expires = typeof item.date_expires === 'string' ? item.date_expires : null;
    const coupon: FakeCoupon = {
      id: this.sequence++,
      code,
      amount: Number(item.amount ?? 0).toFixed(2),
      discount_type: String(item.discount_type ?? 'fixed_cart'),
      description: String(item.description ?? ''),
      date_expires: expires,
      // The fake site runs on UTC.
      date_expires_gmt: expires,
      usage_count: 0,
      individual_use: Boolean(item.individual_use),
      usage_limit: item.usage_limit ?? null,
      usage_limit_per_user: item.usage_limit_per_user ?? null,
      email_restrictions: Array.isArray(item.email_restrictions) ? item.email_restrictions.map(String) : [],
      free_shipping: Boolean(item.free_shipping),
      date_created_gmt: new Date().toISOString().slice(0, 19),
      createdAt: Date.now(),
    };
    this.coupons.set(coupon.id, coupon);
    return view(coupon);
  }
}

function view({ createdAt: _createdAt, ...coupon }: FakeCoupon) {
  return coupon;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}
