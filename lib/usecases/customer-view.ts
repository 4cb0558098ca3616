import type { CampaignConfig } from '../config/campaign-config.js';
import { classify, type LifecycleStatus } from '../domain/classification.js';
import type { Customer } from '../domain/customer.js';
import { calendarDateIn } from '../domain/dates.js';
import { hashEmail, normalizeEmail } from '../domain/email.js';
import { toDecimalString } from '../domain/money.js';
import type { SendRecord } from '../domain/sends.js';
import type { Clock } from '../ports/clock.js';
import type { CustomerRepository } from '../ports/customers.js';
import type { RunRecorder } from '../ports/runs.js';
import type { SendLedger } from '../ports/send-ledger.js';
import type { SuppressionList } from '../ports/suppressions.js';
import type { ActiveConfig } from './active-config.js';

export interface CustomerViewDependencies {
  readonly customers: CustomerRepository;
  readonly ledger: SendLedger;
  readonly suppressions: SuppressionList;
  readonly runs: RunRecorder;
  readonly clock: Clock;
  readonly config: ActiveConfig;
}

export type CustomerStatus = LifecycleStatus | 'won_back';

/** What the read API shows about one customer; money as exact decimal strings, times in UTC. */
export interface CustomerView {
  readonly customerId: string;
  readonly email: string;
  readonly firstName?: string;
  readonly status: CustomerStatus;
  readonly orderCount: number;
  readonly totalSpent: string;
  readonly currency?: string;
  readonly lastOrderAt?: string;
  readonly consent: Customer['consent'];
  readonly suppressed: boolean;
  readonly wonBack?: Customer['wonBack'] & { readonly revenue: string };
  readonly feedback?: Customer['feedback'];
  readonly sends: readonly (SendRecord & { readonly attributedRevenue?: string })[];
}

/** A customer as of now; the status is derived, never stored, with the pace the latest night measured. */
export async function viewCustomer(email: string, deps: CustomerViewDependencies): Promise<CustomerView | undefined> {
  const emailHash = hashEmail(email);
  const customerId = await deps.customers.customerIdForEmail(emailHash);
  const customer = customerId ? await deps.customers.get(customerId) : undefined;
  if (!customer) return undefined;
  const [config, sends, suppressed, latestRun] = await Promise.all([
    deps.config(),
    deps.ledger.sendsOf(customer.customerId),
    deps.suppressions.suppressedAmong([emailHash]),
    deps.runs.latest(),
  ]);
  const currency = customer.summary.currency ?? config.shop.currency;
  return {
    customerId: customer.customerId,
    email: normalizeEmail(customer.email ?? email),
    ...(customer.firstName ? { firstName: customer.firstName } : {}),
    status: statusOf(customer, config, latestRun?.shopPace, deps.clock.now()),
    orderCount: customer.summary.orderCount,
    totalSpent: toDecimalString(customer.summary.totalSpendMinor, currency),
    currency,
    ...(customer.summary.lastOrderAt ? { lastOrderAt: customer.summary.lastOrderAt } : {}),
    consent: customer.consent,
    suppressed: suppressed.has(emailHash),
    ...(customer.wonBack ? { wonBack: { ...customer.wonBack, revenue: toDecimalString(customer.wonBack.revenueMinor, customer.wonBack.currency) } } : {}),
    ...(customer.feedback ? { feedback: customer.feedback } : {}),
    sends: sends.map((send) => (send.attribution ? { ...send, attributedRevenue: toDecimalString(send.attribution.revenueMinor, send.attribution.currency) } : send)),
  };
}

function statusOf(customer: Customer, config: CampaignConfig, pace: { secondOrderGapDays: number; measuredOn: number } | undefined, now: Date): CustomerStatus {
  // Won back until a later win-back email goes out for a new lapse.
  if (customer.wonBack && (!customer.lastSend || customer.lastSend.at <= customer.wonBack.at)) return 'won_back';
  const asOf = calendarDateIn(now, config.shop.timeZone);
  const shopPace = pace ?? { secondOrderGapDays: config.classification.fallbackSecondOrderGapDays, measuredOn: 0 };
  return classify(customer, asOf, shopPace, config.classification, config.shop.timeZone).status;
}
