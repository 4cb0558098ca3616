// The per-customer rules of a night: score, decide, the checks before a step, the step and its record. The page
// pipeline that feeds them (paging, read-ahead, concurrency) is score-segment.ts.
import { type Classification, classify } from '../domain/classification.js';
import type { Customer, DecisionRecord } from '../domain/customer.js';
import { addDays } from '../domain/dates.js';
import { type Decision, decide, type SkipReason } from '../domain/decisions.js';
import { isPaused } from '../domain/deliverability.js';
import { resolveOffer } from '../domain/offers.js';
import { unreadableProblem } from '../domain/unreadable-record.js';
import type { SegmentTally, TargetingTally } from '../ports/night-work.js';
import type { NightContext, SegmentDependencies } from './night-context.js';
import { emptyTargetingTally } from './plan-targeting.js';
import { countSkip, tallyStep } from './segment-tally.js';
import { composeEmail, recommendationsFor, runStep } from './send-step.js';
import type { StepRequest, StepResult } from './step-types.js';

/** A customer whose decision tonight is a step: a send or a holdout. */
export interface Candidate {
  readonly customer: Customer;
  readonly decision: Extract<Decision, { kind: 'send' | 'hold' }>;
  readonly classification: Classification;
}

/** What judging one customer left to do: a candidate for a step, or (skipped) the decision log's write, if any. */
export type Judged = { readonly candidate: Candidate } | { readonly candidate?: undefined; readonly logged?: Promise<void> };

/** Scores and decides one customer, counting them in the tally; a skipped customer is logged when that says something new. */
export function judgeCustomer(customer: Customer, night: NightContext, now: Date, deps: SegmentDependencies, tally: SegmentTally): Judged {
  const judged = judge(customer, night, now, deps);
  if (!judged) {
    countSkip(tally, 'unreadable_record');
    return {};
  }
  const { classification, decision } = judged;
  tally.customersScanned += 1;
  tally.statuses[classification.status] += 1;
  if (decision.kind === 'skip') {
    countSkip(tally, decision.reason);
    if (decision.targeting && decision.campaignId) {
      const targeting = targetingTally(tally, decision.campaignId);
      targeting.skipped[decision.reason as keyof TargetingTally['skipped']] += 1;
      targeting.marginSavedMinor -= decision.targeting.marginMinor;
      targeting.discountSavedMinor += decision.targeting.discountSavedMinor;
    }
    if (night.samples) return {};
    return {
      logged: logIfChanged(
        customer,
        { asOf: night.asOf, outcome: 'skipped', reason: decision.reason, ...(decision.campaignId ? { campaignId: decision.campaignId } : {}) },
        night,
        deps,
      ),
    };
  }
  if (decision.explored) targetingTally(tally, decision.campaign.id).explored += 1;
  return { candidate: { customer, decision, classification } };
}

function targetingTally(tally: SegmentTally, campaignId: string): TargetingTally {
  const campaign = (tally.campaigns[campaignId] ??= { sent: 0, queued: 0, scheduled: 0, heldOut: 0, byVariant: {} });
  return (campaign.targeting ??= emptyTargetingTally());
}

/** Most valuable first, so a night that must stop early (or meets its cap) has spent its sends where they matter most. */
export function rankCandidates(candidates: Candidate[]): void {
  candidates.sort((a, b) => b.classification.priority - a.classification.priority);
}

/**
 * The checks before a step (suppression, pauses, the daily cap), then the step itself (or its preview), counted in
 * the tally. `deps.email` is the pipeline's: it frees the customer's concurrency slot once SES has answered; `free`
 * frees it as soon as the customer is known to be skipped, so a skip's decision log is written outside the slot (it
 * reserves nothing) and the steps behind it do not wait for that write.
 */
export async function takeStep(
  candidate: Candidate,
  suppressed: boolean,
  night: NightContext,
  deps: SegmentDependencies,
  tally: SegmentTally,
  free: () => void = () => {},
): Promise<void> {
  const { customer, decision, classification } = candidate;
  const skipped = (reason: SkipReason) => {
    countSkip(tally, reason);
    free();
    return logIfChanged(customer, { asOf: night.asOf, outcome: 'skipped', reason, campaignId: decision.campaign.id, step: decision.step }, night, deps);
  };
  if (suppressed) return skipped('suppressed');
  // Holdouts pause too: a holdout that keeps growing while nobody is emailed would skew the lift.
  if (isPaused(night.paused, decision.campaign.id)) return skipped('campaign_paused');
  if (night.stop.reason) return skipped('sending_paused');
  // Holdouts wait too: a holdout drawn from every value while only the most valuable are emailed would skew the lift.
  if (night.warmUpMinValueMinor !== undefined && classification.valueAtStakeMinor < night.warmUpMinValueMinor) return skipped('warm_up');
  if (decision.kind === 'send' && !(await night.budget.take())) return skipped('daily_cap');
  const request: StepRequest = {
    kind: decision.kind,
    customer: customer as StepRequest['customer'],
    campaign: decision.campaign,
    episode: decision.episode,
    step: decision.step,
    arm: decision.arm,
    journey: decision.journey,
    valueAtStakeMinor: classification.valueAtStakeMinor,
    runId: night.runId,
    asOf: night.asOf,
    nightAt: night.nightAt,
    ...(decision.features ? { features: decision.features } : {}),
    ...(night.products ? { products: night.products } : {}),
  };
  const result = night.samples ? previewStep(request, night, deps) : await runStep(request, night.config, deps);
  if (decision.kind === 'send' && !spendsBudget(result)) await night.budget.giveBack();
  if (result.outcome === 'paused') night.stop.reason ??= result.errorCode;
  tallyStep(tally, decision.campaign.id, decision.arm, result);
  const outcome = outcomeOf(result);
  const entry = { asOf: night.asOf, ...outcome, campaignId: decision.campaign.id, step: decision.step, arm: decision.arm };
  // A step taken is its own record: the ledger entry (sent, scheduled, held out) and lastDecision on the profile.
  if (outcome.outcome === 'skipped' && !night.samples) {
    free();
    await logIfChanged(customer, entry, night, deps);
  }
}

/**
 * The customer's classification and tonight's decision, or undefined for a record the night cannot read (see
 * unreadable-record.ts): that customer is skipped and logged by id, and the night goes on. Whatever else one record
 * makes scoring throw is treated the same way, so no single customer can stop everyone's night.
 */
function judge(
  customer: Customer,
  night: NightContext,
  now: Date,
  deps: SegmentDependencies,
): { classification: Classification; decision: Decision } | undefined {
  const customerId = typeof customer.customerId === 'string' ? customer.customerId : '(no id)';
  const problem = unreadableProblem(customer, now, night.config.shop.timeZone);
  if (problem) {
    deps.log?.warn('customer record unreadable; skipped tonight', { customerId, problem });
    return undefined;
  }
  try {
    const classification = night.score?.(customer) ?? classify(customer, night.asOf, night.pace, night.config.classification, night.config.shop.timeZone);
    return { classification, decision: decide(customer, classification, night.config, night.asOf, night.nightAt, night.policy) };
  } catch (error) {
    deps.log?.warn('customer record unreadable; skipped tonight', { customerId, problem: (error as Error).message });
    return undefined;
  }
}

function spendsBudget(result: StepResult): boolean {
  return result.outcome === 'sent' || result.outcome === 'queued' || result.outcome === 'scheduled';
}

/** A step as the night would take it, with nothing written: holds count, sends render once per variant as samples. */
function previewStep(request: StepRequest, night: NightContext, deps: SegmentDependencies): StepResult {
  if (request.kind === 'hold') return { outcome: 'held_out' };
  const sampleKey = `${request.campaign.id}/${request.arm}/step-${request.step}`;
  if (!night.samples![sampleKey]) {
    const step = request.campaign.steps[request.step]!;
    const variant = request.campaign.experiment.variants.find((candidate) => candidate.id === request.arm) ?? request.campaign.experiment.variants[0]!;
    const offer = resolveOffer(step.offer, variant, request.valueAtStakeMinor);
    // No coupon is issued for a preview: a platform's discount API would create a real one.
    const personalisation = {
      arm: request.arm,
      offer,
      offerCode: offer.kind === 'none' ? '' : `${request.campaign.coupon?.prefix ?? 'CODE'}-PREVIEW`,
      offerExpiresOn: request.campaign.coupon ? addDays(request.asOf, request.campaign.coupon.expiresInDays) : '',
      recommendations: recommendationsFor(request.customer, request.products),
    };
    const key = { customerId: request.customer.customerId, campaignId: request.campaign.id, episode: request.episode, step: request.step };
    try {
      const email = composeEmail(request.customer, request.campaign, key, personalisation, night.config, deps.unsubscribe);
      night.samples![sampleKey] = { to: email.to, subject: email.subject, html: email.html, text: email.text };
    } catch {
      return { outcome: 'skipped', reason: 'render_failed' };
    }
  }
  return { outcome: 'sent', messageId: 'preview' };
}

function outcomeOf(result: StepResult): Pick<DecisionRecord, 'outcome' | 'reason'> {
  switch (result.outcome) {
    case 'sent':
    case 'held_out':
    case 'scheduled':
      return { outcome: result.outcome };
    case 'queued':
      return { outcome: 'sent' };
    case 'paused':
      return { outcome: 'skipped', reason: 'sending_paused' };
    case 'skipped':
      return { outcome: 'skipped', reason: result.reason };
  }
}

/** Reasons the customer's own item already explains (status, journey): logging them would only cost writes. */
const derivableReasons: ReadonlySet<string> = new Set(['active', 'no_orders', 'already_sent', 'waiting_next_step', 'sequence_complete']);

/**
 * The decision log keeps what cannot be derived and what changed: a customer left alone for the same reason as
 * last night costs no write; sends, holdouts and every change of reason are recorded.
 */
async function logIfChanged(customer: Customer, decision: DecisionRecord, night: NightContext, deps: SegmentDependencies): Promise<void> {
  if (decision.reason && derivableReasons.has(decision.reason)) return;
  const last = customer.lastDecision;
  const same =
    last && last.outcome === decision.outcome && last.reason === decision.reason && last.campaignId === decision.campaignId && last.step === decision.step;
  if (same && decision.outcome === 'skipped') return;
  try {
    await deps.customers.logDecision(customer.customerId, { ...decision, runId: night.runId });
    await deps.customers.recordStep(customer.customerId, { lastDecision: decision });
  } catch (error) {
    // The log explains; it must never stop a night that is otherwise fine.
    deps.log?.warn('decision not logged', { customerId: customer.customerId, error: (error as Error).message });
  }
}
