import type { CampaignConfig } from '../config/campaign-config.js';

export interface StoredCampaignConfig {
  readonly version: number;
  readonly config: CampaignConfig;
  readonly appliedAt: string;
  readonly appliedBy: string;
}

export interface CampaignConfigStore {
  /** The newest version, raw as stored: the caller validates it, so a bad stored version is refused, not trusted. */
  latest(): Promise<{ version: number; raw: unknown; appliedAt: string; appliedBy: string } | undefined>;
  /** Stores the next version; false when another writer took that version number first. */
  putVersion(entry: StoredCampaignConfig): Promise<boolean>;
}
