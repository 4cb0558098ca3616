import { type CampaignConfig, parseCampaignConfig } from '../config/campaign-config.js';
import type { CampaignConfigStore } from '../ports/campaign-configs.js';
import type { Clock } from '../ports/clock.js';
import { NoCampaignConfigError } from './run-night.js';

export type ActiveConfig = () => Promise<CampaignConfig>;

/**
 * The campaign config in force, read at most once a minute per process: webhooks arrive in bursts and must answer
 * fast, and a marketer's change reaches every warm function within that minute.
 */
export function activeConfig(configs: CampaignConfigStore, clock: Clock, maxAgeMs = 60_000): ActiveConfig {
  let cached: { config: CampaignConfig; readAt: number } | undefined;
  return async () => {
    const now = clock.now().getTime();
    if (cached && now - cached.readAt < maxAgeMs) return cached.config;
    const stored = await configs.latest();
    if (!stored) throw new NoCampaignConfigError();
    cached = { config: parseCampaignConfig(stored.raw), readAt: now };
    return cached.config;
  };
}
