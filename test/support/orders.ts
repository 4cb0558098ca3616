import { randomUUID } from 'node:crypto';
import type { IncomingOrder } from '../../lib/domain/orders/incoming-order.js';

/** A Shopify-like order in Winback's terms; ids above 2^53 as exact strings. */
export function incomingOrder(overrides: Partial<IncomingOrder> & { email?: string; customerId?: string } = {}): IncomingOrder {
  const { email, customerId, ...rest } = overrides;
  const placedAt = rest.placedAt ?? '2026-11-25T10:00:00.000Z';
  return {
    source: 'shopify',
    orderId: `${9007199254740993n + BigInt(Math.floor(Math.random() * 1e12))}`,
    placedAt,
    updatedAt: placedAt,
    totalMinor: 4250,
    currency: 'EUR',
    lineItems: [{ title: 'Wool Scarf', quantity: 1, priceMinor: 4250 }],
    couponCodes: [],
    counts: true,
    customer: {
      ...(customerId ? { platformCustomerId: customerId } : {}),
      ...(email !== undefined ? { email } : { email: `buyer.${randomUUID().slice(0, 8)}@example.org` }),
      firstName: 'Zoë',
    },
    ...rest,
  };
}
