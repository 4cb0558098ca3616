import { describe, expect, it } from 'vitest';
import { hashEmail } from '../../lib/domain/email.js';
import { activeConfig } from '../../lib/usecases/active-config.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { queuedSender } from '../../lib/usecases/send-due.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { inboxOf, localShop } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';

/**
 * The send queue's sender reads a batch's entries, profiles and suppressions together and claims its sends together:
 * each send must still be judged on its own customer, and each key sent once.
 */
describe("the send queue's sender, a batch at a time", () => {
  it('sends each key of a batch once, and none to an address suppressed or a customer who opted out since the night', async () => {
    // Prepare: quiet hours, so the night schedules all four; then one address bounces and one customer opts out
    const shop = await localShop();
    await applyCampaignConfig(
      testConfig((raw) => ((raw.guardrails as { quietHours?: unknown }).quietHours = { start: '21:00', end: '08:00' })),
      'test',
      shop.deps,
    );
    const entries = ['Ada', 'Bea', 'Cy', 'Dov'].map((name) => customerFrom({ name, orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'] }));
    await shop.deps.customers.putMany(entries);
    const deps = { ...shop.deps, config: activeConfig(shop.deps.configs, shop.deps.clock) };
    const night = await workflowNight(shop, '2026-11-22');
    const [ada, bea, cy, dov] = entries.map(({ customer }) => customer);
    await deps.suppressions.add({ emailHash: hashEmail(bea!.email!), reason: 'bounced', source: 'ses', at: '2026-11-22T05:00:00Z' });
    await deps.customers.updateConsent(cy!.customerId, { state: 'unsubscribed', source: 'shopify', updatedAt: '2026-11-22T05:00:00Z' });
    const keys = await Promise.all(
      [ada, bea, cy, dov].map(async (customer) => {
        const [entry] = await deps.ledger.sendsOf(customer!.customerId);
        return { customerId: entry!.customerId, campaignId: entry!.campaignId, episode: entry!.episode, step: entry!.step };
      }),
    );

    // Act: Ada's message twice in the batch (SQS delivers at least once), then the whole batch again
    const send = await queuedSender(deps);
    const first = await Promise.all(send([...keys, keys[0]!]));
    const again = await Promise.all(send(keys));

    // Assess
    expect(night.emailsScheduled).toBe(4);
    expect(first).toEqual(['sent', 'cancelled', 'cancelled', 'sent', 'taken']);
    expect(again).toEqual(['taken', 'taken', 'taken', 'taken']);
    const inboxes = await Promise.all([ada, bea, cy, dov].map((customer) => inboxOf(shop.sesEndpoint, customer!.email!)));
    expect(inboxes.map((inbox) => inbox.length)).toEqual([1, 0, 0, 1]);
    const statuses = await Promise.all([ada, bea, cy, dov].map(async (customer) => (await deps.ledger.sendsOf(customer!.customerId))[0]!.status));
    expect(statuses).toEqual(['sent', 'cancelled', 'cancelled', 'sent']);
  });
});
