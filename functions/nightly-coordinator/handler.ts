import middy from '@middy/core';
import { readEnvironment } from '../../lib/config/environment.js';
import { describeIssues, nightInputSchema, nightWhen } from '../../lib/lambda/night-inputs.js';
import { count, instrumentation, logger } from '../../lib/observability.js';
import { runNight, type NightSummary } from '../../lib/usecases/run-night.js';
import { nightDependencies, perContainer } from '../../lib/wiring.js';

export { nightInputSchema };

const dependencies = perContainer(async () => {
  const environment = readEnvironment();
  return { deps: await nightDependencies(environment), sendConcurrency: environment.SEND_CONCURRENCY };
});

/** The night's figures as metrics: what the dashboard graphs and the SES-stopped alarm watches. */
function countNight(summary: NightSummary): void {
  count('NightsFinished');
  count('CustomersScanned', summary.customersScanned);
  count('EmailsSent', summary.emailsSent);
  count('EmailsQueued', summary.emailsQueued);
  count('EmailsScheduled', summary.emailsScheduled);
  count('HeldOut', summary.heldOut);
  if (summary.stoppedBy) {
    count('SendingStopped');
    logger.error('SES stopped the night\'s sending', { stoppedBy: summary.stoppedBy, runId: summary.runId });
  }
}

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
