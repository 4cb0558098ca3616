import middy from '@middy/core';
import { readEnvironment } from '../../lib/config/environment.js';
import { describeIssues, nightInputSchema, nightWhen } from '../../lib/lambda/night-inputs.js';
import { count, instrumentation, logger } from '../../lib/observability.js';
import { startNight } from '../../lib/usecases/run-night.js';
import { asBuiltFor, fanOutDependencies, perContainer } from '../../lib/wiring.js';

const dependencies = perContainer(async () => asBuiltFor('night-start', await fanOutDependencies(readEnvironment())));

export interface NightStarted {
  readonly runId: string;
  readonly asOf: string;
  readonly totalSegments: number;
  /** The Map's items: one segment worker input each. */
  readonly segments: readonly { readonly runId: string; readonly segment: number }[];
}

/** The state machine's first step: plans the night (guard, model, segments) and lists the segments to fan out. */
export const handler = middy(async (event: unknown): Promise<NightStarted> => {
  const input = nightInputSchema.safeParse(event ?? {});
  if (!input.success) throw new Error(`invalid night input: ${describeIssues(input.error)}`);
  const plan = await startNight(await dependencies(), nightWhen(input.data.asOf));
  count('NightsStarted');
  logger.info('night started', { runId: plan.runId, asOf: plan.asOf, totalSegments: plan.totalSegments, scoring: plan.scoring.used, paused: plan.paused });
  return {
    runId: plan.runId,
    asOf: plan.asOf,
    totalSegments: plan.totalSegments,
    segments: Array.from({ length: plan.totalSegments }, (_, segment) => ({ runId: plan.runId, segment })),
  };
}).use(instrumentation());
