import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashEmail } from '../../lib/domain/email.js';
import { signFeedbackToken, signUnsubscribeToken } from '../../lib/domain/unsubscribe-token.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { localApi } from '../support/http.js';
import { localShop, testUnsubscribeSecret, useShopEnvironment } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';

let api: Awaited<ReturnType<typeof localApi>>;
let shop: Awaited<ReturnType<typeof localShop>>;

// A marketer's shop name with markup in it: it must show as text, never as HTML.
const shopName = 'Fig & <Thistle> "Home"';

beforeAll(async () => {
  shop = await localShop();
  const config = testConfig((raw) => {
    raw.shop.name = shopName;
    Object.assign(raw.shop.branding, { logoUrl: 'https://cdn.figthistle.example/logo.png', brandColor: '#7A1F3D' });
  });
  await applyCampaignConfig(config, 'test', shop.deps);
  useShopEnvironment(shop);
  api = await localApi();
});
afterAll(async () => {
  await api.close();
  vi.unstubAllEnvs();
});

async function emailed(name: string) {
  const { customer } = customerFrom({ name, orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'] });
  await shop.deps.customers.putMany([{ customer, orders: [] }]);
  await workflowNight(shop, '2026-11-22');
  const [send] = await shop.deps.ledger.sendsOf(customer.customerId);
  return { customer, send: send! };
}

function expectBranded(page: { text: string; headers: Headers }) {
  expect(page.text).toContain('<img src="https://cdn.figthistle.example/logo.png" alt="Fig &amp; &lt;Thistle&gt; &quot;Home&quot;"');
  expect(page.text).toContain('<footer><a href="https://alderandfinch.example/">Fig &amp; &lt;Thistle&gt; &quot;Home&quot;</a></footer>');
  expect(page.text).toMatch(/button\{[^}]*background:#7A1F3D/);
  expect(page.text).not.toContain('<Thistle>');
  expect(page.headers.get('content-security-policy')).toContain('img-src https://cdn.figthistle.example');
}

describe("the pages a customer lands on from an email, in the shop's name", () => {
  it('shows the unsubscribe page and its answer with the logo, name and colour of the config', async () => {
    // Prepare
    const { customer } = await emailed('Ines');
    const token = signUnsubscribeToken(
      { customerId: customer.customerId, campaignId: 'lost-winback', emailHash: hashEmail(customer.email!) },
      testUnsubscribeSecret,
    );
    // Act
    const page = await api.request('GET', `/unsubscribe/${token}`);
    const done = await api.request('POST', `/unsubscribe/${token}`, {
      body: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const invalid = await api.request('GET', `/unsubscribe/${token.slice(0, -2)}xx`);
    // Assess
    expect(page.status).toBe(200);
    expectBranded(page);
    expect(done.status).toBe(200);
    expect(done.text).toContain('You are unsubscribed');
    expectBranded(done);
    expect(invalid.status).toBe(400);
    expectBranded(invalid);
  });

  it('shows the feedback question and its thanks in the same branding', async () => {
    // Prepare
    const { send } = await emailed('Jon');
    const token = signFeedbackToken(send, testUnsubscribeSecret);
    // Act
    const page = await api.request('GET', `/feedback/${token}?answer=prices`);
    const thanks = await api.request('POST', `/feedback/${token}`, { body: 'answer=prices', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    // Assess
    expect(page.status).toBe(200);
    expect(page.text).toContain('value="prices" checked');
    expectBranded(page);
    expect(thanks.status).toBe(200);
    expectBranded(thanks);
  });
});
