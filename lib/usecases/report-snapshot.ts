import type { ReportSnapshots, StoredReport } from '../ports/report-snapshots.js';
import { buildReport, type Report, type ReportDependencies, type ReportOptions } from './build-report.js';
import type { NightLog } from './step-types.js';

export interface ReportSnapshotDependencies extends ReportDependencies {
  readonly snapshots: ReportSnapshots;
  readonly log?: Pick<NightLog, 'warn'>;
}

/** After a night: the whole report (every night, every campaign) built and stored for the console to read at once. */
export async function refreshReportSnapshot(deps: ReportSnapshotDependencies): Promise<StoredReport> {
  const started = deps.clock.now().getTime();
  const report = await buildReport(deps);
  const snapshot = { report, buildMs: deps.clock.now().getTime() - started };
  await deps.snapshots.save(snapshot);
  return snapshot;
}

/** Where the answer came from: built now, or the snapshot of `report.generatedAt`. */
export type ServedReport = Report & { readonly servedFrom: 'live' | 'snapshot' };

export class ReportTooSlowError extends Error {
  constructor(budgetMs: number, whole: boolean) {
    super(
      `the report takes longer than the ${Math.round(budgetMs / 1000)} s this request may wait` +
        (whole
          ? ', and no snapshot is stored yet: one is built after every night'
          : ': only the whole report (no from, to or campaign) is kept ready after every night') +
        '; winback report --aws builds any report without a time limit',
    );
    this.name = 'ReportTooSlowError';
  }
}

/**
 * The report for a reader that must answer within `budgetMs` (the admin API, inside API Gateway's 30 s). Built now
 * when it can be. The whole report (no range, no campaign) of a shop whose last snapshot took longer than the budget
 * to build is that snapshot, at once; any other is built now, and the whole report falls back to the snapshot should
 * building outrun the budget after all, or fail.
 */
export async function reportWithin(budgetMs: number, deps: ReportSnapshotDependencies, options: ReportOptions = {}): Promise<ServedReport> {
  const whole = options.from === undefined && options.to === undefined && options.campaignId === undefined;
  // Only the pointer is read up front: a shop whose report is built now never reads the stored one.
  const built = whole ? await deps.snapshots.latestBuilt() : undefined;
  const snapshot = async (): Promise<ServedReport | undefined> => {
    const stored = built ? await deps.snapshots.latest() : undefined;
    return stored ? { ...stored.report, servedFrom: 'snapshot' } : undefined;
  };
  if (built && built.buildMs > budgetMs) {
    const stored = await snapshot();
    if (stored) return stored;
  }
  let timer: NodeJS.Timeout | undefined;
  const outOfTime = new Promise<'out_of_time'>((resolve) => (timer = setTimeout(() => resolve('out_of_time'), Math.max(0, budgetMs))));
  const building = buildReport(deps, options);
  // A build that loses the race still runs to its end (it only reads); its failure must not go unhandled.
  building.catch(() => {});
  let first: Report | 'out_of_time';
  try {
    first = await Promise.race([building, outOfTime]);
  } catch (error) {
    // A marketer is better served by last night's figures, dated, than by an error; the on-call engineer hears of it.
    const stored = await snapshot();
    if (!stored) throw error;
    deps.log?.warn('the report could not be built now; the snapshot answers', { error: (error as Error).message });
    return stored;
  } finally {
    clearTimeout(timer);
  }
  if (first !== 'out_of_time') return { ...first, servedFrom: 'live' };
  const stored = await snapshot();
  if (stored) return stored;
  throw new ReportTooSlowError(budgetMs, whole);
}

/** A survey comment as the ledger holds it: enough to find it again in a stored report. */
export interface ErasedComment {
  readonly at: string;
  readonly campaignId: string;
  readonly comment: string;
}

/**
 * Erasure: the stored report without these comments becomes the latest, and every snapshot before it is deleted
 * (only the newest comments are listed, so an earlier snapshot may hold one the latest does not). Returns how many
 * were taken out of the latest.
 */
export async function removeFeedbackComments(
  comments: readonly ErasedComment[],
  deps: { readonly snapshots: Pick<ReportSnapshots, 'latest' | 'replace'> },
): Promise<number> {
  if (comments.length === 0) return 0;
  const stored = await deps.snapshots.latest();
  if (!stored) return 0;
  const erased = (listed: ErasedComment) =>
    comments.some((comment) => comment.at === listed.at && comment.campaignId === listed.campaignId && comment.comment === listed.comment);
  const { feedback } = stored.report.reasons;
  const kept = feedback.comments.filter((listed) => !erased(listed));
  await deps.snapshots.replace({ ...stored, report: { ...stored.report, reasons: { ...stored.report.reasons, feedback: { ...feedback, comments: kept } } } });
  return feedback.comments.length - kept.length;
}
