import middy from '@middy/core';
import { readEnvironment } from '../../lib/config/environment.js';
import { describeIssues, nightInputSchema, nightWhen } from '../../lib/lambda/night-inputs.js';
import { countNight } from '../../lib/lambda/night-metrics.js';
import { instrumentation, logger } from '../../lib/observability.js';
import { runNight, type NightSummary } from '../../lib/usecases/run-night.js';
import { nightDependencies, perContainer } from '../../lib/wiring.js';

export { nightInputSchema };

const dependencies = perContainer(async () => {
  const environment = readEnvironment();
  return { deps: await nightDependencies(environment), sendConcurrency: environment.SEND_CONCURRENCY };
});

export const handler = middy(async (event: unknown): Promise<NightSummary> => {
  const input = nightInputSchema.safeParse(event ?? {});
  if (!input.success) {
    throw new Error(`invalid night input: ${describeIssues(input.error)}`);
  }
  const { deps, sendConcurrency } = await dependencies();
  const summary = await runNight(deps, { ...nightWhen(input.data.asOf), sendConcurrency });
  logger.info('night finished', { summary });
  countNight(summary);
  return summary;
}).use(instrumentation());
