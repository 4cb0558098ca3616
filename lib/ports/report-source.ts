import type { Customer } from '../domain/customer.js';
import type { ReportOrder } from '../domain/report.js';
import type { LoggedDecision, NightRecord } from '../domain/report-churn.js';
import type { ReportedSend } from '../domain/sends.js';

/** What the report counts, read together: the ledger, the decision log and the run records of the nights in range. */
export interface ReportRecords {
  /** Every ledger entry (any status, holdouts included) whose night falls in the range. */
  readonly sends: readonly ReportedSend[];
  /** Decision log entries (skips the night recorded because they changed) whose night falls in the range. */
  readonly decisions: readonly LoggedDecision[];
  /** Run records of the nights in range, every run of a night (the report keeps the one that stands). */
  readonly runs: readonly NightRecord[];
  /** The latest finished run, whatever its night: the pace and model customers are classified with now. */
  readonly latestRun?: NightRecord;
}

export interface ReportSource {
  /** The records whose night falls in [from, to], YYYY-MM-DD. */
  records(from: string, to: string): Promise<ReportRecords>;
  /**
   * Every customer profile, handed to `visit` one page at a time: the next page of a segment is read only once `visit`
   * has settled, and nothing is kept, so a base of any size is read in bounded memory. Reason codes and calibration
   * are derived from the profiles, never stored per customer.
   */
  forEachCustomer(visit: (customers: readonly Customer[]) => void | Promise<void>): Promise<void>;
  /** A customer's orders placed after `since` and at or before `until` (UTC ISO-8601), counted or not. */
  ordersOf(customerId: string, since: string, until: string): Promise<ReportOrder[]>;
}
