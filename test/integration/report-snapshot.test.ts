import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoReportSnapshots } from '../../lib/adapters/dynamodb/report-snapshots.js';
import { DynamoReportSource } from '../../lib/adapters/dynamodb/report-source.js';
import { keys } from '../../lib/adapters/dynamodb/table.js';
import { localLambdaContext } from '../../lib/local/lambda-context.js';
import type { ReportSource } from '../../lib/ports/report-source.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import type { Report } from '../../lib/usecases/build-report.js';
import { ReportTooSlowError, refreshReportSnapshot, reportWithin } from '../../lib/usecases/report-snapshot.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { apiGatewayEvent } from '../support/http.js';
import { localShop, useShopEnvironment } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';

const fixture = (path: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8'));
const adminToken = 'test-admin-token-report-0123456789';
const lostOrderDays = ['2026-03-01', '2026-04-01', '2026-05-01'];

/** A report source that never answers: a shop whose report takes longer than anyone waits. */
const neverAnswers: ReportSource = {
  records: () => new Promise(() => {}),
  forEachCustomer: () => new Promise(() => {}),
  ordersOf: () => new Promise(() => {}),
};

describe('the report kept ready after the night', () => {
  let shop: Awaited<ReturnType<typeof localShop>>;
  let snapshots: DynamoReportSnapshots;
  let source: DynamoReportSource;

  beforeAll(async () => {
    // Prepare: a shop with one night sent
    shop = await localShop();
    await applyCampaignConfig(testConfig(), 'test', shop.deps);
    await shop.deps.customers.putMany(Array.from({ length: 6 }, (_, index) => customerFrom({ name: `Rosa${index}`, orderDays: lostOrderDays })));
    await workflowNight(shop, '2026-11-22');
    snapshots = new DynamoReportSnapshots(shop.client, shop.tableName);
    source = new DynamoReportSource(shop.client, shop.tableName);
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  const deps = () => ({ source, snapshots, configs: shop.deps.configs, clock: shop.deps.clock });

  it('stores the whole report and reads it back as it was built', async () => {
    // Act
    const built = await refreshReportSnapshot(deps());
    const read = await snapshots.latest();
    // Assess
    expect(built.report.campaigns.find((campaign) => campaign.id === 'lost-winback')?.sent).toBe(6);
    expect(read).toEqual(JSON.parse(JSON.stringify(built)));
  });

  it('splits a report larger than an item into parts and joins them again', async () => {
    // Prepare: about 1 MB that gzip cannot shrink much, so it needs three parts of 350 KB
    const { report } = (await snapshots.latest())!;
    const large: Report = { ...report, generatedAt: new Date().toISOString(), notes: { ...report.notes, churn: randomBytes(760_000).toString('base64') } };
    // Act
    await snapshots.save({ report: large, buildMs: 1234 });
    // Assess
    expect(await snapshots.latest()).toEqual({ report: large, buildMs: 1234 });
  });

  it('answers no snapshot, rather than a broken one, when its parts have expired', async () => {
    // Prepare
    const { report } = (await snapshots.latest())!;
    const generatedAt = new Date().toISOString();
    await snapshots.save({ report: { ...report, generatedAt }, buildMs: 10 });
    const pointer = await shop.client.send(new GetCommand({ TableName: shop.tableName, Key: keys.latestReport }));
    await shop.client.send(new DeleteCommand({ TableName: shop.tableName, Key: keys.reportSnapshotPart(String(pointer.Item!.snapshotId), 0) }));
    // Act / Assess
    expect(await snapshots.latest()).toBeUndefined();
    await refreshReportSnapshot(deps());
  });

  it('serves a shop whose report was slower than the budget from the snapshot, without building it again', async () => {
    // Prepare
    const { report } = (await snapshots.latest())!;
    await snapshots.save({ report, buildMs: 60_000 });
    // Act
    const served = await reportWithin(20_000, { ...deps(), source: neverAnswers });
    // Assess
    expect(served).toEqual({ ...report, servedFrom: 'snapshot' });
  });

  it('builds the report now when it fits the budget, and falls back to the snapshot when building outruns it', async () => {
    // Prepare
    const { report } = (await snapshots.latest())!;
    await snapshots.save({ report, buildMs: 5 });
    // Act
    const live = await reportWithin(20_000, deps());
    const late = await reportWithin(50, { ...deps(), source: neverAnswers });
    // Assess
    expect(live.servedFrom).toBe('live');
    expect(live.generatedAt > report.generatedAt).toBe(true);
    expect(late).toEqual({ ...report, servedFrom: 'snapshot' });
  });

  it('answers with the snapshot, and warns, when building the report now fails; without a snapshot the failure stands', async () => {
    // Prepare: a table that refuses reads, and a log that keeps what it is told
    const failing: ReportSource = { ...neverAnswers, records: () => Promise.reject(new Error('ProvisionedThroughputExceededException')) };
    const warnings: string[] = [];
    const log = { warn: (message: string) => void warnings.push(message) };
    const { report } = (await snapshots.latest())!;
    const empty = {
      ...deps(),
      snapshots: { save: async () => {}, latestBuilt: async () => undefined, latest: async () => undefined, replace: async () => {} },
    };
    // Act
    const served = await reportWithin(20_000, { ...deps(), source: failing, log });
    const unserved = reportWithin(20_000, { ...empty, source: failing, log });
    // Assess
    expect(served).toEqual({ ...report, servedFrom: 'snapshot' });
    expect(warnings).toEqual(['the report could not be built now; the snapshot answers']);
    await expect(unserved).rejects.toThrow('ProvisionedThroughputExceededException');
  });

  it('never answers a report for a range or a campaign from the snapshot, and says what to do when it is too slow', async () => {
    // Act
    const ranged = await reportWithin(20_000, deps(), { from: '2026-11-22' });
    const tooSlow = reportWithin(50, { ...deps(), source: neverAnswers }, { campaignId: 'lost-winback' });
    // Assess
    expect(ranged.servedFrom).toBe('live');
    expect(ranged.range.from).toBe('2026-11-22');
    await expect(tooSlow).rejects.toThrow(ReportTooSlowError);
    await expect(tooSlow).rejects.toThrow(/only the whole report .* winback report --aws/);
  });

  it("builds the snapshot from the state machine's FinishNight output, and refuses a malformed run id by name", async () => {
    // Prepare
    useShopEnvironment(shop);
    const { handler } = await import('../../functions/report-builder/handler.js');
    const before = (await snapshots.latest())!.report.generatedAt;
    // Act
    const result = await handler(fixture('stepfunctions/valid-report-after-finish.json'), localLambdaContext('report-builder-test'));
    const refused = await handler(fixture('stepfunctions/invalid-report-run-id.json'), localLambdaContext('report-builder-test')).catch(
      (error: unknown) => error,
    );
    // Assess
    expect(result).toMatchObject({ runId: '3f2b8c1e-6d4a-4f7e-9b1c-0a5e2d7f8c91', campaigns: 2 });
    expect((await snapshots.latest())!.report.generatedAt).toBe(result.generatedAt);
    expect(result.generatedAt > before).toBe(true);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/runId/);
  });

  it("answers the admin API's report from the snapshot for a shop too large to build it in time, and says which", async () => {
    // Prepare
    useShopEnvironment(shop, { WINBACK_ADMIN_TOKEN: adminToken });
    const { handler } = await import('../../functions/admin-api/handler.js');
    const { report } = (await snapshots.latest())!;
    await snapshots.save({ report, buildMs: 45_000 });
    const request = (query: Record<string, string> = {}) => ({
      ...apiGatewayEvent('GET', '/api/report', { headers: { authorization: `Bearer ${adminToken}` } }),
      queryStringParameters: query,
    });
    // Act
    const whole = await handler(request(), localLambdaContext('admin-api-test', 29_000));
    const ranged = await handler(request({ from: '2026-11-01' }), localLambdaContext('admin-api-test', 29_000));
    // Assess
    expect(whole.statusCode).toBe(200);
    expect(JSON.parse(whole.body as string)).toMatchObject({ servedFrom: 'snapshot', generatedAt: report.generatedAt });
    expect(ranged.statusCode).toBe(200);
    expect(JSON.parse(ranged.body as string)).toMatchObject({ servedFrom: 'live', range: { from: '2026-11-01' } });
  });
});
