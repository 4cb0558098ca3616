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
  /** The orders read along with the records, when the read was asked for them and could gather them. */
  readonly orders?: GatheredOrders;
}

/**
 * Orders gathered in the same read as the ledger: those of the customers the records name, placed after `since` (any
 * time when absent). A customer the read cannot vouch for is `undefined`: their orders are read with `ordersOf`.
 */
export interface GatheredOrders {
  readonly since?: string;
  of(customerId: string): readonly ReportOrder[] | undefined;
}

export interface RecordsOptions {
  /**
   * Also gather the orders of the customers the records name, placed after this instant (UTC ISO-8601; '' for any
   * time), so the report need not read them customer by customer. A source may ignore it.
   */
  readonly ordersSince?: string;
}

export interface ReportSource {
  /** The records whose night falls in [from, to], YYYY-MM-DD. */
  records(from: string, to: string, options?: RecordsOptions): Promise<ReportRecords>;
  /**
   * Every customer profile, handed to `visit` one page at a time: the next page of a segment is read only once `visit`
   * has settled, and nothing is kept, so a base of any size is read in bounded memory. Reason codes and calibration
   * are derived from the profiles, never stored per customer.
   */
  forEachCustomer(visit: (customers: readonly Customer[]) => void | Promise<void>): Promise<void>;
  /** A customer's orders placed after `since` and at or before `until` (UTC ISO-8601), counted or not. */
  ordersOf(customerId: string, since: string, until: string): Promise<ReportOrder[]>;
}
