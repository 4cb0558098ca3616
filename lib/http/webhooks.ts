import type { Environment } from '../config/environment.js';
import type { WebhookDelivery } from '../domain/orders/incoming-order.js';
import { acceptDelivery, type DeliveryDependencies } from '../usecases/accept-delivery.js';
import { tableAdapters } from '../wiring.js';
import { storageUnavailable, toHttpError } from './errors.js';
import { type HttpResult, json } from './responses.js';

/** Shopify orders with hundreds of line items stay well under this; anything larger is not an order. */
export const webhookBodyLimitBytes = 1024 * 1024;

/**
 * Fewer SDK attempts than the default 8: Shopify waits 5 seconds for an answer and retries a failed delivery for
 * 48 hours, so a quick 503 serves better than backing off past the platform's patience (its retry finds the
 * delivery marker and stores nothing twice).
 */
const webhookStorageAttempts = 3;

export function deliveryDependencies(environment: Environment): DeliveryDependencies {
  return tableAdapters(environment, { maxAttempts: webhookStorageAttempts });
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
    const refusal = toHttpError(error);
    if (refusal) throw refusal;
    throw storageUnavailable(error);
  }
}
