import { describe, expect, it } from 'vitest';
import { addDays, daysBetweenInstants } from '../../lib/domain/dates.js';
import { generateDemoShop } from '../../lib/domain/demo-shop.js';
import type { SendRecord } from '../../lib/domain/sends.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { testConfig } from '../support/customers.js';
import { localShop } from '../support/local-aws.js';
import { sweepDue, workflowNight } from '../support/night.js';

describe('a simulated month of nights with the shipped strategy', { timeout: 480_000 }, () => {
  it('holds out 10% of entries, never exceeds the frequency cap, and every send carries its variant and coupon', async () => {
    // Prepare: the shipped campaigns with their holdouts, quiet hours and caps
    const shop = await localShop();
    const config = testConfig((raw) => {
      for (const campaign of raw.campaigns) campaign.experiment.holdoutPercent = 10;
      (raw.guardrails as { quietHours?: unknown }).quietHours = { start: '21:00', end: '08:00' };
      raw.classification.policy = 'rule';
    });
    await applyCampaignConfig(config, 'test', shop.deps);
    const entries = [...generateDemoShop({ customers: 600, endDate: '2026-11-01', shopTimeZone: 'Europe/Amsterdam', currency: 'EUR', seed: 11 })];
    await shop.deps.customers.putMany(entries);
    // Act: 30 nights through the workflow, each followed by its day's sending (the scheduled sender's sweeps), the
    // handlers kept warm after the first night as Lambda keeps a container. Only the last night builds its report:
    // nothing here reads one, and building 30 took a fifth of this file's time.
    const withoutReport = (state: string, _payload: unknown, invoke: () => Promise<unknown>) => (state === 'BuildReport' ? Promise.resolve(null) : invoke());
    for (let day = 0; day < 30; day += 1) {
      const night = await workflowNight(shop, addDays('2026-11-01', day), { warm: day > 0, ...(day < 29 ? { aroundTask: withoutReport } : {}) });
      await sweepDue(shop, new Date(Date.parse(night.nightAt) + 86_400_000).toISOString(), { warm: true });
    }
    const ledger = (await Promise.all(entries.map(({ customer }) => shop.deps.ledger.sendsOf(customer.customerId)))).flat();
    // Assess: the holdout share of campaign entries, within 4 standard deviations of 10%
    const firstSteps = ledger.filter((entry) => entry.step === 0);
    const held = firstSteps.filter((entry) => entry.status === 'held_out').length;
    const share = held / firstSteps.length;
    expect(firstSteps.length).toBeGreaterThan(150);
    expect(Math.abs(share - 0.1)).toBeLessThan(4 * Math.sqrt((0.1 * 0.9) / firstSteps.length));
    // no customer ever gets more than 2 emails in any 7 days
    const sent = ledger.filter((entry): entry is SendRecord & { completedAt: string } => entry.status === 'sent' && entry.completedAt !== undefined);
    const byCustomer = new Map<string, typeof sent>();
    for (const entry of sent) byCustomer.set(entry.customerId, [...(byCustomer.get(entry.customerId) ?? []), entry]);
    for (const sends of byCustomer.values()) {
      const times = sends.map((entry) => entry.completedAt).sort();
      for (let index = 2; index < times.length; index += 1) {
        expect(daysBetweenInstants(times[index - 2]!, times[index]!)).toBeGreaterThanOrEqual(7);
      }
    }
    // every send carries its variant, and its coupon when the step has an offer
    expect(sent.length).toBeGreaterThan(100);
    for (const entry of sent) {
      expect(entry.arm).toMatch(/^[a-z0-9-]+$/);
      if (entry.offer?.kind !== 'none') expect(entry.offerCode).toMatch(/^[A-Z0-9]+-[0-9A-Z]{8}$/);
    }
    // nothing is left waiting: every scheduled email went out the same day
    expect(ledger.filter((entry) => entry.status === 'scheduled')).toEqual([]);
  });
});
