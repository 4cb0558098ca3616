import { hashEmail, isDeliverableAddress, normalizeEmail } from '../domain/email.js';
import { customerKey, knownEmailHashes, withAddress } from '../domain/identity.js';
import type { IncomingCustomerUpdate, IncomingRedaction } from '../domain/orders/incoming-order.js';
import type { Clock } from '../ports/clock.js';
import type { CustomerRepository } from '../ports/customers.js';
import type { ReportSnapshots } from '../ports/report-snapshots.js';
import type { SendLedger } from '../ports/send-ledger.js';
import type { SuppressionList } from '../ports/suppressions.js';
import { removeFeedbackComments } from './report-snapshot.js';

export interface CustomerChangeDependencies {
  readonly customers: CustomerRepository;
  readonly suppressions: SuppressionList;
  readonly clock: Clock;
  /** Erasure reads the customer's survey answers, to take their comments out of the stored reports. */
  readonly ledger: Pick<SendLedger, 'sendsOf'>;
  readonly snapshots: Pick<ReportSnapshots, 'latest' | 'replace'>;
}

/**
 * A customer change from the platform (Shopify customers/update): a consent change, taken when it is newer than what
 * Winback holds, and a change of the account's address, which the profile takes while remembering the old one.
 */
export async function updateCustomerConsent(
  update: IncomingCustomerUpdate,
  deps: CustomerChangeDependencies,
): Promise<'updated' | 'unchanged' | 'unknown_customer'> {
  const { customer, source } = update;
  const emailHash = isDeliverableAddress(customer.email) ? hashEmail(customer.email) : undefined;
  if (!customer.consent && !emailHash) return 'unchanged';
  const keyed = customer.platformCustomerId !== undefined ? customerKey(source, customer.platformCustomerId) : undefined;
  // Profiles stored before ids were namespaced, and platform customers merged into another profile, are found by address.
  let profile = keyed !== undefined ? await deps.customers.get(keyed) : undefined;
  if (!profile && emailHash) {
    const byEmail = await deps.customers.customerIdForEmail(emailHash);
    profile = byEmail ? await deps.customers.get(byEmail) : undefined;
  }
  if (!profile) return 'unknown_customer';
  let changed = false;
  // Only an update that names the platform customer moves their address: one found by address already has it.
  if (emailHash && profile.customerId === keyed && profile.email !== normalizeEmail(customer.email!)) {
    const owner = await deps.customers.customerIdForEmail(emailHash);
    const next = withAddress(profile, customer.email!);
    changed = await deps.customers.changeAddress(profile.customerId, {
      customer: next,
      ...(profile.email !== undefined ? { expectedEmail: profile.email } : {}),
      claimPointer: owner === undefined || owner === profile.customerId,
    });
  }
  if (customer.consent) {
    changed =
      (await deps.customers.updateConsent(profile.customerId, { state: customer.consent.state, source, updatedAt: customer.consent.updatedAt })) || changed;
  }
  return changed ? 'updated' : 'unchanged';
}

/**
 * GDPR erasure: the customer, their orders and sends, and every pointer to them are deleted, and their survey comments
 * are taken out of the stored reports. What stays is a suppression entry under the hash of every address the profile
 * ever had, so a forgotten customer is never emailed again: not by a later import, not after a guest order from an old
 * address.
 */
export async function forgetCustomer(redaction: IncomingRedaction, deps: CustomerChangeDependencies): Promise<{ itemsDeleted: number }> {
  const emailHash = isDeliverableAddress(redaction.email) ? hashEmail(redaction.email) : undefined;
  const ids = new Set<string>();
  if (redaction.platformCustomerId && redaction.source !== 'cli') ids.add(customerKey(redaction.source, redaction.platformCustomerId));
  if (emailHash) {
    const byEmail = await deps.customers.customerIdForEmail(emailHash);
    if (byEmail) ids.add(byEmail);
  }
  const at = deps.clock.now().toISOString();
  const suppress = (hash: string) => deps.suppressions.add({ emailHash: hash, reason: 'forgotten', source: `${redaction.source}:redact`, at });
  if (emailHash) await suppress(emailHash);
  const comments: { at: string; campaignId: string; comment: string }[] = [];
  for (const id of ids) {
    const customer = await deps.customers.get(id);
    const hashes = customer ? knownEmailHashes(customer).filter((hash) => hash !== emailHash) : [];
    for (const hash of hashes) await suppress(hash);
    for (const send of await deps.ledger.sendsOf(id)) {
      if (send.feedback?.comment) comments.push({ at: send.feedback.at, campaignId: send.campaignId, comment: send.feedback.comment });
    }
  }
  // Suppressed and scrubbed before anything is deleted: a request that fails half way (a platform's retry redoes it)
  // still finds the profile and its comments, and its addresses are already safe meanwhile.
  await removeFeedbackComments(comments, deps);
  let itemsDeleted = 0;
  for (const id of ids) itemsDeleted += await deps.customers.forget(id, emailHash ? [emailHash] : []);
  return { itemsDeleted };
}
