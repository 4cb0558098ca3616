import diff from 'microdiff';
import { type CampaignConfig, parseCampaignConfig } from '../config/campaign-config.js';
import { formatPath } from '../domain/field-path.js';
import type { CampaignConfigStore, StoredVersion } from '../ports/campaign-configs.js';
import type { Clock } from '../ports/clock.js';
import { type AppliedConfig, applyCampaignConfig } from './apply-campaign-config.js';

export interface ConfigChange {
  readonly path: string;
  readonly change: 'added' | 'removed' | 'changed';
  readonly before?: unknown;
  readonly after?: unknown;
}

/** What differs between two configs, by path, as a marketer reads it: campaigns[1].steps[0].offer.value 15 -> 20. */
export function diffConfigs(before: unknown, after: unknown): ConfigChange[] {
  const left = (before ?? {}) as Record<string, unknown>;
  const right = (after ?? {}) as Record<string, unknown>;
  return diff(left, right).map((entry) => ({
    path: formatPath(entry.path),
    change: entry.type === 'CREATE' ? 'added' : entry.type === 'REMOVE' ? 'removed' : 'changed',
    ...('oldValue' in entry ? { before: entry.oldValue } : {}),
    ...('value' in entry ? { after: entry.value } : {}),
  }));
}

export interface VersionEntry extends Omit<StoredVersion, 'raw'> {
  readonly changes: ConfigChange[];
}

/** Every version, newest first, each with who, when and what changed against the one before. */
export async function configHistory(configs: CampaignConfigStore): Promise<VersionEntry[]> {
  const versions = await configs.history();
  return versions.map(({ raw, ...entry }, index) => ({ ...entry, changes: diffConfigs(versions[index + 1]?.raw, raw) }));
}

/** Restores an earlier version by applying it again as the newest: history is never rewritten. */
export async function rollbackConfig(version: number, appliedBy: string, deps: { configs: CampaignConfigStore; clock: Clock }): Promise<AppliedConfig> {
  const earlier = await deps.configs.version(version);
  if (!earlier) throw new RangeError(`there is no campaign config version ${version}`);
  return applyCampaignConfig(earlier.raw, appliedBy, deps, `rollback to version ${version}`);
}

export interface ProposedChange {
  /** The live version the proposal was compared with; null when no config is stored yet. */
  readonly liveVersion: number | null;
  readonly changes: ConfigChange[];
}

/**
 * What applying `raw` would change against the live config, by path. It is validated first, exactly as apply
 * validates it (InvalidCampaignConfigError with every problem), and compared in its parsed form, defaults filled in,
 * so a default spelled out is no change.
 */
export async function diffAgainstLive(raw: unknown, configs: CampaignConfigStore): Promise<ProposedChange> {
  const proposed = parseCampaignConfig(raw);
  const live = await currentConfig(configs);
  return { liveVersion: live?.version ?? null, changes: diffConfigs(live?.config, proposed) };
}

export async function currentConfig(configs: CampaignConfigStore): Promise<{ version: number; config: CampaignConfig } | undefined> {
  const latest = await configs.latest();
  return latest ? { version: latest.version, config: parseCampaignConfig(latest.raw) } : undefined;
}
