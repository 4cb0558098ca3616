import type { ReportOrder } from '../domain/report.js';
import type { SendRecord } from '../domain/sends.js';

export interface ReportSource {
  /** Every ledger entry (any status, holdouts included) whose night falls in [from, to], YYYY-MM-DD. */
  ledgerEntries(from: string, to: string): Promise<SendRecord[]>;
  /** A customer's orders placed after `since` and at or before `until` (UTC ISO-8601), counted or not. */
  ordersOf(customerId: string, since: string, until: string): Promise<ReportOrder[]>;
}
