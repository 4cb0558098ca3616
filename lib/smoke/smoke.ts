import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { signShopify, signStandardWebhook, signWooCommerce } from '../domain/webhooks/signatures.js';
import { shopifyOrderCreatedBody } from '../local/shopify-order-payload.js';

/**
 * The smoke check after a deploy (`npm run smoke -- --stack NAME`): everything through the stack's public HTTP API,
 * as the shop platforms and a marketer reach it. The same code runs against the local stack in the tests: only the
 * target (the API's URL and the secrets) differs.
 */
export interface SmokeTarget {
  /** The HTTP API's base URL (the stack's `ApiUrl` output), without a trailing slash. */
  readonly apiUrl: string;
  /** The webhook secrets as the shop platforms sign with them (the first value of each, during a switch). */
  readonly secrets: { readonly shopify: string; readonly wooCommerce: string; readonly generic: string };
  /**
   * The bearer for `/api/*`: on AWS a marketer's Cognito access token (API Gateway's JWT authorizer refuses anything
   * else), locally the admin token. Absent, the checks that read results back are reported as not run.
   */
  readonly bearer?: string;
}

export interface SmokeCheck {
  readonly name: string;
  readonly ok: boolean;
  /** What was seen: the status and the start of the answer when it failed. */
  readonly detail: string;
  /** True when the check could not run (no bearer): neither passed nor failed. */
  readonly skipped?: boolean;
}

export interface SmokeOptions {
  readonly now?: Date;
  /** Per request; API Gateway itself gives up at 30 s. */
  readonly timeoutMs?: number;
}

/** The smoke customer: an address on a reserved domain (RFC 2606), so nothing is ever delivered to anyone. */
export const smokeEmailDomain = 'winback-smoke.example';

type Answer = { status: number; text: string; json: () => unknown };

/**
 * Runs every check in order and returns them all: a failed check does not stop the ones after it that do not depend on
 * it, so one run says everything that is wrong. The smoke customer it creates is forgotten again at the end (Shopify's
 * `customers/redact`), which leaves a suppression record for its address and nothing else.
 */
export async function runSmoke(target: SmokeTarget, options: SmokeOptions = {}): Promise<SmokeCheck[]> {
  const now = options.now ?? new Date();
  const timeoutMs = options.timeoutMs ?? 29_000;
  const base = target.apiUrl.replace(/\/+$/, '');
  const checks: SmokeCheck[] = [];
  const record = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const request = async (method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<Answer> => {
    const response = await fetch(`${base}${path}`, { method, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), ...init });
    const text = await response.text();
    return { status: response.status, text, json: () => JSON.parse(text) as unknown };
  };
  /** Runs one check; an exception (no answer, a timeout) fails that check, with its message. */
  const check = async (name: string, body: () => Promise<{ ok: boolean; detail: string }>) => {
    try {
      const { ok, detail } = await body();
      record(name, ok, detail);
      return ok;
    } catch (error) {
      record(name, false, `no answer: ${(error as Error).message}`);
      return false;
    }
  };
  const seen = (answer: Answer) => `${answer.status} ${answer.text.slice(0, 200)}`;
  const is2xx = (answer: Answer) => answer.status >= 200 && answer.status < 300;

  const run = randomUUID().slice(0, 8);
  const email = `smoke-${run}@${smokeEmailDomain}`;
  // Shopify ids are digits, possibly above 2^53: made as digits, never through a number.
  const shopifyCustomerId = `9${String(randomInt(1e9)).padStart(9, '0')}${String(randomInt(1e6)).padStart(6, '0')}`;
  const shopifyOrderId = `8${String(randomInt(1e9)).padStart(9, '0')}${String(randomInt(1e6)).padStart(6, '0')}`;

  await check('GET /health answers 200 {"ok":true}', async () => {
    const answer = await request('GET', '/health');
    return { ok: answer.status === 200 && JSON.stringify(answer.json()) === '{"ok":true}', detail: seen(answer) };
  });

  // ---- Each webhook: a signed delivery is taken, a forged one refused (so the secret is the one the platform has). ----
  const shopifyBody = shopifyOrderCreatedBody({
    orderId: shopifyOrderId,
    orderNumber: 1000 + randomInt(9000),
    placedAt: new Date(now.getTime() - 60_000),
    timeZone: 'UTC',
    currency: 'EUR',
    customer: { id: shopifyCustomerId, email, firstName: 'Smoke', lastName: 'Check', consent: { state: 'not_subscribed', updatedAt: now.toISOString() } },
    lineItems: [{ id: '1', title: 'Smoke check (not a sale)', quantity: 1, priceMinor: 100 }],
  });
  const shopifyHeaders = (topic: string, body: string, secret: string) => ({
    'content-type': 'application/json',
    'x-shopify-topic': topic,
    'x-shopify-hmac-sha256': signShopify(body, secret),
    'x-shopify-shop-domain': 'winback-smoke.myshopify.com',
    'x-shopify-webhook-id': randomUUID(),
    'x-shopify-event-id': randomUUID(),
    'x-shopify-triggered-at': now.toISOString(),
    'x-shopify-api-version': '2025-10',
  });
  const shopifyTaken = await check('POST /webhooks/shopify takes a signed orders/create', async () => {
    const answer = await request('POST', '/webhooks/shopify', {
      headers: shopifyHeaders('orders/create', shopifyBody, target.secrets.shopify),
      body: shopifyBody,
    });
    return { ok: is2xx(answer), detail: seen(answer) };
  });
  await check('POST /webhooks/shopify refuses a forged signature with 401', async () => {
    const answer = await request('POST', '/webhooks/shopify', {
      headers: shopifyHeaders('orders/create', shopifyBody, `not-${target.secrets.shopify}`),
      body: shopifyBody,
    });
    return { ok: answer.status === 401, detail: seen(answer) };
  });

  await check('POST /webhooks/woocommerce answers the creation ping with 200', async () => {
    const body = `webhook_id=${randomInt(1, 1_000_000)}`;
    const answer = await request('POST', '/webhooks/woocommerce', {
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)' },
      body,
    });
    return { ok: answer.status === 200, detail: seen(answer) };
  });
  await check('POST /webhooks/woocommerce refuses a forged signature with 401', async () => {
    // A pending order (not counted as a purchase), signed with the wrong secret: it must be refused before it is read.
    const body = JSON.stringify({
      id: randomInt(1, 1e9),
      status: 'pending',
      currency: 'EUR',
      date_created_gmt: now.toISOString().slice(0, 19),
      total: '1.00',
      customer_id: 0,
      billing: { email },
      line_items: [],
    });
    const headers = {
      'content-type': 'application/json',
      'x-wc-webhook-topic': 'order.created',
      'x-wc-webhook-resource': 'order',
      'x-wc-webhook-event': 'created',
      'x-wc-webhook-id': '1',
      'x-wc-webhook-delivery-id': randomUUID().replaceAll('-', ''),
      'x-wc-webhook-source': 'https://winback-smoke.example/',
      'x-wc-webhook-signature': signWooCommerce(body, `not-${target.secrets.wooCommerce}`),
    };
    const answer = await request('POST', '/webhooks/woocommerce', { headers, body });
    return { ok: answer.status === 401, detail: seen(answer) };
  });

  const genericBody = JSON.stringify({
    type: 'order',
    order: {
      id: `smoke-${run}`,
      placedAt: new Date(now.getTime() - 60_000).toISOString(),
      status: 'paid',
      currency: 'EUR',
      total: '1.00',
      lineItems: [{ title: 'Smoke check (not a sale)', quantity: 1, price: '1.00' }],
      customer: { id: `smoke-${run}`, email, marketingConsent: 'not_subscribed' },
    },
  });
  const genericHeaders = (secret: string) => {
    const id = `msg_smoke_${run}`;
    return {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      'webhook-signature': signStandardWebhook(id, new Date(), genericBody, secret),
    };
  };
  await check('POST /webhooks/generic takes a signed order', async () => {
    const answer = await request('POST', '/webhooks/generic', { headers: genericHeaders(target.secrets.generic), body: genericBody });
    return { ok: is2xx(answer), detail: seen(answer) };
  });
  await check('POST /webhooks/generic refuses a forged signature with 401', async () => {
    const answer = await request('POST', '/webhooks/generic', { headers: genericHeaders(`whsec_${randomBytes(32).toString('base64')}`), body: genericBody });
    return { ok: answer.status === 401, detail: seen(answer) };
  });

  await check('GET /api/customers refuses a request without a token with 401', async () => {
    const answer = await request('GET', `/api/customers?email=${encodeURIComponent(email)}`);
    return { ok: answer.status === 401, detail: seen(answer) };
  });

  // ---- Reading back, and a dry run of the night: the admin API, as a marketer. ----
  const bearer = target.bearer;
  const readChecks = [
    'GET /api/customers shows the smoke customer with its orders',
    'POST /api/campaigns/{id}/preview runs a dry-run night that scans the shop',
    'customers/redact forgets the smoke customer',
  ];
  if (!bearer) {
    for (const name of readChecks)
      checks.push({ name, ok: true, skipped: true, detail: "not run: no token for /api/* (pass --token with a marketer's Cognito access token)" });
    return checks;
  }
  const authorized = { authorization: `Bearer ${bearer}` };
  await check(readChecks[0]!, async () => {
    if (!shopifyTaken) return { ok: false, detail: 'not run: the Shopify order was not taken' };
    const answer = await request('GET', `/api/customers?email=${encodeURIComponent(email)}`, { headers: authorized });
    if (answer.status !== 200) return { ok: false, detail: seen(answer) };
    const view = answer.json() as { customerId?: string; orderCount?: number };
    return { ok: (view.orderCount ?? 0) >= 1, detail: `200: customer ${view.customerId} with ${view.orderCount} orders` };
  });
  await check(readChecks[1]!, async () => {
    const campaigns = await request('GET', '/api/campaigns', { headers: authorized });
    if (campaigns.status !== 200) return { ok: false, detail: `GET /api/campaigns: ${seen(campaigns)}` };
    const id = (campaigns.json() as { config?: { campaigns?: { id: string }[] } }).config?.campaigns?.[0]?.id;
    if (!id) return { ok: false, detail: 'the stored campaign config has no campaign to preview' };
    const answer = await request('POST', `/api/campaigns/${id}/preview`, {
      headers: { ...authorized, 'content-type': 'application/json' },
      body: JSON.stringify({ asOf: now.toISOString().slice(0, 10) }),
    });
    if (answer.status !== 200) return { ok: false, detail: seen(answer) };
    const scanned = (answer.json() as { coverage?: { customersScanned?: number } }).coverage?.customersScanned;
    return { ok: typeof scanned === 'number' && scanned >= 1, detail: `200: ${scanned} customers scanned` };
  });
  await check(readChecks[2]!, async () => {
    const body = JSON.stringify({
      shop_id: 1,
      shop_domain: 'winback-smoke.myshopify.com',
      customer: { id: Number.parseInt('0', 10), email },
      orders_to_redact: [],
    }).replace('"id":0', `"id":${shopifyCustomerId}`);
    const answer = await request('POST', '/webhooks/shopify', { headers: shopifyHeaders('customers/redact', body, target.secrets.shopify), body });
    if (!is2xx(answer)) return { ok: false, detail: `customers/redact: ${seen(answer)}` };
    const after = await request('GET', `/api/customers?email=${encodeURIComponent(email)}`, { headers: authorized });
    return { ok: after.status === 404, detail: `customers/redact ${answer.status}; then GET /api/customers ${seen(after)}` };
  });
  return checks;
}

/** One line per check, then the verdict: what a person reads after a deploy. */
export function formatSmoke(checks: readonly SmokeCheck[]): string {
  const lines = checks.map(
    (check) => `${check.skipped ? 'skip' : check.ok ? ' ok ' : 'FAIL'}  ${check.name}${check.ok && !check.skipped ? '' : `\n        ${check.detail}`}`,
  );
  const failed = checks.filter((check) => !check.ok);
  lines.push(
    failed.length === 0 ? `All ${checks.filter((check) => !check.skipped).length} checks passed.` : `${failed.length} of ${checks.length} checks failed.`,
  );
  return lines.join('\n');
}
