import { z } from 'zod';
import { isCalendarDate } from '../domain/dates.js';

/**
 * The EventBridge Scheduler target's Input, delivered as is. `asOf` is either the night's date (the local runner,
 * a manual re-run) or the schedule's <aws.scheduler.scheduled-time> instant, whose date in the shop's time zone
 * is the night.
 */
export const nightInputSchema = z.strictObject({
  source: z.string().max(100).optional(),
  asOf: z
    .string()
    .refine((text) => isCalendarDate(text) || z.iso.datetime({ offset: true }).safeParse(text).success, 'expected YYYY-MM-DD or an ISO-8601 instant')
    .optional(),
});

/** The night's options from a validated input: a date is replayed at the night's hour, an instant is the night. */
export function nightWhen(asOf: string | undefined): { asOf?: string; at?: Date } {
  return asOf === undefined ? {} : isCalendarDate(asOf) ? { asOf } : { at: new Date(asOf) };
}

const runId = z.string().regex(/^[A-Za-z0-9-]{8,64}$/, "expected the night's run id");

/** One segment worker invocation, as the state machine's Map passes it (and the worker's own output, looped back). */
export const segmentInputSchema = z.strictObject({
  runId,
  segment: z.number().int().min(0).max(9_999),
  /** Where the previous invocation of this segment stopped: absent for the first. */
  cursor: z.string().min(1).max(4_096).optional(),
});

/** The night's last step: `error` is the state machine's Catch output when a segment failed on every retry. */
export const finishInputSchema = z.strictObject({
  runId,
  error: z.looseObject({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
});

/** A send queue message body: the ledger key of a reserved send (no personal data travels through the queue). */
export const queuedSendSchema = z.strictObject({
  customerId: z.string().min(1).max(200),
  campaignId: z.string().min(1).max(48),
  episode: z.string().min(1).max(64),
  step: z.number().int().min(0).max(20),
  /** Set by the scheduled sender: the instant the send fell due (after the customer's quiet hours). */
  dueAt: z.iso.datetime({ offset: true }).optional(),
});

/** "path: problem; path: problem": every problem of an invalid input, each by its field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/** The report builder's input: the night it follows (the state machine's FinishNight output, or the local runner's). */
export const reportInputSchema = z.looseObject({ runId: runId.optional() });
