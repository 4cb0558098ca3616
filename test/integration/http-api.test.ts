import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashEmail } from '../../lib/domain/email.js';
import { signFeedbackToken, signUnsubscribeToken } from '../../lib/domain/unsubscribe-token.js';
import { signShopify, signStandardWebhook, signWooCommerce } from '../../lib/domain/webhooks/signatures.js';
import { localEventsHeaders } from '../../lib/local/server.js';
import { sesEventEnvelope } from '../../lib/local/ses-event-envelopes.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { fixtureHeaders, fixtureText, localApi } from '../support/http.js';
import { localShop, testUnsubscribeSecret, useShopEnvironment } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';

const secrets = {
  shopify: 'test-shopify-webhook-secret-0123',
  woocommerce: 'test-woocommerce-webhook-secret-0123',
  generic: `whsec_${Buffer.from('test-generic-webhook-secret-0123').toString('base64')}`,
  admin: 'test-admin-token-0123456789abcdef',
};

let api: Awaited<ReturnType<typeof localApi>>;
let shop: Awaited<ReturnType<typeof localShop>>;

beforeAll(async () => {
  shop = await localShop();
  await applyCampaignConfig(testConfig(), 'test', shop.deps);
  useShopEnvironment(shop, {
    SHOPIFY_WEBHOOK_SECRET: `${secrets.shopify},an-older-shopify-secret-still-active`,
    WOOCOMMERCE_WEBHOOK_SECRET: secrets.woocommerce,
    WEBHOOK_SECRET: secrets.generic,
    WINBACK_ADMIN_TOKEN: secrets.admin,
  });
  api = await localApi();
});
afterAll(async () => {
  await api.close();
  vi.unstubAllEnvs();
});

const admin = { authorization: `Bearer ${secrets.admin}` };
const customerByEmail = (email: string) => api.request('GET', `/api/customers?email=${encodeURIComponent(email)}`, { headers: admin });

function shopifyDelivery(name: string, change: (body: string) => string = (body) => body, secret = secrets.shopify) {
  const body = change(fixtureText('shopify', `${name}.json`));
  const headers = {
    ...fixtureHeaders('shopify', `${name}.headers.json`),
    'X-Shopify-Hmac-Sha256': signShopify(body, secret),
    'X-Shopify-Webhook-Id': randomUUID(),
  };
  return { body, headers };
}

/** A fixture order made unique to one test, so tests sharing the table do not see each other's customers. */
function uniqueShopifyOrder(name: string) {
  const tag = randomUUID().slice(0, 8);
  const email = `zoe.${tag}@example.org`;
  const id = `${9007199254740993n + BigInt(Math.floor(Math.random() * 1e12))}`;
  return {
    email,
    change: (body: string) =>
      body
        .replace(/"(email|contact_email)": "[^"]*"/g, `"$1": "${email}"`)
        .replace(/^(\s*)"id": \d+/m, `$1"id": ${id}`)
        .replace(/"admin_graphql_api_id": "gid:\/\/shopify\/Order\/\d+"/, `"admin_graphql_api_id": "gid://shopify/Order/${id}"`)
        .replace(/"customer": \{\s*"id": \d+/, `"customer": { "id": ${BigInt(id) + 1n}`),
  };
}

describe('POST /webhooks/shopify', () => {
  it('stores a signed order once, however often it is delivered', async () => {
    // Prepare
    const order = uniqueShopifyOrder('orders-create');
    const delivery = shopifyDelivery('orders-create', order.change);
    // Act
    const first = await api.request('POST', '/webhooks/shopify', delivery);
    const again = await api.request('POST', '/webhooks/shopify', delivery);
    const view = await customerByEmail(order.email);
    // Assess
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ outcome: 'duplicate' });
    expect(view.status).toBe(200);
    expect(view.json).toMatchObject({ email: order.email, orderCount: 1, suppressed: false });
  });

  it('accepts the second secret during a rotation', async () => {
    // Prepare
    const order = uniqueShopifyOrder('orders-create');
    // Act
    const response = await api.request('POST', '/webhooks/shopify', shopifyDelivery('orders-create', order.change, 'an-older-shopify-secret-still-active'));
    // Assess
    expect(response.status).toBe(200);
  });

  it('refuses a wrong or missing signature with 401', async () => {
    // Prepare
    const wrong = shopifyDelivery('orders-create', (body) => body, 'not-the-secret-at-all');
    const { 'X-Shopify-Hmac-Sha256': _dropped, ...unsigned } = shopifyDelivery('orders-create').headers;
    // Act
    const responses = [
      await api.request('POST', '/webhooks/shopify', wrong),
      await api.request('POST', '/webhooks/shopify', { body: wrong.body, headers: unsigned }),
    ];
    // Assess
    expect(responses.map((response) => response.status)).toEqual([401, 401]);
    expect(responses[0]!.json).toMatchObject({ error: 'unauthorized' });
  });

  it('answers 400 naming the problem for a signed but malformed or invalid body', async () => {
    // Prepare
    const malformed = fixtureText('shopify', 'invalid-malformed.txt');
    const invalid = fixtureText('shopify', 'invalid-missing-total-price.json');
    const headers = fixtureHeaders('shopify', 'orders-create.headers.json');
    // Act
    const badJson = await api.request('POST', '/webhooks/shopify', {
      body: malformed,
      headers: { ...headers, 'X-Shopify-Hmac-Sha256': signShopify(malformed, secrets.shopify) },
    });
    const badField = await api.request('POST', '/webhooks/shopify', {
      body: invalid,
      headers: { ...headers, 'X-Shopify-Hmac-Sha256': signShopify(invalid, secrets.shopify) },
    });
    // Assess
    expect(badJson.status).toBe(400);
    expect(badJson.json).toMatchObject({ error: 'malformed_json' });
    expect(badField.status).toBe(400);
    expect(badField.json).toMatchObject({ error: 'invalid_body', field: 'total_price' });
  });

  it('answers 413 for an oversized body before anything else', async () => {
    // Prepare
    const body = `{"padding":"${'x'.repeat(1024 * 1024 + 10)}"}`;
    // Act
    const response = await api.request('POST', '/webhooks/shopify', {
      body,
      headers: { 'content-type': 'application/json', 'X-Shopify-Hmac-Sha256': signShopify(body, secrets.shopify) },
    });
    // Assess
    expect(response.status).toBe(413);
  });

  it('stores a cancelled test order as no purchase', async () => {
    // Prepare
    const order = uniqueShopifyOrder('orders-cancelled-test');
    // Act
    const response = await api.request('POST', '/webhooks/shopify', shopifyDelivery('orders-cancelled-test', order.change));
    // Assess
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ outcome: 'stored' });
    expect((await customerByEmail(order.email)).json).toMatchObject({ orderCount: 0, totalSpent: '0.00' });
  });

  it('acknowledges topics it does not use without storing anything', async () => {
    // Prepare
    const body = '{"id": 1}';
    // Act
    const response = await api.request('POST', '/webhooks/shopify', {
      body,
      headers: {
        'content-type': 'application/json',
        'X-Shopify-Topic': 'products/update',
        'X-Shopify-Webhook-Id': randomUUID(),
        'X-Shopify-Hmac-Sha256': signShopify(body, secrets.shopify),
      },
    });
    // Assess
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ kind: 'ignored' });
  });
});

describe('POST /webhooks/woocommerce and /webhooks/generic', () => {
  it('stores a signed WooCommerce order and answers its creation ping with 200', async () => {
    // Prepare
    const email = `woo.${randomUUID().slice(0, 8)}@example.org`;
    const body = fixtureText('woocommerce', 'order-created-guest.json')
      .replace(/zoe\.astrom@example\.org/gi, email)
      .replace(/"id": \d+/, `"id": ${Math.floor(Math.random() * 1e9)}`);
    const headers = {
      ...fixtureHeaders('woocommerce', 'order-created-guest.headers.json'),
      'X-WC-Webhook-Signature': signWooCommerce(body, secrets.woocommerce),
      'X-WC-Webhook-Delivery-ID': randomUUID(),
    };
    // Act
    const order = await api.request('POST', '/webhooks/woocommerce', { body, headers });
    const ping = await api.request('POST', '/webhooks/woocommerce', {
      body: fixtureText('woocommerce', 'ping.txt'),
      headers: fixtureHeaders('woocommerce', 'ping.headers.json'),
    });
    // Assess
    expect(order.status).toBe(200);
    expect(ping.status).toBe(200);
    expect((await customerByEmail(email)).json).toMatchObject({ orderCount: 1 });
  });

  it('stores a Standard Webhooks order and refuses one signed too long ago', async () => {
    // Prepare
    const body = fixtureText('generic', 'order.json').replace(/"id": "[^"]+"/, `"id": "${randomUUID()}"`);
    const now = Math.floor(Date.now() / 1000);
    const signed = (id: string, timestamp: number) => ({
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signStandardWebhook(id, timestamp, body, secrets.generic),
    });
    // Act
    const fresh = await api.request('POST', '/webhooks/generic', { body, headers: signed('msg_fresh', now) });
    const stale = await api.request('POST', '/webhooks/generic', { body, headers: signed('msg_stale', now - 600) });
    // Assess
    expect(fresh.status).toBe(200);
    expect(stale.status).toBe(401);
  });
});

describe('after the email: SES events, unsubscribe, feedback, read API', () => {
  async function emailed(name: string) {
    const { customer } = customerFrom({ name, orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'] });
    await shop.deps.customers.putMany([{ customer, orders: [] }]);
    await workflowNight(shop, '2026-11-22');
    const [send] = await shop.deps.ledger.sendsOf(customer.customerId);
    return { customer, send: send! };
  }

  it('suppresses the customer after a permanent bounce posted to /local/ses-events', async () => {
    // Prepare
    const { customer, send } = await emailed('Bea');
    const envelope = sesEventEnvelope({ type: 'Bounce', bounceType: 'Permanent', messageId: send.messageId!, recipient: customer.email!, at: new Date() });
    // Act
    const response = await api.request('POST', '/local/ses-events', { body: JSON.stringify(envelope), headers: { ...localEventsHeaders } });
    // Assess
    expect(response.status).toBe(200);
    expect((await customerByEmail(customer.email!)).json).toMatchObject({ suppressed: true });
  });

  it('unsubscribes on POST only: GET shows a page, a tampered token gets 400', async () => {
    // Prepare
    const { customer } = await emailed('Uwe');
    const token = signUnsubscribeToken(
      { customerId: customer.customerId, campaignId: 'lost-winback', emailHash: hashEmail(customer.email!) },
      testUnsubscribeSecret,
    );
    // Act
    const page = await api.request('GET', `/unsubscribe/${token}`);
    const afterGet = await customerByEmail(customer.email!);
    const oneClick = await api.request('POST', `/unsubscribe/${token}`, {
      body: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const tampered = await api.request('POST', `/unsubscribe/${token.slice(0, -2)}xx`, {
      body: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    // Assess
    expect(page.status).toBe(200);
    expect(page.text).toContain('<form method="post"');
    expect(afterGet.json).toMatchObject({ suppressed: false });
    expect(oneClick.status).toBe(200);
    expect(oneClick.headers.get('location')).toBeNull();
    expect(tampered.status).toBe(400);
    expect((await customerByEmail(customer.email!)).json).toMatchObject({ suppressed: true, consent: { state: 'unsubscribed' } });
  });

  it('records a feedback answer on POST, never on GET, and shows it on the customer', async () => {
    // Prepare
    const { customer, send } = await emailed('Fia');
    const token = signFeedbackToken(send, testUnsubscribeSecret);
    // Act
    const page = await api.request('GET', `/feedback/${token}?answer=delivery`);
    const afterGet = await customerByEmail(customer.email!);
    const answer = await api.request('POST', `/feedback/${token}`, {
      body: 'answer=delivery&comment=Too+slow',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    // Assess
    expect(page.status).toBe(200);
    expect(page.text).toContain('value="delivery" checked');
    expect(afterGet.json).not.toHaveProperty('feedback');
    expect(answer.status).toBe(200);
    expect((await customerByEmail(customer.email!)).json).toMatchObject({ feedback: { answer: 'delivery', comment: 'Too slow' } });
  });

  it('guards the read API with the bearer token and answers 404 for an unknown address', async () => {
    // Act
    const noToken = await api.request('GET', '/api/customers?email=nobody@example.org');
    const unknown = await customerByEmail('nobody@example.org');
    const badQuery = await api.request('GET', '/api/customers?email=not-an-address', { headers: admin });
    const health = await api.request('GET', '/health');
    // Assess
    expect([noToken.status, unknown.status, badQuery.status, health.status]).toEqual([401, 404, 400, 200]);
    expect(badQuery.json).toMatchObject({ field: 'email' });
  });
});

describe('Shopify customer topics', () => {
  async function knownCustomer() {
    const id = `${9007199254740993n + BigInt(Math.floor(Math.random() * 1e12))}`;
    const email = `known.${randomUUID().slice(0, 8)}@example.org`;
    const { customer } = customerFrom({ name: 'Zoë', orderDays: ['2026-05-01'], email });
    await shop.deps.customers.putMany([{ customer: { ...customer, customerId: id }, orders: [] }]);
    const change = (body: string) =>
      body
        .replaceAll('9007199254740993,', `${id},`)
        .replace(/"id": 9007199254740993\b/g, `"id": ${id}`)
        .replace(/gid:\/\/shopify\/Customer\/\d+/g, `gid://shopify/Customer/${id}`)
        .replace(/zoe\.astrom@example\.org/g, email);
    return { id, email, change };
  }

  it('takes a newer consent change from customers/update', async () => {
    // Prepare
    const known = await knownCustomer();
    // Act
    const response = await api.request('POST', '/webhooks/shopify', shopifyDelivery('customers-update-unsubscribed', known.change));
    // Assess
    expect(response.status).toBe(200);
    expect((await customerByEmail(known.email)).json).toMatchObject({ consent: { state: 'unsubscribed', source: 'shopify' } });
  });

  it('forgets a customer on customers/redact and keeps only a hashed suppression', async () => {
    // Prepare
    const known = await knownCustomer();
    // Act
    const response = await api.request('POST', '/webhooks/shopify', shopifyDelivery('customers-redact', known.change));
    // Assess
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ kind: 'redaction', outcome: 'forgotten' });
    expect((await customerByEmail(known.email)).status).toBe(404);
    expect((await shop.deps.suppressions.suppressedAmong([hashEmail(known.email)])).size).toBe(1);
  });
});

describe('the campaigns admin API', () => {
  it('reads the config, refuses a bad change with its path named, applies a good one as a new version, and shows history', async () => {
    // Prepare
    const current = await api.request('GET', '/api/campaigns', { headers: admin });
    const campaign = (current.json.config as { campaigns: Record<string, unknown>[] }).campaigns.find((candidate) => candidate.id === 'lost-winback')!;
    // Act
    const typo = await api.request('PUT', '/api/campaigns/lost-winback', {
      body: JSON.stringify({ ...campaign, discuont: 10 }),
      headers: { ...admin, 'content-type': 'application/json' },
    });
    const good = await api.request('PUT', '/api/campaigns/lost-winback', {
      body: JSON.stringify({ ...campaign, priority: 42 }),
      headers: { ...admin, 'content-type': 'application/json' },
    });
    const history = await api.request('GET', '/api/campaigns/history', { headers: admin });
    const unauthorized = await api.request('GET', '/api/campaigns');
    // Assess
    expect(current.status).toBe(200);
    expect(typo.status).toBe(400);
    expect(typo.json).toMatchObject({ error: 'invalid_config', field: 'campaigns[lost-winback].discuont' });
    expect(good.status).toBe(200);
    expect(good.json).toMatchObject({ version: (current.json.configVersion as number) + 1, unchanged: false });
    const versions = history.json.versions as { version: number; changes: { path: string }[] }[];
    expect(versions[0]!.changes).toEqual([expect.objectContaining({ path: 'campaigns[1].priority', change: 'changed' })]);
    expect(unauthorized.status).toBe(401);
  });

  it('previews a campaign without sending or reserving anything', async () => {
    // Prepare
    const { customer } = customerFrom({ name: 'Pia', orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'] });
    await shop.deps.customers.putMany([{ customer, orders: [] }]);
    // Act
    const preview = await api.request('POST', '/api/campaigns/lost-winback/preview', {
      body: JSON.stringify({ asOf: '2026-11-22' }),
      headers: { ...admin, 'content-type': 'application/json' },
    });
    // Assess
    expect(preview.status).toBe(200);
    expect((preview.json.campaign as { sent: number }).sent + (preview.json.campaign as { heldOut: number }).heldOut).toBeGreaterThan(0);
    expect(await shop.deps.ledger.sendsOf(customer.customerId)).toEqual([]);
  });
});
