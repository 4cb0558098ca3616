import middy from '@middy/core';
import { couponHousekeeping } from '../../lib/adapters/coupons/wiring.js';
import { readEnvironment } from '../../lib/config/environment.js';
import { describeIssues, finishInputSchema } from '../../lib/lambda/night-inputs.js';
import { countNight } from '../../lib/lambda/night-metrics.js';
import { describeStepFailure } from '../../lib/lambda/step-failure.js';
import { count, instrumentation, logger } from '../../lib/observability.js';
import { removeExpiredCoupons } from '../../lib/usecases/coupon-housekeeping.js';
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
  await housekeepCoupons(deps);
  return { runId, status: 'finished', emailsQueued: summary.emailsQueued };
}).use(instrumentation());

/** Once a night, after its sends: the shop's platform forgets Winback's codes that expired unused (docs/coupons.md). */
async function housekeepCoupons(deps: Awaited<ReturnType<typeof dependencies>>): Promise<void> {
  try {
    const result = await removeExpiredCoupons(await deps.config(), couponHousekeeping(), deps.clock.now());
    if (Object.keys(result.removed).length > 0) logger.info('expired coupon codes removed', { removed: result.removed });
    if (Object.keys(result.failed).length > 0) logger.warn('expired coupon codes not removed; tried again next night', { failed: result.failed });
  } catch (error) {
    logger.warn('expired coupon codes not removed; tried again next night', { error: (error as Error).message });
  }
}
