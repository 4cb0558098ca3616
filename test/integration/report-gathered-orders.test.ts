import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DynamoOrderStore } from '../../lib/adapters/dynamodb/orders.js';
import { DynamoReportSource } from '../../lib/adapters/dynamodb/report-source.js';
import { generateDemoShop } from '../../lib/domain/demo-shop.js';
import type { ReportSource } from '../../lib/ports/report-source.js';
import { activeConfig } from '../../lib/usecases/active-config.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { buildReport, type ReportOptions } from '../../lib/usecases/build-report.js';
import { ingestOrder } from '../../lib/usecases/ingest-order.js';
import { shopTimeZone, testConfig } from '../support/customers.js';
import { localShop } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';
import { incomingOrder } from '../support/orders.js';

/** The table's source, counting the orders it reads customer by customer; `gather: false` never gathers them with the ledger. */
function countingSource(inner: DynamoReportSource, gather: boolean) {
  const counted = { ordersOf: 0 };
  const source: ReportSource = {
    records: (from, to, options) => inner.records(from, to, gather ? options : undefined),
    forEachCustomer: (visit) => inner.forEachCustomer(visit),
    ordersOf: (customerId, since, until) => {
      counted.ordersOf += 1;
      return inner.ordersOf(customerId, since, until);
    },
  };
  return { source, counted };
}

describe('the orders the report weighs, gathered with the ledger', () => {
  it('make the same report as the orders read customer by customer, whole or ranged, without a query each', async () => {
    // Prepare: a demo shop whose orders go on after its first night, and two nights three weeks apart
    const local = await localShop();
    await applyCampaignConfig(
      testConfig((raw) => {
        raw.classification.policy = 'model';
        raw.classification.model.minCustomers = 100;
      }),
      'test',
      local.deps,
    );
    await local.deps.customers.putMany([...generateDemoShop({ customers: 200, endDate: '2026-11-21', shopTimeZone, currency: 'EUR', seed: 27 })]);
    const first = await workflowNight(local, '2026-10-31');
    const inner = new DynamoReportSource(local.client, local.tableName);
    // some customers the first night chose (emailed or held out) order again within days
    const chosen = (await inner.records('2026-10-31', '2026-10-31')).sends.filter((send) => send.status === 'sent' || send.status === 'held_out');
    const orders = new DynamoOrderStore(local.client, local.tableName);
    const config = activeConfig(local.deps.configs, local.deps.clock);
    for (const [index, send] of chosen.slice(0, 6).entries()) {
      const customer = (await local.deps.customers.get(send.customerId))!;
      const placedAt = new Date(Date.parse(first.nightAt) + (index + 2) * 86_400_000).toISOString();
      await ingestOrder(incomingOrder({ customerId: customer.customerId, email: customer.email!, placedAt, totalMinor: 5_100 }), randomUUID(), {
        orders,
        clock: local.deps.clock,
        config,
      });
    }
    await workflowNight(local, '2026-11-21');
    const clock = { now: () => new Date('2026-11-23T08:00:00.000Z') };
    const report = async (gather: boolean, options: ReportOptions = {}) => {
      const { source, counted } = countingSource(inner, gather);
      const built = await buildReport({ source, configs: local.deps.configs, clock }, options);
      return { built, queries: counted.ordersOf };
    };
    for (const options of [{}, { from: '2026-11-01' }, { to: '2026-10-31' }, { campaignId: 'lost-winback' }] satisfies ReportOptions[]) {
      // Act
      const perCustomer = await report(false, options);
      const gathered = await report(true, options);
      // Assess: the same report, and not one order read on its own
      expect(gathered.built).toEqual(perCustomer.built);
      expect(perCustomer.queries).toBeGreaterThan(0);
      expect(gathered.queries).toBe(0);
    }
    // and the orders mattered: customers followed after the first night ordered again
    const whole = await report(true);
    expect(chosen.length).toBeGreaterThan(0);
    expect(whole.built.churn.reactivation.reactivated).toBeGreaterThan(0);
  }, 240_000);
});
