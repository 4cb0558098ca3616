import middy from '@middy/core';
import { z } from 'zod';
import { readEnvironment } from '../../lib/config/environment.js';
import { count, instrumentation, logger } from '../../lib/observability.js';
import { sendDue, type SendDueSummary } from '../../lib/usecases/send-due.js';
import { asBuiltFor, nightDependencies, perContainer } from '../../lib/wiring.js';

const dependencies = perContainer(async () => {
  const environment = readEnvironment();
  return { deps: asBuiltFor('scheduled-sender', await nightDependencies(environment)), concurrency: environment.SEND_CONCURRENCY };
});

/** A Scheduler rate target's Input: `upTo` is the <aws.scheduler.scheduled-time> (locally: the end of the replayed day). */
export const sendDueInputSchema = z.strictObject({ source: z.string().max(100).optional(), upTo: z.iso.datetime({ offset: true }).optional() });

/** Sends the emails that waited out their customers' quiet hours, every few minutes. */
export const handler = middy(async (event: unknown): Promise<SendDueSummary> => {
  const input = sendDueInputSchema.safeParse(event ?? {});
  if (!input.success) throw new Error(`invalid sender input: ${input.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
  const { deps, concurrency } = await dependencies();
  const summary = await sendDue(input.data.upTo ? new Date(input.data.upTo) : new Date(), deps, concurrency);
  logger.info('due emails sent', { summary });
  count('SenderRuns');
  count('EmailsSent', summary.sent);
  count('SendsCancelled', summary.cancelled);
  count('SendsFailed', summary.failed);
  count('SendsRescheduled', summary.rescheduled);
  if (summary.stoppedBy) {
    count('SendingStopped');
    logger.error('SES stopped the due sends', { stoppedBy: summary.stoppedBy });
  }
  return summary;
}).use(instrumentation());
