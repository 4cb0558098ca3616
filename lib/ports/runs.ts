import type { NightSummary } from '../usecases/run-night.js';

export interface RunRecorder {
  started(run: { runId: string; asOf: string; startedAt: string; configVersion: number }): Promise<void>;
  finished(summary: NightSummary): Promise<void>;
  failed(run: { runId: string; asOf: string; startedAt: string; error: string }): Promise<void>;
  latest(): Promise<NightSummary | undefined>;
}
