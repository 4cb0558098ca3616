import type { Environment } from '../config/environment.js';
import type { WebhookDelivery } from '../domain/orders/incoming-order.js';
import { acceptDelivery, type DeliveryDependencies } from '../usecases/accept-delivery.js';
import { tableAdapters } from '../wiring.js';
import { HttpError, storageUnavailable } from './errors.js';
import { json, type HttpResult } from './responses.js';

/** Shopify orders with hundreds of line items stay well under this; anything larger is not an order. */
export const webhookBodyLimitBytes = 1024 * 1024;

export function deliveryDependencies(environment: Environment): DeliveryDependencies {
  return tableAdapters(environment);
}

/**
 * Stores a verified delivery and answers 200 only once it is stored. A storage failure answers 503, so the platform
 * retries: nothing is acknowledged that was not stored.
 */
export async function storeDelivery(delivery: WebhookDelivery, deps: DeliveryDependencies): Promise<HttpResult> {
  try {
    const outcome = await acceptDelivery(delivery, deps);
    return json(200, { status: 'accepted', deliveryId: delivery.deliveryId, ...outcome });
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw storageUnavailable(error);
  }
}
