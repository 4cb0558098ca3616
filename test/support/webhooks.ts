import { expect } from 'vitest';
import type { IncomingOrder, WebhookDelivery } from '../../lib/domain/orders/incoming-order.js';
import { HttpError } from '../../lib/http/errors.js';

export function orderOf(delivery: WebhookDelivery | { readonly kind: 'ping' }): IncomingOrder {
  if (delivery.kind !== 'order') throw new Error(`expected an order delivery, got ${delivery.kind}`);
  return delivery.order;
}

export function thrownBy(act: () => unknown): HttpError {
  try {
    act();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError, nothing was thrown');
}

/** The fuzz properties' one rule: a delivery is either read or refused with a 400, never anything else. */
export function expectReadOrRefused(act: () => unknown): void {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(400);
  }
}
