import { cleanComment, isFeedbackAnswerCode } from '../domain/feedback.js';
import { verifyFeedbackToken } from '../domain/unsubscribe-token.js';
import type { Clock } from '../ports/clock.js';
import type { CustomerRepository } from '../ports/customers.js';
import type { SendLedger } from '../ports/send-ledger.js';

export interface FeedbackDependencies {
  readonly ledger: SendLedger;
  readonly customers: CustomerRepository;
  readonly clock: Clock;
  readonly secret: string;
}

export type FeedbackResult = 'recorded' | 'invalid_token' | 'invalid_answer' | 'unknown_send';

/** Records a survey answer on its send and as the customer's reason code; answering again replaces it. */
export async function recordFeedback(token: string, answer: unknown, comment: unknown, deps: FeedbackDependencies): Promise<FeedbackResult> {
  const claim = verifyFeedbackToken(token, deps.secret);
  if (!claim) return 'invalid_token';
  if (!isFeedbackAnswerCode(answer)) return 'invalid_answer';
  const text = typeof comment === 'string' ? cleanComment(comment) : '';
  const at = deps.clock.now().toISOString();
  const feedback = { answer, ...(text ? { comment: text } : {}), at };
  if (!(await deps.ledger.recordFeedback(claim, feedback))) return 'unknown_send';
  await deps.customers.recordFeedback(claim.customerId, { ...feedback, campaignId: claim.campaignId });
  return 'recorded';
}
