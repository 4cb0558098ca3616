import type { CampaignConfig } from '../config/campaign-config.js';
import type { PauseRecord, PauseScope } from '../domain/deliverability.js';

export interface StoredCampaignConfig {
  readonly version: number;
  readonly config: CampaignConfig;
  readonly appliedAt: string;
  readonly appliedBy: string;
  /** Why, in the applier's words (a rollback says which version it restored). */
  readonly note?: string;
}

export interface StoredVersion {
  readonly version: number;
  readonly raw: unknown;
  readonly appliedAt: string;
  readonly appliedBy: string;
  readonly note?: string;
}

export interface CampaignConfigStore {
  /** The newest version, raw as stored: the caller validates it, so a bad stored version is refused, not trusted. */
  latest(): Promise<StoredVersion | undefined>;
  version(version: number): Promise<StoredVersion | undefined>;
  /** Every version, newest first. */
  history(): Promise<StoredVersion[]>;
  /** Stores the next version; false when another writer took that version number first. */
  putVersion(entry: StoredCampaignConfig): Promise<boolean>;
  /** The deliverability guard's records, one per scope (all sending, or a campaign), paused or resumed. */
  pauses(): Promise<PauseRecord[]>;
  /** Stores a pause; false when that scope is paused already (the first pause and its reason stay). */
  pause(record: PauseRecord): Promise<boolean>;
  /** The explicit resume: the record stays, marked resumed, by whom and when; false when the scope was not paused. */
  resume(scope: PauseScope, by: string, at: string): Promise<boolean>;
}
