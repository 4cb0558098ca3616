import type { Report } from '../domain/report-view.js';

/** A report stored whole for later readers: a large shop's report takes longer to build than an API may wait. */
export interface StoredReport {
  readonly report: Report;
  /** How long building it took, so a reader knows whether building it again would fit its own time. */
  readonly buildMs: number;
}

export interface ReportSnapshots {
  /** Stores it as the latest; until it is stored whole, readers get the one before. */
  save(snapshot: StoredReport): Promise<void>;
  /** When the latest was built and how long that took, without reading the report itself. */
  latestBuilt(): Promise<{ readonly generatedAt: string; readonly buildMs: number } | undefined>;
  latest(): Promise<StoredReport | undefined>;
  /**
   * Stores it as the latest and deletes every snapshot stored before it that is still kept: erasure, after which no
   * stored snapshot may hold what was taken out of this one.
   */
  replace(snapshot: StoredReport): Promise<void>;
}
