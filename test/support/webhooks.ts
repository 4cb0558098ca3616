import { expect } from 'vitest';
import { InvalidInputError, MalformedJsonError } from '../../lib/domain/errors.js';
import type { IncomingOrder, WebhookDelivery } from '../../lib/domain/orders/incoming-order.js';
import { type HttpError, toHttpError } from '../../lib/http/errors.js';

export function orderOf(delivery: WebhookDelivery | { readonly kind: 'ping' }): IncomingOrder {
  if (delivery.kind !== 'order') throw new Error(`expected an order delivery, got ${delivery.kind}`);
  return delivery.order;
}

/** The domain error `act` threw, as the edge answers it (status, code, field): anything but a domain error fails. */
export function thrownBy(act: () => unknown): HttpError {
  try {
    act();
  } catch (error) {
    if (error instanceof InvalidInputError || error instanceof MalformedJsonError) return toHttpError(error)!;
    throw error;
  }
  throw new Error('expected a domain error, nothing was thrown');
}

/** The fuzz properties' one rule: a delivery is either read or refused with a 400, never anything else. */
export function expectReadOrRefused(act: () => unknown): void {
  try {
    act();
  } catch (error) {
    expect([InvalidInputError, MalformedJsonError]).toContain((error as Error).constructor);
    expect(toHttpError(error)?.status).toBe(400);
  }
}
