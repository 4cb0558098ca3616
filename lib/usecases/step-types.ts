// The step's request, result and dependencies: a module of their own so that send-step.ts and the modules it calls
// (coupon-wait.ts) share them without importing each other.
import type { Campaign } from '../config/campaign-config.js';
import type { Customer, Journey } from '../domain/customer.js';
import type { SkipReason } from '../domain/decisions.js';
import type { ProductStats } from '../domain/recommendations.js';
import type { RenderBreaker } from '../domain/render-breaker.js';
import type { DecisionFeatures } from '../domain/uplift/targeting.js';
import type { Clock } from '../ports/clock.js';
import type { CouponProvider } from '../ports/coupons.js';
import type { CustomerRepository } from '../ports/customers.js';
import type { EmailSender } from '../ports/email-sender.js';
import type { SendLedger } from '../ports/send-ledger.js';
import type { SendQueue } from '../ports/send-queue.js';

export interface SendDependencies {
  readonly ledger: SendLedger;
  readonly email: EmailSender;
  readonly customers: CustomerRepository;
  readonly coupons: CouponProvider;
  readonly clock: Clock;
  readonly unsubscribe: { readonly baseUrl: string; readonly secret: string };
  readonly log?: NightLog;
  /**
   * The night does not call SES itself (on AWS and locally alike): a send is reserved as due now and its key goes on
   * this queue, whose sender keeps under SES's rate. Absent, a step sends inline (tests of the step call it so);
   * no night does any more.
   */
  readonly queue?: SendQueue;
  /** Stops a campaign whose emails keep failing to render; absent, the night's own in this process (see nightBreaker). */
  readonly renderBreaker?: RenderBreaker;
  /**
   * Told once the step's entry is written as held out or due: nothing of it is then left for a crash to make
   * ambiguous (the due sender sends a due entry whatever happens next), so the night frees the step's slot.
   */
  readonly settled?: () => void;
}

/** The slice of a logger the night uses; Powertools' Logger fits it. */
export interface NightLog {
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export interface StepRequest {
  readonly kind: 'send' | 'hold';
  readonly customer: Customer & { readonly email: string };
  readonly campaign: Campaign;
  readonly episode: string;
  readonly step: number;
  /** The variant id, or 'holdout'. */
  readonly arm: string;
  readonly journey: Journey;
  readonly valueAtStakeMinor: number;
  readonly runId: string;
  readonly asOf: string;
  /** The night's instant: quiet hours and the frequency cap are measured from it. */
  readonly nightAt: Date;
  /** Step 0: what the night knew of the customer, kept in the ledger entry for the uplift learner. */
  readonly features?: DecisionFeatures;
  /** What the shop sells and what sells together, learnt by the night: the email's recommendations come from it. */
  readonly products?: ProductStats;
}

export type StepResult =
  | { readonly outcome: 'sent'; readonly messageId: string }
  | { readonly outcome: 'queued' }
  | { readonly outcome: 'held_out' }
  | { readonly outcome: 'scheduled'; readonly notBefore: string }
  | { readonly outcome: 'skipped'; readonly reason: SkipReason }
  | { readonly outcome: 'paused'; readonly errorCode: string };
