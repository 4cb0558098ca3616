import { randomUUID } from 'node:crypto';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashEmail } from '../../lib/domain/email.js';
import { signShopify } from '../../lib/domain/webhooks/signatures.js';
import { invokeWithQueue, runNightWorkflow } from '../../lib/local/night-workflow.js';
import { localEventsHeaders } from '../../lib/local/server.js';
import { sesEventEnvelope } from '../../lib/local/ses-event-envelopes.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { fixtureHeaders, fixtureText, localApi } from '../support/http.js';
import { inboxOf, localShop, testUnsubscribeSecret, useShopEnvironment } from '../support/local-aws.js';

// The most talkative level for the whole file: the Lambda middleware resets the logger to its initial level on each
// invocation, so the level must be in force before the shared logger is created.
const initialLogLevel = vi.hoisted(() => {
  const before = process.env.POWERTOOLS_LOG_LEVEL;
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  return before;
});

const secrets = {
  shopify: 'test-shopify-webhook-secret-logs-0123',
  generic: `whsec_${Buffer.from('test-generic-webhook-secret-logs-0123').toString('base64')}`,
  woocommerce: 'test-woocommerce-webhook-secret-logs-0123',
  admin: 'test-admin-token-logs-0123456789abcdef',
  unsubscribe: testUnsubscribeSecret,
};

let api: Awaited<ReturnType<typeof localApi>>;
let shop: Awaited<ReturnType<typeof localShop>>;

beforeAll(async () => {
  shop = await localShop();
  await applyCampaignConfig(testConfig(), 'test', shop.deps);
  useShopEnvironment(shop, {
    UNSUBSCRIBE_SECRET: secrets.unsubscribe,
    SHOPIFY_WEBHOOK_SECRET: secrets.shopify,
    WOOCOMMERCE_WEBHOOK_SECRET: secrets.woocommerce,
    WEBHOOK_SECRET: secrets.generic,
    WINBACK_ADMIN_TOKEN: secrets.admin,
  });
  api = await localApi();
});
afterAll(async () => {
  await api.close();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  process.env.POWERTOOLS_LOG_LEVEL = initialLogLevel;
});

/** Everything printed to stdout and stderr from here on, the shared logger's lines included. */
function captureOutput() {
  const chunks: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      chunks.push(String(chunk));
      return true;
    });
  }
  return () => chunks.join('');
}

describe('the logs of a night, a webhook, an SES event and an unsubscribe', () => {
  it('hold no customer email address and no secret, and SES gets only campaign facts as EmailTags', async () => {
    // Prepare: two lapsed customers, and the most talkative log level
    const customers = ['Lou', 'Mae'].map((name) => customerFrom({ name, orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'] }));
    await shop.deps.customers.putMany(customers);
    const webhookEmail = `Zoe.Astrom.${randomUUID().slice(0, 8)}@Example.org`;
    const orderBody = fixtureText('shopify', 'orders-create.json')
      .replace(/"(email|contact_email)": "[^"]*"/g, `"$1": "${webhookEmail}"`)
      .replace(/^(\s*)"id": \d+/m, `$1"id": ${9007199254740993n + BigInt(Math.floor(Math.random() * 1e12))}`);
    const orderHeaders = { ...fixtureHeaders('shopify', 'orders-create.headers.json'), 'X-Shopify-Webhook-Id': randomUUID() };
    const sesCalls = vi.spyOn(SESv2Client.prototype, 'send');
    const output = captureOutput();
    // Act
    const night = await runNightWorkflow({ source: 'winback.local', asOf: '2026-11-22' });
    await invokeWithQueue('scheduled-sender', { source: 'winback.local', upTo: new Date('2026-11-23T02:00:00Z').toISOString() });
    const stored = await api.request('POST', '/webhooks/shopify', {
      body: orderBody,
      headers: { ...orderHeaders, 'X-Shopify-Hmac-Sha256': signShopify(orderBody, secrets.shopify) },
    });
    const forged = await api.request('POST', '/webhooks/shopify', {
      body: orderBody,
      headers: { ...orderHeaders, 'X-Shopify-Hmac-Sha256': signShopify(orderBody, 'not-the-shop-secret-0123456789') },
    });
    const [lou, mae] = await Promise.all(customers.map(({ customer }) => inboxOf(shop.sesEndpoint, customer.email!)));
    const unsubscribeUrl = lou![0]!.headers!.find((header) => header.name === 'List-Unsubscribe')!.value.slice(1, -1);
    const unsubscribed = await api.request('POST', new URL(unsubscribeUrl).pathname.replace(/^\/winback/, ''), {
      body: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const bounce = sesEventEnvelope({
      type: 'Bounce',
      bounceType: 'Permanent',
      messageId: mae![0]!.messageId,
      recipient: customers[1]!.customer.email!,
      at: new Date(),
    });
    const bounced = await api.request('POST', '/local/ses-events', { body: JSON.stringify(bounce), headers: { ...localEventsHeaders } });
    const unreadable = await api.request('POST', '/local/ses-events', {
      body: JSON.stringify({ ...bounce, detail: { ...(bounce.detail as object), eventType: 'Teleported' } }),
      headers: { ...localEventsHeaders },
    });
    const read = await api.request('GET', `/api/customers?email=${encodeURIComponent(webhookEmail)}`, {
      headers: { authorization: `Bearer ${secrets.admin}` },
    });
    const printed = output();
    vi.restoreAllMocks();
    // Assess: every step did its work, so its logs had the chance to leak
    expect(night.sendQueue.sent).toBe(2);
    expect([stored.status, forged.status, unsubscribed.status, bounced.status, unreadable.status, read.status]).toEqual([200, 401, 200, 200, 200, 200]);
    for (const line of ['night finished', 'due sends queued', 'SES event ignored']) expect(printed).toContain(line);
    const addresses = [...customers.map(({ customer }) => customer.email!), webhookEmail];
    for (const address of addresses) {
      for (const form of [address, address.toLowerCase(), encodeURIComponent(address), hashEmail(address)]) expect(printed).not.toContain(form);
    }
    for (const secret of [...Object.values(secrets), Buffer.from('test-generic-webhook-secret-logs-0123').toString('base64')])
      expect(printed).not.toContain(secret);
    expect(printed).not.toContain(new URL(unsubscribeUrl).pathname.split('/').at(-1)!);
    const tags = sesCalls.mock.calls
      .map(([command]) => command)
      .filter((command) => command instanceof SendEmailCommand)
      .flatMap((command) => (command as SendEmailCommand).input.EmailTags ?? []);
    expect(tags.length).toBeGreaterThan(0);
    const personal = [...addresses, ...addresses.map(hashEmail), ...customers.map(({ customer }) => customer.customerId)];
    for (const tag of tags) {
      expect(`${tag.Name}=${tag.Value}`).toMatch(/^[A-Za-z0-9_-]+=[A-Za-z0-9_-]+$/);
      for (const value of personal) expect(tag.Value).not.toContain(value);
    }
  });
});
