import { count, logger } from '../observability.js';
import type { NightSummary } from '../ports/runs.js';

/** The night's figures as metrics: what the dashboard graphs and the SES-stopped alarm watches. */
export function countNight(summary: NightSummary): void {
  count('NightsFinished');
  count('CustomersScanned', summary.customersScanned);
  count('EmailsSent', summary.emailsSent);
  count('EmailsQueued', summary.emailsQueued);
  count('EmailsScheduled', summary.emailsScheduled);
  count('HeldOut', summary.heldOut);
  if (summary.stoppedBy) {
    count('SendingStopped');
    logger.error("SES stopped the night's sending", { stoppedBy: summary.stoppedBy, runId: summary.runId });
  }
}
