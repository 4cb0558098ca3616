import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CampaignConfig } from '../../lib/config/campaign-config.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { localApi } from '../support/http.js';
import { localShop, useShopEnvironment } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';

const token = 'test-admin-token-report-console-0123';
const admin = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

let api: Awaited<ReturnType<typeof localApi>>;
let shop: Awaited<ReturnType<typeof localShop>>;

beforeAll(async () => {
  shop = await localShop();
  await applyCampaignConfig(testConfig(), 'test', shop.deps);
  useShopEnvironment(shop, { WINBACK_ADMIN_TOKEN: token });
  api = await localApi();
});
afterAll(async () => {
  await api.close();
  vi.unstubAllEnvs();
});

const live = async () => (await api.request('GET', '/api/campaigns', { headers: admin })).json as { configVersion: number; config: CampaignConfig };
const post = (path: string, body: unknown) => api.request('POST', path, { body: typeof body === 'string' ? body : JSON.stringify(body), headers: admin });

describe('campaign diff and rollback through the admin API', () => {
  it('diffs one campaign or a whole config against the live version, validated like apply, storing nothing', async () => {
    // Prepare
    const before = await live();
    const campaign = before.config.campaigns.find((candidate) => candidate.id === 'lost-winback')!;
    // Act
    const typo = await post('/api/campaigns/lost-winback/diff', { ...campaign, discuont: 10 });
    const changed = await post('/api/campaigns/lost-winback/diff', { ...campaign, priority: campaign.priority + 7 });
    const whole = await post('/api/campaigns/diff', {
      ...before.config,
      campaigns: before.config.campaigns.filter((candidate) => candidate.id !== 'at-risk-nudge'),
    });
    const same = await post('/api/campaigns/diff', before.config);
    const wrongId = await post('/api/campaigns/lost-winback/diff', { ...campaign, id: 'other' });
    // Assess
    expect(typo.status).toBe(400);
    expect(typo.json).toMatchObject({ error: 'invalid_config', field: expect.stringMatching(/discuont$/), problem: expect.stringContaining('discuont') });
    expect(changed.status).toBe(200);
    expect(changed.json).toEqual({
      liveVersion: before.configVersion,
      changes: [{ path: expect.stringMatching(/^campaigns\[\d\]\.priority$/), change: 'changed', before: campaign.priority, after: campaign.priority + 7 }],
    });
    expect(whole.status).toBe(200);
    expect((whole.json.changes as { change: string }[]).length).toBeGreaterThan(0);
    expect(same.json).toEqual({ liveVersion: before.configVersion, changes: [] });
    expect(wrongId.status).toBe(400);
    expect(wrongId.json).toMatchObject({ error: 'invalid_body', field: 'id' });
    expect((await live()).configVersion).toBe(before.configVersion);
  });

  it('rolls back to an earlier version as a new one, and refuses unknown, malformed and no longer valid versions', async () => {
    // Prepare: a change on top of the live version
    const before = await live();
    const campaign = before.config.campaigns.find((candidate) => candidate.id === 'lost-winback')!;
    const put = await api.request('PUT', '/api/campaigns/lost-winback', {
      body: JSON.stringify({ ...campaign, name: 'Changed, then rolled back' }),
      headers: admin,
    });
    expect(put.json).toMatchObject({ version: before.configVersion + 1, unchanged: false });
    // Act
    const rollback = await post('/api/campaigns/rollback', { version: before.configVersion });
    const unknown = await post('/api/campaigns/rollback', { version: 999 });
    const malformed = await post('/api/campaigns/rollback', { version: 'one' });
    const extra = await post('/api/campaigns/rollback', { version: 1, force: true });
    // Assess
    expect(rollback.status).toBe(200);
    expect(rollback.json).toEqual({ version: before.configVersion + 2, unchanged: false, restored: before.configVersion });
    const after = await live();
    expect(after.config).toEqual(before.config);
    const history = (await api.request('GET', '/api/campaigns/history', { headers: admin })).json.versions as {
      version: number;
      note?: string;
      appliedBy: string;
    }[];
    expect(history[0]).toMatchObject({ version: before.configVersion + 2, note: `rollback to version ${before.configVersion}`, appliedBy: 'admin-api' });
    expect(unknown.status).toBe(404);
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ error: 'invalid_body', field: 'version' });
    expect(extra.status).toBe(400);
    expect(extra.json).toMatchObject({ error: 'invalid_body', field: 'force' });

    // Prepare: a stored version today's schema refuses (as if written by an older release)
    const latest = await shop.deps.configs.latest();
    const stale = { ...(latest!.raw as Record<string, unknown>), retiredSetting: true } as unknown as CampaignConfig;
    expect(
      await shop.deps.configs.putVersion({ version: latest!.version + 1, config: stale, appliedAt: new Date().toISOString(), appliedBy: 'older-release' }),
    ).toBe(true);
    await applyCampaignConfig(before.config, 'test', shop.deps);
    // Act
    const invalid = await post('/api/campaigns/rollback', { version: latest!.version + 1 });
    // Assess
    expect(invalid.status).toBe(400);
    expect(invalid.json).toMatchObject({ error: 'invalid_config', field: 'retiredSetting', problem: expect.stringContaining('retiredSetting') });
  });

  it('answers the report with churn over time and why customers leave', async () => {
    // Prepare
    await shop.deps.customers.putMany([customerFrom({ name: 'Ria', orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'] })]);
    await workflowNight(shop, '2026-11-22');
    // Act
    const report = await api.request('GET', '/api/report', { headers: admin });
    // Assess
    expect(report.status).toBe(200);
    expect(report.json.churn).toMatchObject({
      nights: [expect.objectContaining({ night: '2026-11-22' })],
      reactivation: { customers: expect.any(Number) },
      calibration: { nights: [] },
    });
    expect(report.json.reasons).toMatchObject({ feedback: { total: 0 }, codes: { now: { asOf: '2026-11-22' } } });
  });
});
