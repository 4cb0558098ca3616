import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { activeConfig } from '../../lib/usecases/active-config.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { viewCustomer } from '../../lib/usecases/customer-view.js';
import { ingestOrder } from '../../lib/usecases/ingest-order.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { localShop } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';
import { incomingOrder } from '../support/orders.js';

async function shop() {
  const local = await localShop();
  await applyCampaignConfig(testConfig(), 'test', local.deps);
  const { DynamoOrderStore } = await import('../../lib/adapters/dynamodb/orders.js');
  const orders = new DynamoOrderStore(local.client, local.tableName);
  const config = activeConfig(local.deps.configs, local.deps.clock);
  const ingest = (order: Parameters<typeof ingestOrder>[0], deliveryId: string = randomUUID()) =>
    ingestOrder(order, deliveryId, { orders, clock: local.deps.clock, config });
  const view = (email: string) => viewCustomer(email, { ...local.deps, config });
  return { ...local, orders, ingest, view };
}

describe('ingesting orders', () => {
  it('creates an unknown customer and keeps the id exact', async () => {
    // Prepare
    const s = await shop();
    const order = incomingOrder({ customerId: '9007199254740993123', email: 'zoe@example.org' });
    // Act
    const result = await s.ingest(order);
    // Assess
    expect(result).toMatchObject({ outcome: 'stored', customerId: 'shopify:9007199254740993123', counted: true });
    expect(await s.view('zoe@example.org')).toMatchObject({
      customerId: 'shopify:9007199254740993123',
      orderCount: 1,
      totalSpent: '42.50',
      consent: { state: 'unknown' },
    });
  });

  it('changes nothing when the same delivery or the same order arrives again', async () => {
    // Prepare
    const s = await shop();
    const order = incomingOrder({ email: 'twice@example.org' });
    // Act
    const first = await s.ingest(order, 'delivery-1');
    const sameDelivery = await s.ingest(order, 'delivery-1');
    const sameOrderNewDelivery = await s.ingest(order, 'delivery-2');
    // Assess
    expect([first.outcome, sameDelivery.outcome, sameOrderNewDelivery.outcome]).toEqual(['stored', 'duplicate', 'unchanged']);
    expect((await s.view('twice@example.org'))!.orderCount).toBe(1);
  });

  it('stores a cancelled test order without counting it as a purchase', async () => {
    // Prepare
    const s = await shop();
    const order = incomingOrder({ email: 'tester@example.org', counts: false, notCountedBecause: 'test' });
    // Act
    const result = await s.ingest(order);
    // Assess
    expect(result).toMatchObject({ outcome: 'stored', counted: false });
    expect(await s.view('tester@example.org')).toMatchObject({ orderCount: 0, totalSpent: '0.00' });
  });

  it('takes a counted order back out when it is cancelled later, and ignores a stale delivery', async () => {
    // Prepare
    const s = await shop();
    const keep = incomingOrder({ email: 'undo@example.org', placedAt: '2026-10-01T10:00:00.000Z', totalMinor: 1000 });
    const cancelled = incomingOrder({ email: 'undo@example.org', placedAt: '2026-11-01T10:00:00.000Z', totalMinor: 5000 });
    await s.ingest(keep);
    await s.ingest(cancelled);
    // Act
    await s.ingest({ ...cancelled, counts: false, notCountedBecause: 'cancelled', updatedAt: '2026-11-02T10:00:00.000Z' });
    const stale = await s.ingest(cancelled);
    // Assess
    expect(stale.outcome).toBe('stale');
    expect(await s.view('undo@example.org')).toMatchObject({ orderCount: 1, totalSpent: '10.00', lastOrderAt: '2026-10-01T10:00:00.000Z' });
  });

  it('matches a guest order to the customer with that email', async () => {
    // Prepare
    const s = await shop();
    const known = customerFrom({ name: 'Guus', orderDays: ['2026-01-10'] });
    await s.deps.customers.putMany([known]);
    // Act
    const result = await s.ingest(incomingOrder({ email: known.customer.email!.toUpperCase() }));
    // Assess
    expect(result).toMatchObject({ outcome: 'stored', customerId: known.customer.customerId });
    expect((await s.view(known.customer.email!))!.orderCount).toBe(2);
  });

  it('counts every order when deliveries for one customer arrive at the same moment', async () => {
    // Prepare
    const s = await shop();
    const orders = Array.from({ length: 6 }, (_, index) =>
      incomingOrder({ customerId: '424242424242424242', email: 'busy@example.org', placedAt: `2026-11-0${index + 1}T09:00:00.000Z` }),
    );
    // Act
    const results = await Promise.all(orders.map((order) => s.ingest(order)));
    // Assess
    expect(results.every((result) => result.outcome === 'stored')).toBe(true);
    expect(await s.view('busy@example.org')).toMatchObject({ orderCount: 6, totalSpent: '255.00' });
  });

  it('credits an order after a win-back email to that email, and the customer is won back', async () => {
    // Prepare: Lena is lost, the night emails her, then she orders three days later
    const s = await shop();
    const lena = customerFrom({ name: 'Lena', orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'] });
    await s.deps.customers.putMany([lena]);
    await workflowNight(s, '2026-11-22');
    const sentAt = (await s.deps.ledger.sendsOf(lena.customer.customerId))[0]!.completedAt!;
    const placedAt = new Date(Date.parse(sentAt) + 3 * 86_400_000).toISOString();
    // Act
    const result = await s.ingest(incomingOrder({ customerId: lena.customer.customerId, email: lena.customer.email!, placedAt, totalMinor: 7_990 }));
    // Assess
    expect(result).toMatchObject({ outcome: 'stored', wonBackBy: { campaignId: 'lost-winback', rule: 'window' } });
    const view = await s.view(lena.customer.email!);
    expect(view).toMatchObject({ status: 'won_back', wonBack: { campaignId: 'lost-winback', revenue: '79.90' } });
    expect(view!.sends[0]).toMatchObject({ attribution: { by: 'window', revenueMinor: 7_990 }, attributedRevenue: '79.90' });
  });

  it('credits a coupon redemption even outside the window, and nothing else outside it', async () => {
    // Prepare
    const s = await shop();
    const [late, coupon] = [customerFrom({ name: 'Lars', orderDays: ['2026-04-01'] }), customerFrom({ name: 'Cleo', orderDays: ['2026-04-01'] })];
    await s.deps.customers.putMany([late, coupon]);
    await workflowNight(s, '2026-11-22');
    const thirtyDaysLater = new Date(Date.now() + 30 * 86_400_000).toISOString();
    // Act
    const lateResult = await s.ingest(incomingOrder({ customerId: late.customer.customerId, email: late.customer.email!, placedAt: thirtyDaysLater }));
    const [couponSend] = await s.deps.ledger.sendsOf(coupon.customer.customerId);
    const couponResult = await s.ingest(
      incomingOrder({
        customerId: coupon.customer.customerId,
        email: coupon.customer.email!,
        placedAt: thirtyDaysLater,
        couponCodes: [couponSend!.offerCode!.toLowerCase()],
      }),
    );
    // Assess
    expect(lateResult).not.toHaveProperty('wonBackBy');
    expect(couponResult).toMatchObject({ wonBackBy: { rule: 'coupon' } });
  });

  it('takes the credit back when the credited order is cancelled', async () => {
    // Prepare
    const s = await shop();
    const lena = customerFrom({ name: 'Lena', orderDays: ['2026-04-01'] });
    await s.deps.customers.putMany([lena]);
    await workflowNight(s, '2026-11-22');
    const order = incomingOrder({
      customerId: lena.customer.customerId,
      email: lena.customer.email!,
      placedAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    await s.ingest(order);
    // Act
    await s.ingest({ ...order, counts: false, notCountedBecause: 'cancelled', updatedAt: new Date(Date.now() + 2 * 86_400_000).toISOString() });
    // Assess
    const view = await s.view(lena.customer.email!);
    expect(view).not.toHaveProperty('wonBack');
    expect(view!.sends[0]).not.toHaveProperty('attribution');
    expect(view!.orderCount).toBe(1);
  });
});
