import type { WebhookDelivery } from '../domain/orders/incoming-order.js';
import { type CustomerChangeDependencies, forgetCustomer, updateCustomerConsent } from './customer-changes.js';
import { type IngestDependencies, ingestOrder } from './ingest-order.js';

export type DeliveryDependencies = IngestDependencies & CustomerChangeDependencies;

export interface DeliveryOutcome {
  readonly kind: WebhookDelivery['kind'];
  readonly outcome: string;
  readonly customerId?: string;
  /** Set when the order was credited to a win-back email. */
  readonly wonBackBy?: { readonly campaignId: string; readonly rule: string };
}

/** Does what a verified webhook delivery asks; every branch is idempotent, so a platform's retry is safe. */
export async function acceptDelivery(delivery: WebhookDelivery, deps: DeliveryDependencies): Promise<DeliveryOutcome> {
  switch (delivery.kind) {
    case 'order': {
      const result = await ingestOrder(delivery.order, delivery.deliveryId, deps);
      return {
        kind: 'order',
        outcome: result.outcome,
        ...('customerId' in result ? { customerId: result.customerId } : {}),
        ...('wonBackBy' in result && result.wonBackBy ? { wonBackBy: result.wonBackBy } : {}),
      };
    }
    case 'customer-update':
      return { kind: 'customer-update', outcome: await updateCustomerConsent(delivery.update, deps) };
    case 'redaction': {
      const { itemsDeleted } = await forgetCustomer(delivery.redaction, deps);
      return { kind: 'redaction', outcome: itemsDeleted > 0 ? 'forgotten' : 'nothing_to_forget' };
    }
    case 'ignored':
      return { kind: 'ignored', outcome: delivery.reason };
  }
}
