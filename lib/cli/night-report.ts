import Table from 'cli-table3';
import { type SkipReason, skipReasonMeanings } from '../domain/decisions.js';
import type { NightSummary } from '../ports/runs.js';

const number = new Intl.NumberFormat('en-IE');
/** No colour codes: the report is also read in CI logs and files. */
const plain = { head: [], border: [] };

/** The run summary as a person reads it at the end of `npm start`. */
export function formatNightReport(summary: NightSummary, { sentHeading = 'sent' }: { /** 'would send' in a preview */ sentHeading?: string } = {}): string {
  const lines: string[] = [];
  lines.push(
    `Night ${summary.asOf} · run ${summary.runId.slice(0, 8)} · config v${summary.configVersion} · ` +
      `${number.format(summary.customersScanned)} customers in ${summary.totalSegments} segments · ${(summary.durationMs / 1000).toFixed(1)} s`,
  );
  lines.push(
    `One-time buyers are held to the shop's second-order gap of ${summary.shopPace.secondOrderGapDays} days` +
      (summary.shopPace.measuredOn > 0 ? ` (measured on ${number.format(summary.shopPace.measuredOn)} repeat customers)` : ' (configured fallback)'),
  );

  const scoring = summary.scoring;
  if (scoring?.used === 'model' && scoring.model) {
    const params = Object.entries(scoring.model.params)
      .map(([name, value]) => `${name} ${Number(value).toPrecision(3)}`)
      .join(', ');
    lines.push(
      `Classified by the ${scoring.model.model} model fitted on ${number.format(scoring.sampleSize)} customers` +
        (scoring.fittedAsOf && scoring.fittedAsOf !== summary.asOf ? ` on the night of ${scoring.fittedAsOf}, still fresh` : '') +
        ` (${params}; ${scoring.model.iterations} iterations, ${Math.round(scoring.model.ms)} ms)`,
    );
  } else if (scoring) {
    lines.push(`Classified by the cadence rule${scoring.reason ? `: ${scoring.reason}` : ''}`);
  }

  const statuses = new Table({ head: ['Customers', 'count', 'share'], colAligns: ['left', 'right', 'right'], style: plain });
  const share = (value: number) => (summary.customersScanned ? `${((100 * value) / summary.customersScanned).toFixed(1)}%` : '-');
  for (const [label, value] of [
    ['active', summary.active],
    ['at risk', summary.atRisk],
    ['lost', summary.lost],
    ['never ordered', summary.noOrders],
  ] as const) {
    statuses.push([label, number.format(value), share(value)]);
  }
  lines.push(statuses.toString());

  const campaigns = new Table({
    head: ['Campaign', sentHeading, 'waiting for morning', 'held out', 'by variant'],
    colAligns: ['left', 'right', 'right', 'right', 'left'],
    style: plain,
  });
  for (const [id, campaign] of Object.entries(summary.campaigns ?? {}).sort()) {
    const variants = Object.entries(campaign.byVariant)
      .map(([variant, value]) => `${variant} ${number.format(value)}`)
      .join(', ');
    campaigns.push([id, number.format(campaign.sent), number.format(campaign.scheduled), number.format(campaign.heldOut), variants]);
  }
  campaigns.push(['total', number.format(summary.emailsSent), number.format(summary.emailsScheduled ?? 0), number.format(summary.heldOut ?? 0), '']);
  lines.push(campaigns.toString());
  const later = (summary as { sentAfterQuietHours?: number }).sentAfterQuietHours;
  if (later) lines.push(`${number.format(later)} of the emails sent waited for the end of the customers' quiet hours and went out later that day.`);

  const skipped = new Table({ head: ['Not emailed because', 'count', 'meaning'], colAligns: ['left', 'right', 'left'], style: plain });
  const reasons = Object.entries(summary.skipped).sort(([, a], [, b]) => (b ?? 0) - (a ?? 0));
  for (const [reason, value] of reasons) skipped.push([reason, number.format(value ?? 0), skipReasonMeanings[reason as SkipReason] ?? '']);
  lines.push(skipped.toString());
  if (summary.stoppedBy) lines.push(`Sending stopped early: ${summary.stoppedBy}. Unsent customers will be picked up by a later night, without doubles.`);
  return lines.join('\n');
}
