import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lib/domain/errors.js';
import { toHttpError } from '../../lib/http/errors.js';
import { activeConfig } from '../../lib/usecases/active-config.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { viewCustomer } from '../../lib/usecases/customer-view.js';
import { ingestOrder } from '../../lib/usecases/ingest-order.js';
import { customerFrom, type RawConfig, testConfig } from '../support/customers.js';
import { localShop } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';
import { incomingOrder } from '../support/orders.js';

async function euroShop(change: (raw: RawConfig) => void = () => {}) {
  const local = await localShop();
  await applyCampaignConfig(testConfig(change), 'test', local.deps);
  const { DynamoOrderStore } = await import('../../lib/adapters/dynamodb/orders.js');
  const orders = new DynamoOrderStore(local.client, local.tableName);
  const config = activeConfig(local.deps.configs, local.deps.clock);
  const ingest = (order: Parameters<typeof ingestOrder>[0]) => ingestOrder(order, randomUUID(), { orders, clock: local.deps.clock, config });
  const view = (email: string) => viewCustomer(email, { ...local.deps, config });
  return { ...local, ingest, view };
}

const yen = (email: string, totalMinor: number, placedAt = '2026-11-26T10:00:00.000Z') =>
  incomingOrder({ email, currency: 'JPY', totalMinor, placedAt, lineItems: [{ title: 'Matcha', quantity: 1, priceMinor: totalMinor }] });

describe('orders in another currency than the shop', () => {
  it('stores a JPY order in a euro shop as a purchase, but adds nothing to the euro totals without a rate', async () => {
    // Prepare
    const shop = await euroShop();
    await shop.ingest(incomingOrder({ email: 'kenji@example.org', totalMinor: 4_250 }));
    // Act
    const result = await shop.ingest(yen('kenji@example.org', 500_000));
    // Assess
    expect(result).toMatchObject({ outcome: 'stored', counted: true });
    expect(await shop.view('kenji@example.org')).toMatchObject({
      orderCount: 2,
      totalSpent: '42.50',
      currency: 'EUR',
      lastOrderAt: '2026-11-26T10:00:00.000Z',
    });
  });

  it('converts it at shop.exchangeRates when the config gives a rate', async () => {
    // Prepare
    const shop = await euroShop((raw) => ((raw.shop as Record<string, unknown>).exchangeRates = { JPY: '0.0061' }));
    // Act
    await shop.ingest(yen('kenji@example.org', 10_000));
    // Assess
    expect(await shop.view('kenji@example.org')).toMatchObject({ orderCount: 1, totalSpent: '61.00', currency: 'EUR' });
  });

  it('credits a win-back order in another currency as a win, with no revenue in the shop currency', async () => {
    // Prepare
    const shop = await euroShop();
    const lena = customerFrom({ name: 'Lena', orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'] });
    await shop.deps.customers.putMany([lena]);
    await workflowNight(shop, '2026-11-22');
    const sentAt = (await shop.deps.ledger.sendsOf(lena.customer.customerId))[0]!.completedAt!;
    const placedAt = new Date(Date.parse(sentAt) + 86_400_000).toISOString();
    // Act
    const result = await shop.ingest(yen(lena.customer.email!, 800_000, placedAt));
    // Assess
    expect(result).toMatchObject({ outcome: 'stored', wonBackBy: { campaignId: 'lost-winback' } });
    const view = await shop.view(lena.customer.email!);
    expect(view).toMatchObject({ status: 'won_back', wonBack: { revenue: '0.00', currency: 'EUR' }, totalSpent: '180.00' });
    expect(view!.sends[0]).toMatchObject({ attribution: { revenueMinor: 0, currency: 'EUR' } });
  });

  it('refuses an order above 1,000,000 euros with a 400 naming the total, and stores nothing', async () => {
    // Prepare
    const shop = await euroShop();
    // Act
    const refusal = await shop.ingest(incomingOrder({ email: 'big@example.org', totalMinor: 100_000_001 })).catch((error: unknown) => error);
    // Assess
    expect(refusal).toBeInstanceOf(InvalidInputError);
    expect(toHttpError(refusal)?.status).toBe(400);
    expect((refusal as InvalidInputError).field).toBe('total_price');
    expect(await shop.view('big@example.org')).toBeUndefined();
  });
});
