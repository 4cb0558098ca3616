import middy from '@middy/core';
import { readEnvironment } from '../../lib/config/environment.js';
import { describeIssues, finishInputSchema } from '../../lib/lambda/night-inputs.js';
import { count, instrumentation, logger } from '../../lib/observability.js';
import { countNight } from '../../lib/lambda/night-metrics.js';
import { describeStepFailure } from '../../lib/lambda/step-failure.js';
import { failNight, finishNight } from '../../lib/usecases/run-night.js';
import { asBuiltFor, fanOutDependencies, perContainer } from '../../lib/wiring.js';

const dependencies = perContainer(async () => asBuiltFor('night-finish', await fanOutDependencies(readEnvironment())));

/**
 * The night's last step: sums the segments' tallies into the run record, or, given the Catch's `error`, records
 * the night as failed (the state machine then fails too, and its alarm fires).
 */
export const handler = middy(async (event: unknown): Promise<{ runId: string; status: 'finished' | 'failed'; emailsQueued?: number }> => {
  const input = finishInputSchema.safeParse(event);
  if (!input.success) throw new Error(`invalid finish input: ${describeIssues(input.error)}`);
  const { runId, error } = input.data;
  const deps = await dependencies();
  if (error) {
    const reason = describeStepFailure(error);
    await failNight(runId, reason, deps);
    logger.error('night failed', { runId, error: reason });
    count('NightsFailed');
    return { runId, status: 'failed' };
  }
  const summary = await finishNight(runId, deps);
  logger.info('night finished', { summary });
  countNight(summary);
  return { runId, status: 'finished', emailsQueued: summary.emailsQueued };
}).use(instrumentation());
