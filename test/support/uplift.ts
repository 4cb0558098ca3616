import type { UpliftRow } from '../../lib/domain/uplift/learners.js';
import { seededRandom } from '../../lib/domain/uplift/random.js';

/**
 * Customers with a KNOWN response to an email, by segment: P(outcome | control) -> P(outcome | treated).
 * - persuadable: 0.10 -> 0.50 (the only ones worth emailing)
 * - sure_thing: 0.60 -> 0.60 (would come back anyway)
 * - do_not_disturb: 0.40 -> 0.10 (put off by the email)
 * - lost_cause: 0.05 -> 0.05
 * Features: the segment (categorical), `spend` (numeric, higher for persuadables, overlapping the others), and `noise`.
 * Value: 50 for an outcome, 0 otherwise.
 */
export const syntheticSegments = {
  persuadable: { control: 0.1, treated: 0.5 },
  sure_thing: { control: 0.6, treated: 0.6 },
  do_not_disturb: { control: 0.4, treated: 0.1 },
  lost_cause: { control: 0.05, treated: 0.05 },
} as const;

export type SyntheticSegment = keyof typeof syntheticSegments;
export const syntheticFeatureNames = ['segment', 'spend', 'noise'];

export interface SyntheticRow extends UpliftRow {
  readonly segment: SyntheticSegment;
  readonly trueUplift: number;
}

export function syntheticExperiment(rows: number, seed: number): SyntheticRow[] {
  const random = seededRandom(seed);
  const names = Object.keys(syntheticSegments) as SyntheticSegment[];
  return Array.from({ length: rows }, () => {
    const segment = names[Math.floor(random() * names.length)] as SyntheticSegment;
    const treated = random() < 0.5;
    const rates = syntheticSegments[segment];
    const outcome = random() < (treated ? rates.treated : rates.control) ? 1 : 0;
    const spend = Math.round((segment === 'persuadable' ? 120 : 80) + random() * 100);
    return {
      segment,
      trueUplift: rates.treated - rates.control,
      features: [segment, spend, Math.round(random() * 1000) / 1000],
      treated,
      outcome,
      value: outcome * 50,
    };
  });
}

export function syntheticCsv(rows: readonly SyntheticRow[]): string {
  const lines = rows.map((row) => [row.features.join(','), row.treated ? 'email' : 'holdout', row.outcome, row.value].join(','));
  return `segment,spend,noise,group,ordered,revenue\n${lines.join('\n')}\n`;
}
