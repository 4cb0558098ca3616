import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoReportSnapshots } from '../../lib/adapters/dynamodb/report-snapshots.js';
import { keys } from '../../lib/adapters/dynamodb/table.js';
import type { DecisionFeatures } from '../../lib/domain/uplift/targeting.js';
import { runNightWorkflow } from '../../lib/local/night-workflow.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { customerFrom, type RawConfig, testConfig } from '../support/customers.js';
import { inboxOf, localShop, useShopEnvironment } from '../support/local-aws.js';

const night = { source: 'winback.local', asOf: '2026-11-22' };
const lapsed = (name: string) => customerFrom({ name, orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'] });

function underUplift(change: (raw: RawConfig) => void = () => {}) {
  return (raw: RawConfig) => {
    const campaign = raw.campaigns.find((candidate) => candidate.id === 'lost-winback') as Record<string, unknown>;
    campaign.targeting = 'uplift';
    campaign.economics = { minTreated: 100, minHoldout: 100, explorationPercent: 0 };
    change(raw);
  };
}

async function upliftShop(names: readonly string[]) {
  const shop = await localShop();
  await applyCampaignConfig(testConfig(underUplift()), 'test', shop.deps);
  const customers = names.map(lapsed);
  await shop.deps.customers.putMany(customers);
  useShopEnvironment(shop);
  return { ...shop, customers };
}

beforeEach(() => {
  vi.resetModules();
});
afterEach(() => vi.unstubAllEnvs());

describe('uplift targeting in the night', () => {
  it('falls back to everyone with too little history, says why, and stores the decision features with each send', async () => {
    // Prepare: no earlier sends or holdouts at all
    const shop = await upliftShop(['Ada', 'Ben', 'Cleo']);

    // Act
    const run = await runNightWorkflow(night);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    const summary = run.summary as { emailsQueued: number; targeting?: Record<string, { used: string; reason?: string }> };
    expect(summary.emailsQueued).toBe(3);
    expect(summary.targeting?.['lost-winback']).toMatchObject({
      used: 'everyone',
      reason: expect.stringMatching(/^too little data for uplift targeting: 0 emailed and 0 held-out/),
    });
    const [entry] = await shop.deps.ledger.sendsOf(shop.customers[0]!.customer.customerId);
    expect(entry?.features).toMatchObject({ status: 'lost', orders: 3, offerValue: entry?.arm === 'bigger-first-offer' ? 20 : 15 });
  });

  it('learns from earlier sends and holdouts, skips the sure things with their reason, and the report says why', async () => {
    // Prepare: 240 customers chosen in September. Three-order lapsed customers ordered 90% of the time emailed or not
    // (sure things); one-order customers ordered half the time when emailed and never when held out (persuadable).
    const shop = await upliftShop(['Dan', 'Eve', 'Fin']);
    const base: DecisionFeatures = {
      recencyDays: 200,
      orders: 3,
      spendMinor: 12_000,
      averageOrderMinor: 4000,
      pAlive: null,
      clvMinor: null,
      status: 'lost',
      reasons: 'overdue_own_cadence',
      offerValue: 15,
      daysSinceLastEmail: null,
    };
    const put = (item: Record<string, unknown>) => shop.client.send(new PutCommand({ TableName: shop.tableName, Item: item }));
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 240; i++) {
      const customerId = `hist-${i}`;
      const treated = i % 2 === 0;
      const sureThing = i % 4 < 2;
      // The two groups differ in the order count alone, so the learner can only tell them apart by it.
      const features = sureThing ? base : { ...base, orders: 1 };
      const key = { customerId, campaignId: 'lost-winback', episode: '2026-05-01', step: 0 };
      const reservation = {
        ...key,
        runId: 'run-sept',
        asOf: '2026-09-01',
        reservedAt: '2026-09-01T02:00:00.000Z',
        arm: treated ? 'control' : 'holdout',
        features,
      };
      writes.push(
        (async () => {
          await shop.deps.ledger.reserve(reservation, treated ? 'reserved' : 'held_out');
          if (treated) await shop.deps.ledger.complete(key, { status: 'sent', messageId: `m-${i}`, at: '2026-09-01T02:00:01.000Z', night: '2026-09-01' });
          const orders = sureThing ? (i % 20 < 18 ? 1 : 0) : treated && i % 8 < 4 ? 1 : 0;
          if (orders)
            await put({
              ...keys.order(customerId, '2026-09-03T10:00:00.000Z', `o-${i}`),
              entity: 'order',
              customerId,
              orderId: `o-${i}`,
              placedAt: '2026-09-03T10:00:00.000Z',
              totalMinor: 4000,
              currency: 'EUR',
            });
        })(),
      );
    }
    await Promise.all(writes);

    // Act
    const run = await runNightWorkflow(night);

    // Assess: the night targeted by uplift and emailed none of the three sure things
    expect(run.status).toBe('SUCCEEDED');
    const summary = run.summary as {
      emailsQueued: number;
      skipped: Record<string, number>;
      targeting?: Record<string, { used: string; treated: number; control: number; skipped: Record<string, number>; discountSavedMinor: number }>;
    };
    expect(summary.targeting?.['lost-winback']).toMatchObject({ used: 'uplift', treated: 120, control: 120, skipped: { sure_thing: 3 } });
    expect(summary.targeting?.['lost-winback']?.discountSavedMinor).toBeGreaterThan(0);
    expect(summary.skipped.sure_thing).toBe(3);
    expect(summary.emailsQueued).toBe(0);
    for (const { customer } of shop.customers) {
      expect(await inboxOf(shop.sesEndpoint, customer.email!)).toHaveLength(0);
      expect((await shop.deps.customers.get(customer.customerId))?.lastDecision).toMatchObject({
        outcome: 'skipped',
        reason: 'sure_thing',
        campaignId: 'lost-winback',
      });
    }
    // The report built at the end of the night: the customers not emailed and why, uplift by segment with intervals.
    const stored = await new DynamoReportSnapshots(shop.client, shop.tableName).latest();
    const uplift = stored?.report.campaigns.find((campaign) => campaign.id === 'lost-winback')?.uplift;
    expect(uplift).toMatchObject({
      targeting: 'uplift',
      notEmailed: { sure_thing: 3, lost_cause: 0, do_not_disturb: 0 },
      latest: { night: '2026-11-22', used: 'uplift' },
    });
    expect(uplift?.bySegment.find((row) => row.segment === 'lost/one-time')).toMatchObject({
      treated: { customers: 60, converted: 30 },
      holdout: { customers: 60, converted: 0 },
    });
    expect(uplift?.bySegment.find((row) => row.segment === 'lost/one-time')?.ci95?.[0]).toBeGreaterThan(0);
  }, 60_000);
});
