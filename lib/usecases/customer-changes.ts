import { hashEmail, isDeliverableAddress } from '../domain/email.js';
import type { IncomingCustomerUpdate, IncomingRedaction } from '../domain/orders/incoming-order.js';
import type { Clock } from '../ports/clock.js';
import type { CustomerRepository } from '../ports/customers.js';
import type { SuppressionList } from '../ports/suppressions.js';

export interface CustomerChangeDependencies {
  readonly customers: CustomerRepository;
  readonly suppressions: SuppressionList;
  readonly clock: Clock;
}

/** A consent change from the platform, taken when it is newer than what Winback holds. */
export async function updateCustomerConsent(update: IncomingCustomerUpdate, deps: CustomerChangeDependencies): Promise<'updated' | 'unchanged' | 'unknown_customer'> {
  const { customer, source } = update;
  if (!customer.consent) return 'unchanged';
  const customerId =
    customer.platformCustomerId ?? (isDeliverableAddress(customer.email) ? await deps.customers.customerIdForEmail(hashEmail(customer.email)) : undefined);
  if (!customerId) return 'unknown_customer';
  if (!(await deps.customers.get(customerId))) return 'unknown_customer';
  const changed = await deps.customers.updateConsent(customerId, { state: customer.consent.state, source, updatedAt: customer.consent.updatedAt });
  return changed ? 'updated' : 'unchanged';
}

/**
 * GDPR erasure: the customer, their orders and sends are deleted; what stays is a suppression entry under the
 * hashed address, so a forgotten customer is never emailed again by a later import.
 */
export async function forgetCustomer(redaction: IncomingRedaction, deps: CustomerChangeDependencies): Promise<{ itemsDeleted: number }> {
  const emailHash = isDeliverableAddress(redaction.email) ? hashEmail(redaction.email) : undefined;
  const ids = new Set<string>();
  if (redaction.platformCustomerId) ids.add(redaction.platformCustomerId);
  if (emailHash) {
    const byEmail = await deps.customers.customerIdForEmail(emailHash);
    if (byEmail) ids.add(byEmail);
    await deps.suppressions.add({ emailHash, reason: 'forgotten', source: `${redaction.source}:redact`, at: deps.clock.now().toISOString() });
  }
  let itemsDeleted = 0;
  for (const id of ids) {
    const customer = await deps.customers.get(id);
    if (customer?.email && !emailHash) {
      await deps.suppressions.add({ emailHash: hashEmail(customer.email), reason: 'forgotten', source: `${redaction.source}:redact`, at: deps.clock.now().toISOString() });
    }
    itemsDeleted += await deps.customers.forget(id);
  }
  return { itemsDeleted };
}
