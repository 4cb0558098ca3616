import middy from '@middy/core';
import { z } from 'zod';
import { readEnvironment } from '../../lib/config/environment.js';
import { count, instrumentation, logger } from '../../lib/observability.js';
import { type DispatchDueSummary, dispatchDue } from '../../lib/usecases/send-due.js';
import { asBuiltFor, fanOutDependencies, perContainer } from '../../lib/wiring.js';

const dependencies = perContainer(async () => asBuiltFor('scheduled-sender', await fanOutDependencies(readEnvironment())));

/** A Scheduler rate target's Input: `upTo` is the <aws.scheduler.scheduled-time> (locally: the end of the replayed day). */
export const sendDueInputSchema = z.strictObject({ source: z.string().max(100).optional(), upTo: z.iso.datetime({ offset: true }).optional() });

/**
 * Every few minutes: hands the emails whose quiet hours are over to the send queue, whose sender is the one caller of
 * SES, paced under its MaxSendRate (one rate for the night's sends and the mornings' alike).
 */
export const handler = middy(async (event: unknown): Promise<DispatchDueSummary> => {
  const input = sendDueInputSchema.safeParse(event ?? {});
  if (!input.success)
    throw new Error(`invalid sender input: ${input.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
  const deps = await dependencies();
  if (!deps.queue) throw new Error('invalid environment: SEND_QUEUE_URL is required to hand due sends to the send queue');
  const summary = await dispatchDue(input.data.upTo ? new Date(input.data.upTo) : new Date(), { ...deps, queue: deps.queue });
  logger.info('due sends queued', { summary });
  count('SenderRuns');
  count('SendsDispatched', summary.dispatched);
  count('SendsNotQueued', summary.notQueued);
  return summary;
}).use(instrumentation());
