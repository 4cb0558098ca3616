import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { readEnvironment } from '../../lib/config/environment.js';
import { describeIssues, segmentInputSchema } from '../../lib/lambda/night-inputs.js';
import { count, instrumentation, logger } from '../../lib/observability.js';
import { workSegment } from '../../lib/usecases/run-night.js';
import { asBuiltFor, fanOutDependencies, perContainer } from '../../lib/wiring.js';

const dependencies = perContainer(async () => {
  const environment = readEnvironment();
  return { deps: asBuiltFor('segment-worker', await fanOutDependencies(environment)), sendConcurrency: environment.SEND_CONCURRENCY };
});

/**
 * Time kept in hand when the worker decides between pages whether to read another: a page (up to 1 MB of profiles)
 * with its reservations must finish inside it, so the invocation returns its cursor before Lambda stops it.
 */
export const handOverMarginMs = 120_000;

export interface SegmentProgress {
  readonly runId: string;
  readonly segment: number;
  /** Present when the segment is not done: the state machine loops this output back as the next invocation's input. */
  readonly cursor?: string;
}

/** One scan segment, checkpointed: it scans until done or until the time limit nears, then hands over its position. */
export const handler = middy(async (event: unknown, context: Context): Promise<SegmentProgress> => {
  const input = segmentInputSchema.safeParse(event);
  if (!input.success) throw new Error(`invalid segment input: ${describeIssues(input.error)}`);
  const { runId, segment, cursor } = input.data;
  const { deps, sendConcurrency } = await dependencies();
  const shouldStop = () => context.getRemainingTimeInMillis() < handOverMarginMs;
  const { nextCursor } = await workSegment(runId, segment, deps, { ...(cursor ? { cursor } : {}), shouldStop }, sendConcurrency);
  count('SegmentInvocations');
  if (nextCursor) {
    count('SegmentHandovers');
    logger.info('segment handed over', { runId, segment });
  }
  return { runId, segment, ...(nextCursor ? { cursor: nextCursor } : {}) };
}).use(instrumentation());
