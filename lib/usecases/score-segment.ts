import { hashEmail } from '../domain/email.js';
import type { CustomerPage } from '../ports/customers.js';
import { EmailSendError } from '../ports/email-sender.js';
import type { SegmentTally } from '../ports/night-work.js';
import { couponRequestsFor } from './coupon-wait.js';
import { type Candidate, judgeCustomer, rankCandidates, takeStep } from './decide-customer.js';
import type { NightContext, SegmentDependencies } from './night-context.js';
import { countSkip, emptyTally } from './segment-tally.js';

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

/**
 * One scan segment, page by page: score, decide, check suppression, then run the step (the per-customer rules are
 * decide-customer.ts). The next page is read while this one's steps run, and a page's steps start before the previous
 * page's last ones have finished, so neither the scan nor the sends wait for each other at page boundaries. At most
 * about three pages of customers are in memory (the one read ahead, the one being decided, the one whose steps
 * finish), so a segment's memory does not grow with the customer base. It starts at `from.cursor` and, when
 * `from.shouldStop` says so between pages, finishes the steps it started and returns where it stopped instead of
 * finishing.
 */
export async function scoreSegment(segment: number, night: NightContext, deps: SegmentDependencies, from: SegmentPosition = {}): Promise<SegmentResult> {
  const tally = emptyTally();
  // A step holds one of `sendConcurrency` slots from before its reservation until SES has answered, or until its entry
  // is written held out or due (the due sender sends that whatever happens next); a skipped customer frees it before
  // its decision log is written, as it reserved nothing. So at most that many entries are ever reserved and not yet
  // settled, which is all a crash can leave ambiguous. Marking the email sent and updating the profile happen after
  // the slot is free, so those writes of many steps overlap and travel together (see the DynamoDB adapters) while the
  // next steps already use SES.
  const slots = fifoSlots(night.sendConcurrency);
  const stepDeps = (release: () => void): SegmentDependencies => ({
    ...deps,
    settled: release,
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
    const page = deps.customers.scanPage({
      segment,
      totalSegments: night.totalSegments,
      ...(cursor ? { cursor } : {}),
      ...(from.pageSize ? { limit: from.pageSize } : {}),
    });
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
    countSkip(tally, 'unreadable_record', page.unreadable);

    const candidates: Candidate[] = [];
    const pageWork: Promise<void>[] = [];
    const now = deps.clock.now();
    for (const customer of page.customers) {
      const judged = judgeCustomer(customer, night, now, deps, tally);
      if (judged.candidate) candidates.push(judged.candidate);
      else if (judged.logged) pageWork.push(track(judged.logged));
    }
    rankCandidates(candidates);

    const suppressed = await deps.suppressions.suppressedAmong(candidates.map((candidate) => hashEmail(candidate.customer.email!)));
    // The page's codes go to the shop's platform together: a bulk call per 250 codes rather than a few per call.
    if (!night.samples)
      deps.coupons.prepare?.(
        couponRequestsFor(
          candidates.filter((candidate) => candidate.decision.kind === 'send' && !suppressed.has(hashEmail(candidate.customer.email!))),
          night.config,
          night.asOf,
        ),
      );
    for (const candidate of candidates) {
      const slot = slots.acquire();
      pageWork.push(
        track(
          slot.then(async (release) => {
            try {
              await takeStep(candidate, suppressed.has(hashEmail(candidate.customer.email!)), night, stepDeps(release), tally, release);
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
