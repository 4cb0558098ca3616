import pLimit from 'p-limit';
import { type Customer, emailableConsentStates } from '../domain/customer.js';
import { hashEmail, isDeliverableAddress } from '../domain/email.js';
import { RenderBreaker } from '../domain/render-breaker.js';
import type { SendKey, SendRecord } from '../domain/sends.js';
import type { CampaignConfigStore } from '../ports/campaign-configs.js';
import type { SendQueue } from '../ports/send-queue.js';
import type { SuppressionList } from '../ports/suppressions.js';
import type { ActiveConfig } from './active-config.js';
import { confirmWaitingCoupon } from './coupon-wait.js';
import { composeEmail, deliver, queuedSendGraceMs } from './send-step.js';
import type { SendDependencies } from './step-types.js';

export interface SendDueDependencies extends SendDependencies {
  readonly suppressions: SuppressionList;
  readonly config: ActiveConfig;
  readonly configs: Pick<CampaignConfigStore, 'pauses'>;
}

export interface SendDueSummary {
  readonly sent: number;
  /** Scheduled sends that must not go any more: the customer opted out, bounced or was forgotten meanwhile. */
  readonly cancelled: number;
  readonly failed: number;
  /** Throttled out: back on the due list for the next run. */
  readonly rescheduled: number;
  readonly sentByCampaign: Record<string, number>;
  readonly stoppedBy?: string;
}

const batchSize = 200;
/** A send SES paused or throttled is tried again after this long. */
const retryAfterMs = 15 * 60_000;

/**
 * Sends the emails that waited out their customers' quiet hours. Each entry is claimed first (scheduled ->
 * reserved, conditionally), so two senders never send the same one; consent and suppression are checked again,
 * because hours may have passed since the night decided.
 */
export async function sendDue(upTo: Date, deps: SendDueDependencies, concurrency = 8): Promise<SendDueSummary> {
  const config = await deps.config();
  const paused = await pausedNow(deps);
  // One run of the sender; a later run (minutes later) tries again, so a fixed template is not held back for long.
  const renders = new RenderBreaker();
  const limit = pLimit(concurrency);
  const totals = { sent: 0, cancelled: 0, failed: 0, rescheduled: 0 };
  const sentByCampaign: Record<string, number> = {};
  let stoppedBy: string | undefined;
  for (;;) {
    const found = await deps.ledger.due(upTo, batchSize);
    const entries = found.filter((entry) => !paused(entry.campaignId));
    if (entries.length === 0 || stoppedBy) break;
    const settledBefore = totals.sent + totals.cancelled + totals.failed;
    const recipientOf = recipients(
      entries.map((entry) => entry.customerId),
      deps,
    );
    await Promise.all(
      entries.map((entry) =>
        limit(async () => {
          if (stoppedBy || !(await deps.ledger.claimScheduled(entry))) return;
          const outcome = await sendOne(entry, await recipientOf(entry.customerId), config, deps, upTo, renders);
          if (outcome === 'sent') {
            totals.sent += 1;
            sentByCampaign[entry.campaignId] = (sentByCampaign[entry.campaignId] ?? 0) + 1;
          } else if (outcome === 'cancelled') totals.cancelled += 1;
          else if (outcome.startsWith('paused:')) stoppedBy ??= outcome.slice('paused:'.length);
          else if (outcome === 'rescheduled') totals.rescheduled += 1;
          else totals.failed += 1;
        }),
      ),
    );
    // Everything in this batch went back on the due list (SES throttling): leave it for the next run.
    if (totals.sent + totals.cancelled + totals.failed === settledBefore) break;
    // A short batch was all that was due: asking again would only read every hour's buckets to find nothing.
    if (found.length < batchSize) break;
  }
  return { ...totals, sentByCampaign, ...(stoppedBy ? { stoppedBy } : {}) };
}

export interface DispatchDueSummary {
  /** Due sends handed to the send queue. */
  readonly dispatched: number;
  /** Due sends whose message could not be queued: due again after the grace period. */
  readonly notQueued: number;
}

/**
 * The scheduled sender on AWS: the sends whose quiet hours are over go to the send queue, so that its sender, paced
 * under SES's MaxSendRate, is the only caller of SES (at 08:00 a whole night's worth of mornings falls due at once).
 * Each entry's place on the due list moves past the grace period first: the next sweeps leave it to its message, and
 * if the message is lost it falls due again. The queue's sender claims it, checks consent again and sends it once.
 */
export async function dispatchDue(upTo: Date, deps: SendDueDependencies & { readonly queue: SendQueue }): Promise<DispatchDueSummary> {
  const paused = await pausedNow(deps);
  // Past both the sweep's end and now, so this sweep does not meet its own entries again.
  const deferTo = new Date(Math.max(upTo.getTime(), deps.clock.now().getTime()) + queuedSendGraceMs).toISOString();
  const totals = { dispatched: 0, notQueued: 0 };
  for (;;) {
    const found = await deps.ledger.due(upTo, batchSize);
    const entries = found.filter((entry) => !paused(entry.campaignId));
    if (entries.length === 0) break;
    await Promise.all(
      entries.map(async (entry) => {
        const dueAt = entry.notBefore;
        if (!(await deps.ledger.deferDue(entry, deferTo))) return;
        try {
          await deps.queue.enqueue({
            customerId: entry.customerId,
            campaignId: entry.campaignId,
            episode: entry.episode,
            step: entry.step,
            ...(dueAt ? { dueAt } : {}),
          });
          totals.dispatched += 1;
        } catch (error) {
          totals.notQueued += 1;
          deps.log?.warn('due send not queued; it falls due again after the grace period', {
            campaignId: entry.campaignId,
            customerId: entry.customerId,
            error: (error as Error).message,
          });
        }
      }),
    );
    // A short batch was all that was due: asking again would only read every hour's buckets (490 queries) to find
    // nothing. What falls due meanwhile is the next sweep's, five minutes later.
    if (found.length < batchSize) break;
  }
  return totals;
}

/** The deliverability guard may have paused a campaign (or the shop) since the night decided: those sends wait. */
async function pausedNow(deps: SendDueDependencies): Promise<(campaignId: string) => boolean> {
  const pauses = (await deps.configs.pauses()).filter((record) => record.state === 'paused').map((record) => record.scope);
  return (campaignId) => pauses.some((scope) => scope.kind === 'shop' || scope.campaignId === campaignId);
}

/** `campaign_paused`: the deliverability guard holds it (it waits on the due list); `paused`: SES stopped sending. */
export type QueuedSendOutcome = 'sent' | 'cancelled' | 'failed' | 'rescheduled' | 'paused' | 'campaign_paused' | 'taken';

/** A send queue message: the send's key, and when it fell due if it waited out quiet hours. */
export type QueuedSend = SendKey & { readonly dueAt?: string };

/**
 * The send queue's sender: reads the config and the pauses once, then sends each batch of queued keys now, one
 * outcome per key. A key whose entry is no longer scheduled was taken already (by a redelivery, or by the due sender
 * after the grace period): nothing to do. A paused campaign's send stays on the due list and goes when it is resumed;
 * SES throttling or a paused account puts it back there too. A storage error rejects that key's outcome, so the
 * queue redelivers it.
 * A batch's entries and profiles are read together (one BatchGetItem, see ReadBatcher) and its suppressions after
 * them, and its claims and confirmations travel together (see TransactionBatcher): one request per read and per
 * write for each email made this sender a fifth as fast as its floor on DynamoDB Local.
 */
export async function queuedSender(deps: SendDueDependencies): Promise<(batch: readonly QueuedSend[]) => Promise<QueuedSendOutcome>[]> {
  const config = await deps.config();
  const paused = await pausedNow(deps);
  const renders = new RenderBreaker();
  return (batch) => {
    const entryOf = readTogether(
      batch,
      (keys) => deps.ledger.getMany(keys),
      (key) => deps.ledger.get(key),
    );
    const recipientOf = recipients(
      batch.map((key) => key.customerId),
      deps,
    );
    const seen = new Set<string>();
    return batch.map(async (key, index) => {
      // The same message twice in one batch (SQS delivers at least once): the second finds it taken.
      const id = `${key.customerId}\u0000${key.campaignId}\u0000${key.episode}\u0000${key.step}`;
      if (seen.has(id)) return 'taken';
      seen.add(id);
      const entry = await entryOf(index);
      if (entry?.status !== 'scheduled') return 'taken';
      if (paused(entry.campaignId)) return 'campaign_paused';
      if (!(await deps.ledger.claimScheduled(entry))) return 'taken';
      const recipient = await recipientOf(entry.customerId);
      const now = deps.clock.now();
      // Never recorded before it fell due: a replayed day's clock may run behind the mornings its sends waited for.
      const sentAt = key.dueAt && Date.parse(key.dueAt) > now.getTime() ? new Date(key.dueAt) : now;
      const outcome = await sendOne(entry, recipient, config, deps, now, renders, sentAt);
      return outcome.startsWith('paused:') ? 'paused' : (outcome as QueuedSendOutcome);
    });
  };
}

/**
 * Reads a batch's items in one go, answering by index. Should the read together fail, each item is read on its own,
 * so that one bad key fails its own message only (and SQS redelivers that one alone).
 */
function readTogether<K, T>(
  keys: readonly K[],
  many: (keys: readonly K[]) => Promise<readonly T[]>,
  one: (key: K) => Promise<T>,
): (index: number) => Promise<T> {
  const together = many(keys);
  // Answered by index below; a failure here is handled there, item by item.
  together.catch(() => {});
  return async (index) => {
    try {
      return (await together)[index]!;
    } catch {
      return one(keys[index]!);
    }
  };
}

/** Who a send goes to, as they stand now: their profile, and whether their address is suppressed. */
interface Recipient {
  readonly customer: Customer | undefined;
  readonly suppressed: boolean;
}

/**
 * The recipients of a batch of sends, read together: their profiles, then their suppressions. Read per send when
 * the read together fails.
 */
function recipients(customerIds: readonly string[], deps: SendDueDependencies): (customerId: string) => Promise<Recipient> {
  const unique = [...new Set(customerIds)];
  const profileOf = readTogether(
    unique,
    async (ids) => {
      const found = await deps.customers.getMany(ids);
      return ids.map((id) => found.get(id));
    },
    (id) => deps.customers.get(id),
  );
  const hashes = Promise.all(unique.map((_, index) => profileOf(index))).then((profiles) =>
    profiles.flatMap((customer) => (customer && isDeliverableAddress(customer.email) ? [hashEmail(customer.email)] : [])),
  );
  const suppressed = hashes.then((all) => deps.suppressions.suppressedAmong(all));
  suppressed.catch(() => {});
  return async (customerId) => {
    const customer = await profileOf(unique.indexOf(customerId));
    if (!customer || !isDeliverableAddress(customer.email)) return { customer, suppressed: false };
    const hash = hashEmail(customer.email);
    let found: ReadonlySet<string>;
    try {
      found = await suppressed;
    } catch {
      found = await deps.suppressions.suppressedAmong([hash]);
    }
    return { customer, suppressed: found.has(hash) };
  };
}

/** A claimed entry, to its recipient as read for this batch (after the night decided: consent and suppression again). */
async function sendOne(
  entry: SendRecord,
  { customer, suppressed }: Recipient,
  config: Awaited<ReturnType<ActiveConfig>>,
  deps: SendDueDependencies,
  now: Date,
  renders: RenderBreaker,
  sentAt = entry.notBefore ? new Date(entry.notBefore) : now,
): Promise<string> {
  const campaign = config.campaigns.find((candidate) => candidate.id === entry.campaignId);
  const stillAllowed = customer !== undefined && isDeliverableAddress(customer.email) && emailableConsentStates.has(customer.consent.state) && !suppressed;
  if (!stillAllowed || !campaign || !campaign.steps[entry.step]) {
    await deps.ledger.cancelScheduled(entry, stillAllowed ? 'campaign_changed' : 'opted_out');
    return 'cancelled';
  }
  // An email that waits for its code goes only once the shop's platform confirms the code.
  let offerCode = entry.offerCode ?? '';
  if ((entry as { couponPending?: string }).couponPending) {
    const confirmed = await confirmWaitingCoupon(entry, campaign, { ...customer, email: customer.email! }, config, deps, now);
    if (confirmed === 'cancelled' || confirmed === 'rescheduled') return confirmed;
    offerCode = confirmed.code;
  }
  const personalisation = {
    arm: entry.arm ?? 'control',
    offer: (entry.offer as { kind: 'none' | 'percent' | 'fixed_amount' | 'free_shipping'; value: number } | undefined) ?? { kind: 'none' as const, value: 0 },
    offerCode,
    offerExpiresOn: entry.offerExpiresOn ?? '',
    ...(entry.recommendations ? { recommendations: entry.recommendations } : {}),
  };
  // A campaign whose emails keep failing to render is not tried again in this run: its sends wait for the next one.
  if (renders.isOpen(entry.campaignId)) {
    await deps.ledger.reschedule(entry, new Date(now.getTime() + retryAfterMs).toISOString());
    return 'rescheduled';
  }
  let email;
  try {
    email = composeEmail({ ...customer, email: customer.email! }, campaign, entry, personalisation, config, deps.unsubscribe);
    renders.rendered(entry.campaignId);
  } catch (error) {
    if (renders.failed(entry.campaignId))
      deps.log?.error('campaign stopped for this run of the sender: its emails keep failing to render', {
        campaignId: entry.campaignId,
        error: (error as Error).message,
      });
    await deps.ledger.cancelScheduled(entry, 'render_failed');
    return 'cancelled';
  }
  // A due send is recorded as sent when it fell due: on AWS the sender runs every few minutes, and a replayed day
  // keeps its own calendar. A queued send goes now.
  const result = await deliver(entry, email, deps, sentAt, { releaseWhenNotTaken: false });
  // Paused or throttled out: SES did not take it and `deliver` left the entry reserved (a rejection marks it failed).
  const notTaken = result.outcome === 'paused' || (result.outcome === 'skipped' && (await deps.ledger.get(entry))?.status === 'reserved');
  if (notTaken) {
    // SES did not take it: back on the due list, so the step still goes (once) when sending resumes.
    await deps.ledger.reschedule(entry, new Date(now.getTime() + retryAfterMs).toISOString());
    return result.outcome === 'paused' ? `paused:${result.errorCode}` : 'rescheduled';
  }
  if (result.outcome === 'skipped' && result.reason === 'send_failed') await stopAtRefusedStep(entry, customer, deps);
  // The profile's lastSend and recent emails were set when the night scheduled this email.
  return result.outcome === 'sent' ? 'sent' : 'failed';
}

/**
 * SES refused the step for good. The night moved the customer's journey past it when it queued the email; put it
 * back, so later nights meet the refused step (`failed_before`) instead of sending the next one, which would
 * follow up on an email the customer never got.
 */
async function stopAtRefusedStep(entry: SendRecord, customer: Customer, deps: SendDueDependencies): Promise<void> {
  const journey = customer.journey;
  if (!journey || journey.campaignId !== entry.campaignId || journey.episode !== entry.episode || journey.nextStep !== entry.step + 1) return;
  try {
    await deps.customers.recordStep(customer.customerId, { journey: { ...journey, nextStep: entry.step } });
  } catch (error) {
    // The ledger already says the step failed; the journey is a courtesy to later nights, never worth a retry loop.
    deps.log?.warn('refused step not recorded on the journey', { customerId: customer.customerId, error: (error as Error).message });
  }
}
