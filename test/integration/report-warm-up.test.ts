import { describe, expect, it } from 'vitest';
import { DynamoReportSource } from '../../lib/adapters/dynamodb/report-source.js';
import { formatReport } from '../../lib/cli/report.js';
import { reportHtml } from '../../lib/cli/report-html.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { buildReport } from '../../lib/usecases/build-report.js';
import { customerFrom, type RawConfig, testConfig } from '../support/customers.js';
import { localShop } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';

/** A shop of five lapsed customers, all of whom a night would email, and its report after that night. */
async function reportAfterFirstNight(warmUp: Partial<RawConfig['guardrails']['warmUp']>) {
  const shop = await localShop();
  await applyCampaignConfig(
    testConfig((raw) => Object.assign(raw.guardrails, { warmUp })),
    'test',
    shop.deps,
  );
  const customers = ['Ada', 'Ben', 'Cas', 'Dee', 'Eli'].map((name) => customerFrom({ name, orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'] }).customer);
  await shop.deps.customers.putMany(customers.map((customer) => ({ customer, orders: [] })));
  const night = await workflowNight(shop, '2026-11-22');
  const report = await buildReport({ source: new DynamoReportSource(shop.client, shop.tableName), configs: shop.deps.configs, clock: shop.deps.clock });
  return { night, report };
}

describe('the warm-up in the report', () => {
  it('shows the backlog still waiting for a later night, in the JSON, the text and the HTML report', async () => {
    // Act
    const { night, report } = await reportAfterFirstNight({ firstNight: 2 });
    // Assess
    expect(night.emailsSent).toBe(2);
    expect(report.shop.warmUp).toEqual({ night: '2026-11-22', limit: 2, warmingUp: true, backlog: 3 });
    expect(formatReport(report)).toContain('Warm-up: the night of 2026-11-22 could send at most 2 emails; 3 customers still wait for a later night');
    expect(reportHtml(report)).toContain('<p class="note" id="warm-up">Warm-up: the night of 2026-11-22 could send at most 2 emails; 3 customers');
  });

  it('says nothing of a warm-up that is turned off', async () => {
    // Act
    const { night, report } = await reportAfterFirstNight({ enabled: false });
    // Assess
    expect(night.emailsSent).toBe(5);
    expect(report.shop.warmUp).toBeUndefined();
    expect(formatReport(report)).not.toContain('Warm-up');
    expect(reportHtml(report)).not.toContain('id="warm-up"');
  });
});
