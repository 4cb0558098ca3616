import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { localApi } from '../support/http.js';
import { localShop, useShopEnvironment } from '../support/local-aws.js';

const adminToken = 'test-admin-token-auth-0123456789abcdef';

let api: Awaited<ReturnType<typeof localApi>>;
let shop: Awaited<ReturnType<typeof localShop>>;
let knownEmail: string;

beforeAll(async () => {
  shop = await localShop();
  await applyCampaignConfig(testConfig(), 'test', shop.deps);
  const { customer } = customerFrom({ name: 'Kim', orderDays: ['2026-05-01'] });
  await shop.deps.customers.putMany([{ customer, orders: [] }]);
  knownEmail = customer.email!;
  useShopEnvironment(shop, { WINBACK_ADMIN_TOKEN: adminToken });
  api = await localApi();
});
afterAll(async () => {
  await api.close();
  vi.unstubAllEnvs();
});

const json = { 'content-type': 'application/json' };

/** Every admin route, reads and writes, with a body that would be accepted from the marketer. */
async function adminRoutes() {
  const current = await api.request('GET', '/api/campaigns', { headers: { authorization: `Bearer ${adminToken}` } });
  const campaign = (current.json.config as { campaigns: { id: string; priority: number }[] }).campaigns.find((candidate) => candidate.id === 'lost-winback')!;
  return [
    { method: 'GET', path: `/api/customers?email=${encodeURIComponent(knownEmail)}` },
    { method: 'GET', path: '/api/report' },
    { method: 'GET', path: '/api/campaigns' },
    { method: 'GET', path: '/api/campaigns/history' },
    { method: 'GET', path: '/api/campaigns/lost-winback' },
    { method: 'GET', path: '/api/campaigns/no-such-campaign' },
    { method: 'PUT', path: '/api/campaigns/lost-winback', body: JSON.stringify({ ...campaign, priority: campaign.priority + 1 }) },
    { method: 'POST', path: '/api/campaigns/lost-winback/preview', body: JSON.stringify({ asOf: '2026-11-22' }) },
    { method: 'GET', path: '/api/segments?status=lost' },
    { method: 'GET', path: '/api/segments?format=csv' },
    {
      method: 'POST',
      path: '/api/campaigns/lost-winback/preview',
      body: JSON.stringify({ asOf: '2026-11-22', campaign: { ...campaign, priority: campaign.priority + 2 } }),
    },
    { method: 'POST', path: '/api/campaigns/lost-winback/test-send', body: JSON.stringify({ to: 'marketer@example.org' }) },
  ];
}

const wrongCredentials: [string, Record<string, string>][] = [
  ['no Authorization header', {}],
  ['an empty bearer token', { authorization: 'Bearer ' }],
  ['a wrong token', { authorization: 'Bearer not-the-admin-token-0123456789abcdef' }],
  ['the token less its last character', { authorization: `Bearer ${adminToken.slice(0, -1)}` }],
  ['the token with a character appended', { authorization: `Bearer ${adminToken}x` }],
  ['the token without the Bearer scheme', { authorization: adminToken }],
  ['the token as Basic credentials', { authorization: `Basic ${Buffer.from(`admin:${adminToken}`).toString('base64')}` }],
  ['the token in another header', { 'x-api-key': adminToken }],
];

describe('the admin API refuses whoever does not hold the token', () => {
  it.each(wrongCredentials)('answers 401 on every route, reads and writes, for %s, and changes nothing', async (_name, headers) => {
    // Prepare
    const routes = await adminRoutes();
    const before = await shop.deps.configs.latest();
    // Act
    const answers = await Promise.all(
      routes.map((route) => api.request(route.method, route.path, { headers: { ...json, ...headers }, ...(route.body ? { body: route.body } : {}) })),
    );
    // Assess
    expect(answers.map((answer) => `${answer.status}`)).toEqual(routes.map(() => '401'));
    for (const answer of answers) {
      expect(answer.json).toMatchObject({ error: 'unauthorized' });
      expect(answer.text).not.toContain(knownEmail);
    }
    expect((await shop.deps.configs.latest())!.version).toBe(before!.version);
  });

  it('lets the right token in on the same routes, so the refusals above are about the token alone', async () => {
    // Prepare
    const routes = await adminRoutes();
    // Act
    const answers = [];
    for (const route of routes)
      answers.push(
        await api.request(route.method, route.path, {
          headers: { ...json, authorization: `Bearer ${adminToken}` },
          ...(route.body ? { body: route.body } : {}),
        }),
      );
    // Assess
    expect(answers.map((answer) => answer.status)).toEqual(routes.map((route) => (route.path.endsWith('no-such-campaign') ? 404 : 200)));
  });
});

describe('hostile query strings and link tokens', () => {
  it('are answered 2xx or 4xx, never 5xx, on the read API and the signed-link routes', async () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 300 });
    const query = fc.oneof(
      fc
        .dictionary(fc.oneof(fc.constantFrom('email', 'from', 'to', 'campaign', '__proto__', 'constructor'), text), text, { maxKeys: 4 })
        .map((pairs) => new URLSearchParams(pairs).toString()),
      text.map((raw) => encodeURI(raw).replace(/#/g, '%23')),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/api/customers', '/api/report', '/api/segments'), query, text, async (path, search, token) => {
        const read = await api.request('GET', `${path}?${search}`, { headers: { authorization: `Bearer ${adminToken}` } });
        const link = await api.request('POST', `/unsubscribe/${encodeURIComponent(token) || 'x'}`, {
          body: 'List-Unsubscribe=One-Click',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
        expect(read.status).toBeLessThan(500);
        expect(link.status).toBeLessThan(500);
        expect(link.status).not.toBe(200);
      }),
      { numRuns: 60 },
    );
  });
});
