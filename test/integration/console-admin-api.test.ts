import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CampaignConfig } from '../../lib/config/campaign-config.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { localApi } from '../support/http.js';
import { inboxOf, localShop, useShopEnvironment } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';

const token = 'test-admin-token-console-admin-0123';
const admin = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

let api: Awaited<ReturnType<typeof localApi>>;
let shop: Awaited<ReturnType<typeof localShop>>;

beforeAll(async () => {
  shop = await localShop();
  await applyCampaignConfig(testConfig(), 'test', shop.deps);
  // Five lost customers (three orders, the last in May) and two active ones (an order a week ago)
  const recent = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
  const lost = Array.from({ length: 5 }, (_, index) =>
    customerFrom({ name: `Lena${index}`, orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'], amount: `${40 + index * 10}.00` }),
  );
  const active = Array.from({ length: 2 }, (_, index) => customerFrom({ name: `Active${index}`, orderDays: [recent] }));
  await shop.deps.customers.putMany([...lost, ...active]);
  await workflowNight(shop, '2026-11-22');
  useShopEnvironment(shop, { WINBACK_ADMIN_TOKEN: token });
  api = await localApi();
});
afterAll(async () => {
  await api.close();
  vi.unstubAllEnvs();
});

const live = async () => (await api.request('GET', '/api/campaigns', { headers: admin })).json as { configVersion: number; config: CampaignConfig };
const post = (path: string, body: unknown) => api.request('POST', path, { body: JSON.stringify(body), headers: admin });

describe('segments through the admin API', () => {
  it('counts customers by status, value tier, reason and campaign, and pages the filtered list with each decision', async () => {
    // Act
    const all = await api.request('GET', '/api/segments', { headers: admin });
    const lost = await api.request('GET', '/api/segments?status=lost&pageSize=2&page=2', { headers: admin });
    const bad = await api.request('GET', '/api/segments?status=gone', { headers: admin });
    // Assess
    expect(all.status).toBe(200);
    expect(all.json).toMatchObject({ customers: 7, complete: true, matching: 7, counts: { byStatus: { lost: 5 } } });
    expect(lost.json).toMatchObject({ matching: 5, page: 2, pageSize: 2, counts: { byStatus: { lost: 5 }, byCampaign: { 'lost-winback': 5 } } });
    const rows = lost.json.rows as { status: string; decision?: { outcome: string; campaignId?: string } }[];
    expect(rows).toHaveLength(2);
    expect(rows.every((row) => row.status === 'lost' && row.decision?.campaignId === 'lost-winback')).toBe(true);
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: 'invalid_body', field: 'status' });
  });

  it('exports the segment as CSV, one line a customer', async () => {
    // Act
    const csv = await api.request('GET', '/api/segments?status=lost&format=csv', { headers: admin });
    // Assess
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="winback-segment-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = csv.text.trim().split('\r\n');
    expect(lines).toHaveLength(6);
    expect(lines.slice(1).every((line) => line.split(',')[3] === 'lost' && line.split(',')[7] === 'lost-winback')).toBe(true);
  });
});

describe('a draft campaign through the admin API', () => {
  it('previews a draft without applying it, with every step and variant rendered as HTML', async () => {
    // Prepare
    const before = await live();
    const campaign = before.config.campaigns.find((candidate) => candidate.id === 'lost-winback')!;
    const draft = {
      ...campaign,
      steps: campaign.steps.map((step, index) =>
        index === 0 ? { ...step, content: { ...step.content, subject: 'Draft subject for {{ customer.first_name }}' } } : step,
      ),
    };
    // Act
    const preview = await post('/api/campaigns/lost-winback/preview', { asOf: '2026-11-22', campaign: draft });
    // Assess
    expect(preview.status).toBe(200);
    const emails = preview.json.emails as { step: number; variant: string; subject: string; html: string }[];
    expect(emails).toHaveLength(campaign.steps.length * campaign.experiment.variants.length);
    expect(emails[0]).toMatchObject({ step: 0, variant: campaign.experiment.variants[0]!.id, subject: 'Draft subject for Sam' });
    expect(emails[0]!.html).toMatch(/<[a-z]/i);
    // The sample's links lead nowhere: a test email unsubscribes no one
    expect(emails[0]!.html).toContain('https://winback.invalid/unsubscribe/');
    expect(preview.json).toMatchObject({ draft: true, asOf: '2026-11-22' });
    expect((await live()).configVersion).toBe(before.configVersion);
  });

  it('names every problem of an invalid draft by path, so the form can show each beside its field', async () => {
    // Prepare
    const campaign = (await live()).config.campaigns.find((candidate) => candidate.id === 'lost-winback')!;
    const draft = { ...campaign, priority: -1, experiment: { ...campaign.experiment, holdoutPercent: 80 } };
    // Act
    const diff = await post('/api/campaigns/lost-winback/diff', draft);
    const preview = await post('/api/campaigns/lost-winback/preview', { asOf: '2026-11-22', campaign: draft });
    // Assess
    for (const answer of [diff, preview]) {
      expect(answer.status).toBe(400);
      expect(answer.json.error).toBe('invalid_config');
      expect((answer.json.problems as { path: string }[]).map((problem) => problem.path).sort()).toEqual([
        'campaigns[lost-winback].experiment.holdoutPercent',
        'campaigns[lost-winback].priority',
      ]);
    }
  });

  it('sends one step of a draft as a test to the given address, marked as a test', async () => {
    // Prepare
    const campaign = (await live()).config.campaigns.find((candidate) => candidate.id === 'lost-winback')!;
    // Act
    const sent = await post('/api/campaigns/lost-winback/test-send', { to: 'marketer@example.org', step: 1, campaign: { ...campaign, name: 'Draft name' } });
    const noStep = await post('/api/campaigns/lost-winback/test-send', { to: 'marketer@example.org', step: 7 });
    const noAddress = await post('/api/campaigns/lost-winback/test-send', { to: 'not an address' });
    // Assess
    expect(sent.status).toBe(200);
    expect(sent.json.subject).toMatch(/^\[Test\] /);
    const inbox = await inboxOf(shop.sesEndpoint, 'marketer@example.org');
    expect(inbox.map((email) => email.subject)).toEqual([sent.json.subject]);
    expect(noStep.status).toBe(400);
    expect(noStep.json).toMatchObject({ field: 'step' });
    expect(noAddress.json).toMatchObject({ error: 'invalid_body', field: 'to' });
  });
});
