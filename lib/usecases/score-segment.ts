import type { CampaignConfig } from '../config/campaign-config.js';
import { classify, type Classification, type LifecycleStatus, type ShopPace } from '../domain/classification.js';
import type { Customer, DecisionRecord } from '../domain/customer.js';
import { decide, type Decision, type SkipReason } from '../domain/decisions.js';
import { isPaused, type PausedScopes } from '../domain/deliverability.js';
import type { CustomerPolicy } from '../domain/uplift/night-policy.js';
import { emptyTargetingTally, type TargetingTally } from './plan-targeting.js';
import { hashEmail } from '../domain/email.js';
import { unreadableProblem } from '../domain/unreadable-record.js';
import type { CustomerPage, CustomerRepository } from '../ports/customers.js';
import { EmailSendError } from '../ports/email-sender.js';
import type { SuppressionList } from '../ports/suppressions.js';
import { addDays } from '../domain/dates.js';
import { resolveOffer } from '../domain/offers.js';
import { composeEmail, runStep, type SendDependencies, type StepRequest, type StepResult } from './send-step.js';

export interface SegmentDependencies extends SendDependencies {
  readonly customers: CustomerRepository;
  readonly suppressions: SuppressionList;
}

/** Scores a customer for the night: the cadence rule, or the fitted model when the night has one. */
export type Scorer = (customer: Customer) => Classification;

export interface NightContext {
  readonly runId: string;
  readonly asOf: string;
  /** The night's instant: quiet hours, caps and cooldowns are measured from it. */
  readonly nightAt: Date;
  readonly config: CampaignConfig;
  readonly pace: ShopPace;
  readonly score?: Scorer;
  readonly totalSegments: number;
  readonly sendConcurrency: number;
  /** Shared by the segments: sending stops for everyone when SES pauses the account. */
  readonly stop: { reason?: string };
  /** Shared by the segments: sends left under the shop's daily cap (in memory locally, in the run's record on AWS). */
  readonly budget: SendBudget;
  /** What the deliverability guard holds paused tonight: those campaigns neither send nor hold out. */
  readonly paused?: PausedScopes;
  /** Uplift targeting and offer sizing, from the night's plan (docs/uplift.md); absent, every campaign emails everyone eligible. */
  readonly policy?: CustomerPolicy;
  /** Set for a preview: nothing is reserved, sent or logged; one sample email per campaign and variant is kept. */
  readonly samples?: Record<string, { to: string; subject: string; html: string; text: string }>;
}

/**
 * The shop's daily cap as the segments share it. `take` answers whether one more email may go; `giveBack` returns
 * a send that did not happen (already sent, rejected), so the cap counts emails, not attempts.
 */
export interface SendBudget {
  take(): Promise<boolean>;
  giveBack(): Promise<void>;
}

/** The budget of one process: every segment of a local night runs in it. */
export function memoryBudget(cap: number): SendBudget {
  let remaining = cap;
  return {
    take: async () => {
      if (remaining <= 0) return false;
      remaining -= 1;
      return true;
    },
    giveBack: async () => {
      remaining += 1;
    },
  };
}

/** Where a segment's scan starts (absent: its beginning) and when it must hand over to a fresh invocation. */
export interface SegmentPosition {
  readonly cursor?: string;
  /** Checked between pages: true when the worker nears its time limit and should return its position. */
  readonly shouldStop?: () => boolean;
  /** Customers per page: smaller pages hand over sooner (default: DynamoDB's 1 MB page). */
  readonly pageSize?: number;
}

export interface SegmentResult {
  readonly tally: SegmentTally;
  /** Present when the segment stopped early: the next invocation continues from here. */
  readonly nextCursor?: string;
}

export interface CampaignTally {
  sent: number;
  /** Handed to the send queue (AWS): the queue's sender sends them within minutes. */
  queued: number;
  scheduled: number;
  heldOut: number;
  byVariant: Record<string, number>;
  /** Under uplift targeting: customers skipped or explored, and what the skips saved. */
  targeting?: TargetingTally;
}

export interface SegmentTally {
  customersScanned: number;
  statuses: Record<LifecycleStatus, number>;
  emailsSent: number;
  queued: number;
  scheduled: number;
  heldOut: number;
  skipped: Partial<Record<SkipReason, number>>;
  campaigns: Record<string, CampaignTally>;
}

export function emptyTally(): SegmentTally {
  return { customersScanned: 0, statuses: { active: 0, at_risk: 0, lost: 0, no_orders: 0 }, emailsSent: 0, queued: 0, scheduled: 0, heldOut: 0, skipped: {}, campaigns: {} };
}

/**
 * One scan segment, page by page: score, decide, check suppression, then run the step. The next page is read while
 * this one's steps run, and a page's steps start before the previous page's last ones have finished, so neither the
 * scan nor the sends wait for each other at page boundaries. At most about three pages of customers are in memory
 * (the one read ahead, the one being decided, the one whose steps finish), so a segment's memory does not grow with
 * the customer base. It starts at `from.cursor` and, when `from.shouldStop` says so between pages, finishes the steps
 * it started and returns where it stopped instead of finishing.
 */
export async function scoreSegment(segment: number, night: NightContext, deps: SegmentDependencies, from: SegmentPosition = {}): Promise<SegmentResult> {
  const tally = emptyTally();
  // A step holds one of `sendConcurrency` slots from before its reservation until SES has answered (or, without a
  // send, to its end): at most that many entries are ever reserved and not yet settled, which is all a crash can leave
  // ambiguous. Marking the email sent and updating the profile happen after the slot is free, so those writes of many
  // steps overlap and travel together (see the DynamoDB adapters) while the next steps already use SES.
  const slots = fifoSlots(night.sendConcurrency);
  const stepDeps = (release: () => void): SegmentDependencies => ({
    ...deps,
    email: {
      async send(email) {
        try {
          // A step that reaches SES after the account was paused tonight is answered as SES would: not taken.
          if (night.stop.reason) throw new EmailSendError('paused', night.stop.reason);
          return await deps.email.send(email);
        } catch (error) {
          // One refusal is enough: the steps waiting for a slot must not ask SES again.
          if (error instanceof EmailSendError && error.kind === 'paused') night.stop.reason ??= error.code;
          throw error;
        } finally {
          release();
        }
      },
    },
  });
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const track = (work: Promise<void>): Promise<void> => {
    const tracked: Promise<void> = work.then(
      () => void inFlight.delete(tracked),
      (error: unknown) => {
        failure ??= { error };
        inFlight.delete(tracked);
      },
    );
    inFlight.add(tracked);
    return tracked;
  };
  /** Every step started has finished (a failed one fails the segment, after the others are done). */
  const settle = async () => {
    while (inFlight.size > 0) await Promise.all(inFlight);
    if (failure) throw failure.error;
  };
  const read = (cursor: string | undefined): Promise<CustomerPage> => {
    const page = deps.customers.scanPage({ segment, totalSegments: night.totalSegments, ...(cursor ? { cursor } : {}), ...(from.pageSize ? { limit: from.pageSize } : {}) });
    // A page read ahead and then not used (the worker hands over) must not become an unhandled rejection.
    page.catch(() => {});
    return page;
  };

  let previousPage: Promise<unknown> = Promise.resolve();
  let ahead: Promise<CustomerPage> | undefined = read(from.cursor);
  while (ahead) {
    const page: CustomerPage = await ahead;
    const cursor = page.nextCursor;
    ahead = cursor ? read(cursor) : undefined;
    count(tally, 'unreadable_record', page.unreadable);

    const candidates: { customer: Customer; decision: Extract<Decision, { kind: 'send' | 'hold' }>; classification: Classification }[] = [];
    const pageWork: Promise<void>[] = [];
    const now = deps.clock.now();
    for (const customer of page.customers) {
      const judged = judge(customer, night, now, deps);
      if (!judged) {
        count(tally, 'unreadable_record');
        continue;
      }
      const { classification, decision } = judged;
      tally.customersScanned += 1;
      tally.statuses[classification.status] += 1;
      if (decision.kind === 'skip') {
        count(tally, decision.reason);
        if (decision.targeting && decision.campaignId) {
          const targeting = targetingTally(tally, decision.campaignId);
          targeting.skipped[decision.reason as keyof TargetingTally['skipped']] += 1;
          targeting.marginSavedMinor -= decision.targeting.marginMinor;
          targeting.discountSavedMinor += decision.targeting.discountSavedMinor;
        }
        if (!night.samples) pageWork.push(track(logIfChanged(customer, { asOf: night.asOf, outcome: 'skipped', reason: decision.reason, ...(decision.campaignId ? { campaignId: decision.campaignId } : {}) }, night, deps)));
      } else {
        if (decision.explored) targetingTally(tally, decision.campaign.id).explored += 1;
        candidates.push({ customer, decision, classification });
      }
    }
    // Most valuable first, so a night that must stop early (or meets its cap) has spent its sends where they matter most.
    candidates.sort((a, b) => b.classification.priority - a.classification.priority);

    const suppressed = await deps.suppressions.suppressedAmong(candidates.map((candidate) => hashEmail(candidate.customer.email!)));
    for (const { customer, decision, classification } of candidates) {
      const slot = slots.acquire();
      pageWork.push(
        track(
          slot.then(async (release) => {
            try {
              const skipped = (reason: SkipReason) => {
                count(tally, reason);
                return logIfChanged(customer, { asOf: night.asOf, outcome: 'skipped', reason, campaignId: decision.campaign.id, step: decision.step }, night, deps);
              };
              if (suppressed.has(hashEmail(customer.email!))) return skipped('suppressed');
              // Holdouts pause too: a holdout that keeps growing while nobody is emailed would skew the lift.
              if (isPaused(night.paused, decision.campaign.id)) return skipped('campaign_paused');
              if (night.stop.reason) return skipped('sending_paused');
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
              };
              const result = night.samples ? previewStep(request, night, deps) : await runStep(request, night.config, stepDeps(release));
              if (decision.kind === 'send' && !spendsBudget(result)) await night.budget.giveBack();
              if (result.outcome === 'paused') night.stop.reason ??= result.errorCode;
              record(tally, decision.campaign.id, decision.arm, result);
              const outcome = outcomeOf(result);
              const entry = { asOf: night.asOf, ...outcome, campaignId: decision.campaign.id, step: decision.step, arm: decision.arm };
              // A step taken is its own record: the ledger entry (sent, scheduled, held out) and lastDecision on the profile.
              if (outcome.outcome === 'skipped' && !night.samples) await logIfChanged(customer, entry, night, deps);
            } finally {
              release();
            }
          }),
        ),
      );
    }
    // This page's steps are queued behind the previous page's: wait for that one only, so the sends never run dry.
    await previousPage;
    previousPage = Promise.all(pageWork);
    if (failure) break;
    // At least one page per invocation, so a worker that starts late still makes progress.
    if (cursor && from.shouldStop?.()) {
      await settle();
      return { tally, nextCursor: cursor };
    }
  }
  await settle();
  return { tally };
}

/**
 * The customer's classification and tonight's decision, or undefined for a record the night cannot read (see
 * unreadable-record.ts): that customer is skipped and logged by id, and the night goes on. Whatever else one record
 * makes scoring throw is treated the same way, so no single customer can stop everyone's night.
 */
function judge(customer: Customer, night: NightContext, now: Date, deps: SegmentDependencies): { classification: Classification; decision: Decision } | undefined {
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

/** A counting semaphore that hands out its slots in the order they were asked for (priority order, for the cap). */
function fifoSlots(size: number): { acquire(): Promise<() => void> } {
  let free = size;
  const waiting: (() => void)[] = [];
  const releaser = () => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = waiting.shift();
      if (next) next();
      else free += 1;
    };
  };
  return {
    acquire() {
      if (free > 0) {
        free -= 1;
        return Promise.resolve(releaser());
      }
      return new Promise((resolve) => waiting.push(() => resolve(releaser())));
    },
  };
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
    const personalisation = { arm: request.arm, offer, offerCode: offer.kind === 'none' ? '' : `${request.campaign.coupon?.prefix ?? 'CODE'}-PREVIEW`, offerExpiresOn: request.campaign.coupon ? addDays(request.asOf, request.campaign.coupon.expiresInDays) : '' };
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

function record(tally: SegmentTally, campaignId: string, arm: string, result: StepResult): void {
  const campaign = (tally.campaigns[campaignId] ??= { sent: 0, queued: 0, scheduled: 0, heldOut: 0, byVariant: {} });
  switch (result.outcome) {
    case 'sent':
      tally.emailsSent += 1;
      campaign.sent += 1;
      campaign.byVariant[arm] = (campaign.byVariant[arm] ?? 0) + 1;
      return;
    case 'queued':
      tally.queued += 1;
      campaign.queued += 1;
      campaign.byVariant[arm] = (campaign.byVariant[arm] ?? 0) + 1;
      return;
    case 'scheduled':
      tally.scheduled += 1;
      campaign.scheduled += 1;
      campaign.byVariant[arm] = (campaign.byVariant[arm] ?? 0) + 1;
      return;
    case 'held_out':
      tally.heldOut += 1;
      campaign.heldOut += 1;
      return;
    case 'paused':
      return count(tally, 'sending_paused');
    case 'skipped':
      return count(tally, result.reason);
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
  const same = last && last.outcome === decision.outcome && last.reason === decision.reason && last.campaignId === decision.campaignId && last.step === decision.step;
  if (same && decision.outcome === 'skipped') return;
  try {
    await deps.customers.logDecision(customer.customerId, { ...decision, runId: night.runId });
    await deps.customers.recordStep(customer.customerId, { lastDecision: decision });
  } catch (error) {
    // The log explains; it must never stop a night that is otherwise fine.
    deps.log?.warn('decision not logged', { customerId: customer.customerId, error: (error as Error).message });
  }
}

function targetingTally(tally: SegmentTally, campaignId: string): TargetingTally {
  const campaign = (tally.campaigns[campaignId] ??= { sent: 0, queued: 0, scheduled: 0, heldOut: 0, byVariant: {} });
  return (campaign.targeting ??= emptyTargetingTally());
}

function count(tally: SegmentTally, reason: SkipReason, by = 1): void {
  if (by > 0) tally.skipped[reason] = (tally.skipped[reason] ?? 0) + by;
}
