import type { CampaignConfig } from '../config/campaign-config.js';
import { type Classification, classify, classifyWithModel, type LifecycleStatus } from '../domain/classification.js';
import type { Customer, DecisionRecord } from '../domain/customer.js';
import { calendarDateIn } from '../domain/dates.js';
import { hashEmail, normalizeEmail } from '../domain/email.js';
import { toDecimalString } from '../domain/money.js';
import type { SendRecord } from '../domain/sends.js';
import { storedNightModel } from '../domain/stored-model.js';
import { unreadableProblem } from '../domain/unreadable-record.js';
import type { Clock } from '../ports/clock.js';
import type { CustomerRepository } from '../ports/customers.js';
import type { NightSummary, RunRecorder } from '../ports/runs.js';
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

/** `unreadable`: the stored record cannot be scored (see unreadable-record.ts); the night skips it too. */
export type CustomerStatus = LifecycleStatus | 'won_back' | 'unreadable';

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
  /** Why the record cannot be scored, when it cannot: the night skips it as `unreadable_record`. */
  readonly unreadable?: string;
  readonly wonBack?: Customer['wonBack'] & { readonly revenue: string };
  readonly feedback?: Customer['feedback'];
  /** Tonight's scores as of now, with the latest night's fitted model (or the cadence rule). */
  readonly scores: {
    readonly classifiedBy: 'rule' | 'model';
    readonly pAlive?: number;
    readonly expectedOrders90?: number;
    readonly clv?: string;
    readonly valueAtStake: string;
    readonly daysSinceLastOrder?: number;
    readonly expectedGapDays?: number;
    readonly reasonCodes: readonly string[];
  };
  readonly journey?: Customer['journey'];
  /** The latest decisions, newest first: why the customer was (or was not) emailed. */
  readonly decisions: readonly DecisionRecord[];
  readonly sends: readonly (SendRecord & { readonly attributedRevenue?: string })[];
}

/** A customer as of now; the status is derived, never stored, with the pace the latest night measured. */
export async function viewCustomer(email: string, deps: CustomerViewDependencies): Promise<CustomerView | undefined> {
  const emailHash = hashEmail(email);
  const customerId = await deps.customers.customerIdForEmail(emailHash);
  const customer = customerId ? await deps.customers.get(customerId) : undefined;
  if (!customer) return undefined;
  const [config, sends, suppressed, latestRun, decisions] = await Promise.all([
    deps.config(),
    deps.ledger.sendsOf(customer.customerId),
    deps.suppressions.suppressedAmong([emailHash]),
    deps.runs.latest(),
    deps.customers.recentDecisions(customer.customerId, 20),
  ]);
  const currency = customer.summary.currency ?? config.shop.currency;
  const { status, classification, unreadable } = statusNow(customer, config, latestRun, deps.clock.now());
  return {
    customerId: customer.customerId,
    email: normalizeEmail(customer.email ?? email),
    ...(customer.firstName ? { firstName: customer.firstName } : {}),
    status,
    orderCount: Number.isSafeInteger(customer.summary.orderCount) ? customer.summary.orderCount : 0,
    totalSpent: Number.isSafeInteger(customer.summary.totalSpendMinor)
      ? toDecimalString(customer.summary.totalSpendMinor, currency)
      : toDecimalString(0, currency),
    currency,
    ...(customer.summary.lastOrderAt ? { lastOrderAt: customer.summary.lastOrderAt } : {}),
    consent: customer.consent,
    suppressed: suppressed.has(emailHash),
    ...(unreadable ? { unreadable } : {}),
    ...(customer.wonBack ? { wonBack: { ...customer.wonBack, revenue: toDecimalString(customer.wonBack.revenueMinor, customer.wonBack.currency) } } : {}),
    ...(customer.feedback ? { feedback: customer.feedback } : {}),
    scores: {
      classifiedBy: Number.isFinite(classification.pAlive) ? 'model' : 'rule',
      // Only finite figures are shown: JSON would write NaN as null, and a money string of it as "N.aN".
      ...(Number.isFinite(classification.pAlive) ? { pAlive: classification.pAlive } : {}),
      ...(Number.isFinite(classification.expectedOrders90) ? { expectedOrders90: classification.expectedOrders90 } : {}),
      ...(Number.isSafeInteger(classification.clvMinor) ? { clv: toDecimalString(classification.clvMinor!, currency) } : {}),
      valueAtStake: toDecimalString(Number.isSafeInteger(classification.valueAtStakeMinor) ? classification.valueAtStakeMinor : 0, currency),
      ...(Number.isFinite(classification.daysSinceLastOrder) ? { daysSinceLastOrder: classification.daysSinceLastOrder } : {}),
      ...(Number.isFinite(classification.expectedGapDays) ? { expectedGapDays: classification.expectedGapDays } : {}),
      reasonCodes: classification.reasonCodes ?? [],
    },
    ...(customer.journey ? { journey: customer.journey } : {}),
    decisions: mergeDecisions(decisions, sends),
    sends: sends.map((send) =>
      send.attribution ? { ...send, attributedRevenue: toDecimalString(send.attribution.revenueMinor, send.attribution.currency) } : send,
    ),
  };
}

/** A customer's status and scores as of `now`, as the read API and the segments show them. */
export function statusNow(
  customer: Customer,
  config: CampaignConfig,
  latestRun: NightSummary | undefined,
  now: Date,
): { readonly status: CustomerStatus; readonly classification: Classification; readonly unreadable?: string } {
  const unreadable = unreadableProblem(customer, now, config.shop.timeZone);
  // An unreadable record is shown as it is, with no score: a number derived from it would be made up (or NaN).
  if (unreadable) return { status: 'unreadable', classification: { status: 'no_orders', valueAtStakeMinor: 0, priority: 0 }, unreadable };
  const classification = classificationOf(customer, config, latestRun, now);
  const status: CustomerStatus = customer.wonBack && (!customer.lastSend || customer.lastSend.at <= customer.wonBack.at) ? 'won_back' : classification.status;
  return { status, classification };
}

/** Classified as the night would now: with the latest night's fitted model when it used one, else the cadence rule. */
function classificationOf(customer: Customer, config: CampaignConfig, latestRun: NightSummary | undefined, now: Date): Classification {
  const asOf = calendarDateIn(now, config.shop.timeZone);
  const pace = latestRun?.shopPace ?? { secondOrderGapDays: config.classification.fallbackSecondOrderGapDays, measuredOn: 0 };
  // A stored model that no longer reads falls back to the rule, as the night itself would.
  const model = storedNightModel(latestRun?.scoring, config.classification);
  if (model) return classifyWithModel(customer, asOf, pace, config.classification, config.shop.timeZone, model);
  return classify(customer, asOf, pace, config.classification, config.shop.timeZone);
}

/** Steps taken are in the ledger, skips in the decision log: together, newest first. */
function mergeDecisions(logged: readonly DecisionRecord[], sends: readonly SendRecord[]): DecisionRecord[] {
  const steps: DecisionRecord[] = sends.map((send) => ({
    asOf: send.asOf,
    outcome: send.status === 'held_out' ? 'held_out' : send.status === 'scheduled' ? 'scheduled' : send.status === 'sent' ? 'sent' : 'skipped',
    ...(send.status === 'failed' || send.status === 'cancelled' ? { reason: send.errorCode ?? send.status } : {}),
    // Reserved and never confirmed: SES may have sent it, and it is never sent again.
    ...(send.status === 'reserved' ? { reason: 'send_unconfirmed' } : {}),
    campaignId: send.campaignId,
    step: send.step,
    ...(send.arm ? { arm: send.arm } : {}),
  }));
  return [...logged.map(({ runId: _runId, ...decision }: DecisionRecord & { runId?: string }) => decision), ...steps]
    .sort((a, b) => (a.asOf < b.asOf ? 1 : a.asOf > b.asOf ? -1 : 0))
    .slice(0, 20);
}
