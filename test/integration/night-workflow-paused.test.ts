import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runNightWorkflow } from '../../lib/local/night-workflow.js';
import { EmailSendError, type EmailSender } from '../../lib/ports/email-sender.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { inboxOf, localShop, useShopEnvironment } from '../support/local-aws.js';

beforeEach(() => {
  // The handlers build their dependencies at their own cold start, from this test's table.
  vi.resetModules();
});
afterEach(() => vi.unstubAllEnvs());

describe('the local night when SES pauses the account', () => {
  it('says SES stopped sending in the run, though only the send worker met it', async () => {
    // Prepare: two lapsed customers; SES answers the send worker with SendingPausedException
    const shop = await localShop();
    await applyCampaignConfig(testConfig(), 'test', shop.deps);
    const customers = ['Pia', 'Quin'].map((name) => customerFrom({ name, orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'] }));
    await shop.deps.customers.putMany(customers);
    useShopEnvironment(shop);
    const paused: EmailSender = {
      send: async () => {
        throw new EmailSendError('paused', 'SendingPausedException');
      },
    };
    const dependencies = <T extends object>(handler: string, deps: T): T => (handler === 'send-worker' ? { ...deps, email: paused } : deps);

    // Act
    const run = await runNightWorkflow({ source: 'winback.local', asOf: '2026-11-22' }, { dependencies });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.summary).toMatchObject({ emailsQueued: 2 });
    expect(run.sendQueue).toMatchObject({ enqueued: 2, sent: 0, stoppedBy: 'SendingPausedException' });
    for (const { customer } of customers) expect(await inboxOf(shop.sesEndpoint, customer.email!)).toHaveLength(0);
  });
});
