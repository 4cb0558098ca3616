import { describe, expect, it } from 'vitest';
import { OrderGathering } from '../../lib/adapters/dynamodb/order-gathering.js';
import type { ReportOrder } from '../../lib/domain/report.js';

const order = (customerId: string, placedAt: string): ReportOrder => ({
  customerId,
  orderId: `${customerId}-${placedAt}`,
  placedAt,
  totalMinor: 1_000,
  currency: 'EUR',
});

describe('gathering orders from a scan of the base table', () => {
  it("keeps the orders of customers with an entry in the records and vouches for everyone else's having none kept", () => {
    // Prepare
    const gathering = new OrderGathering();
    // Act: two segments, interleaved page by page; ana has a decision and a send, ben only orders, cleo only a send
    gathering.item(0, 'ana', order('ana', '2026-11-01T10:00:00.000Z'));
    gathering.item(1, 'ben', order('ben', '2026-11-02T10:00:00.000Z'));
    gathering.item(0, 'ana', order('ana', '2026-11-05T10:00:00.000Z'));
    gathering.item(0, 'ana');
    gathering.item(1, 'ben', order('ben', '2026-11-09T10:00:00.000Z'));
    gathering.item(1, 'cleo');
    gathering.close(0);
    gathering.close(1);
    // Assess
    expect(gathering.of('ana')?.map((kept) => kept.placedAt)).toEqual(['2026-11-01T10:00:00.000Z', '2026-11-05T10:00:00.000Z']);
    expect(gathering.of('cleo')).toEqual([]);
    expect(gathering.of('dora')).toEqual([]);
    // ben's orders were let go: should the report want them after all, they are read on their own
    expect(gathering.of('ben')).toBeUndefined();
  });

  it('does not vouch for a customer whose items came apart in the scan', () => {
    // Prepare
    const gathering = new OrderGathering();
    // Act: ana's send, then another customer, then ana's orders again (an order no scan is promised not to take)
    gathering.item(0, 'ana');
    gathering.item(0, 'ben', order('ben', '2026-11-02T10:00:00.000Z'));
    gathering.item(0, 'ana', order('ana', '2026-11-05T10:00:00.000Z'));
    gathering.close(0);
    // Assess
    expect(gathering.of('ana')).toBeUndefined();
  });
});
