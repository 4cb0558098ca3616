import { describe, expect, it } from 'vitest';
import { defaultRenderBreakerPolicy } from '../../lib/domain/render-breaker.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { inboxOf, localShop } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';

const asOf = '2026-11-22';
const lost = ['2026-03-01', '2026-04-01', '2026-05-01'];
const atRisk = ['2026-09-12', '2026-10-02', '2026-10-22'];

/**
 * Sixteen million loop turns for everyone but the sample customer "Sam": the config validates, and at send time every
 * email of the campaign exceeds the render limits (before them, each took seconds: the night would have taken hours).
 */
const hiddenLoop = '{% if customer.first_name != "Sam" %}{% for i in (1..4000) %}{% for j in (1..4000) %}{% endfor %}{% endfor %}{% endif %}';

describe('a campaign whose template exceeds the render limits', () => {
  it('stops for the rest of the night after the threshold, and the night goes on for the other campaigns', async () => {
    // Prepare
    const shop = await localShop();
    const config = testConfig((raw) => {
      const campaign = raw.campaigns.find((candidate) => candidate.id === 'lost-winback')!;
      campaign.steps[0]!.content.html = `${hiddenLoop}${campaign.steps[0]!.content.html}`;
    });
    await applyCampaignConfig(config, 'test', shop.deps);
    const lapsed = Array.from({ length: 30 }, (_, index) => customerFrom({ name: `Lost${index}`, orderDays: lost }));
    const slipping = Array.from({ length: 3 }, (_, index) => customerFrom({ name: `Risk${index}`, orderDays: atRisk }));
    await shop.deps.customers.putMany([...lapsed, ...slipping]);
    // Act
    const startedAt = Date.now();
    const summary = await workflowNight(shop, asOf);
    const tookMs = Date.now() - startedAt;
    // Assess
    expect(summary.skipped.render_failed).toBe(defaultRenderBreakerPolicy.consecutiveFailures);
    expect(summary.skipped.render_paused).toBe(lapsed.length - defaultRenderBreakerPolicy.consecutiveFailures);
    expect(summary.sentByCampaign).toEqual({ 'at-risk-nudge': slipping.length, 'lost-winback': 0 });
    for (const { customer } of slipping) expect(await inboxOf(shop.sesEndpoint, customer.email!)).toHaveLength(1);
    for (const { customer } of lapsed) expect(await inboxOf(shop.sesEndpoint, customer.email!)).toHaveLength(0);
    expect(await shop.deps.ledger.sendsOf(lapsed[0]!.customer.customerId)).toEqual([]);
    // Ten failed renders of at most the render limit each, not thirty of several seconds.
    expect(tookMs).toBeLessThan(40_000);
  });
});
