import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { readEnvironment } from '../../lib/config/environment.js';
import { isCalendarDate } from '../../lib/domain/dates.js';
import { logger } from '../../lib/observability.js';
import { runNight, type NightSummary } from '../../lib/usecases/run-night.js';
import { nightDependencies, perContainer } from '../../lib/wiring.js';

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

const dependencies = perContainer(async () => {
  const environment = readEnvironment();
  return { deps: await nightDependencies(environment), sendConcurrency: environment.SEND_CONCURRENCY };
});

export const handler = middy(async (event: unknown): Promise<NightSummary> => {
  const input = nightInputSchema.safeParse(event ?? {});
  if (!input.success) {
    throw new Error(`invalid night input: ${input.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
  }
  const { deps, sendConcurrency } = await dependencies();
  const { asOf } = input.data;
  const when = asOf === undefined ? {} : isCalendarDate(asOf) ? { asOf } : { at: new Date(asOf) };
  const summary = await runNight(deps, { ...when, sendConcurrency });
  logger.info('night finished', { summary });
  return summary;
}).use(injectLambdaContext(logger));
