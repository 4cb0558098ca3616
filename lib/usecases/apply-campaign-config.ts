import { isDeepStrictEqual } from 'node:util';
import { parseCampaignConfig } from '../config/campaign-config.js';
import type { CampaignConfigStore } from '../ports/campaign-configs.js';
import type { Clock } from '../ports/clock.js';

export interface AppliedConfig {
  readonly version: number;
  readonly unchanged: boolean;
}

/**
 * Validates a campaign config and stores it as the next version. An invalid config throws
 * InvalidCampaignConfigError with every problem by path, and nothing is stored. Older versions stay, for undo.
 */
export async function applyCampaignConfig(
  raw: unknown,
  appliedBy: string,
  deps: { configs: CampaignConfigStore; clock: Clock },
  note?: string,
): Promise<AppliedConfig> {
  const config = parseCampaignConfig(raw);
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const latest = await deps.configs.latest();
    if (latest && isDeepStrictEqual(latest.raw, config)) return { version: latest.version, unchanged: true };
    const version = (latest?.version ?? 0) + 1;
    if (await deps.configs.putVersion({ version, config, appliedAt: deps.clock.now().toISOString(), appliedBy, ...(note ? { note } : {}) }))
      return { version, unchanged: false };
  }
  throw new Error('campaign config: another change was applied at the same moment five times in a row; try again');
}
