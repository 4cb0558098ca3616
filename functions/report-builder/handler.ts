import middy from '@middy/core';
import { readEnvironment } from '../../lib/config/environment.js';
import { describeIssues, reportInputSchema } from '../../lib/lambda/night-inputs.js';
import { count, instrumentation, logger } from '../../lib/observability.js';
import { refreshReportSnapshot } from '../../lib/usecases/report-snapshot.js';
import { asBuiltFor, perContainer, reportAdapters, tableAdapters } from '../../lib/wiring.js';

const dependencies = perContainer(async () => {
  const environment = readEnvironment();
  const { configs, clock } = tableAdapters(environment);
  const { reports, snapshots } = reportAdapters(environment);
  return asBuiltFor('report-builder', { source: reports, snapshots, configs, clock });
});

/**
 * After the night: builds the whole report and stores it, so the console's dashboard answers at once for a shop whose
 * report takes longer to build than API Gateway waits (30 s). The night has finished by then; a failure here fails
 * only this step.
 */
export const handler = middy(async (event: unknown): Promise<{ runId?: string; generatedAt: string; buildMs: number; campaigns: number }> => {
  const input = reportInputSchema.safeParse(event ?? {});
  if (!input.success) throw new Error(`invalid report input: ${describeIssues(input.error)}`);
  const { report, buildMs } = await refreshReportSnapshot(await dependencies());
  logger.info('report snapshot stored', { runId: input.data.runId, generatedAt: report.generatedAt, buildMs });
  count('ReportsBuilt');
  return { ...(input.data.runId ? { runId: input.data.runId } : {}), generatedAt: report.generatedAt, buildMs, campaigns: report.campaigns.length };
}).use(instrumentation());
