/**
 * Segments: customers grouped by status, value tier, reason and campaign, as the console's segments view shows them.
 * Pure: the rows come from the use-case, which scores each customer as the read API does.
 */

export const valueTiers = ['high', 'medium', 'low', 'none'] as const;
export type ValueTier = (typeof valueTiers)[number];

/** The customer's value at stake against the shop's own spread: top 20% high, next 30% medium, the rest low. */
export interface TierThresholds {
  readonly highFromMinor: number;
  readonly mediumFromMinor: number;
}

/**
 * Thresholds from the values at stake of the customers who have any: a shop's tiers are relative to its own
 * customers, so a tier means the same in a shop of socks and one of sofas. Zero at stake is tier `none`.
 */
export function tierThresholds(valuesMinor: readonly number[]): TierThresholds {
  const positive = valuesMinor.filter((value) => value > 0).sort((a, b) => b - a);
  if (positive.length === 0) return { highFromMinor: Number.POSITIVE_INFINITY, mediumFromMinor: Number.POSITIVE_INFINITY };
  const at = (share: number) => positive[Math.min(positive.length - 1, Math.max(0, Math.ceil(positive.length * share) - 1))]!;
  return { highFromMinor: at(0.2), mediumFromMinor: at(0.5) };
}

export function valueTierOf(valueMinor: number, thresholds: TierThresholds): ValueTier {
  if (!(valueMinor > 0)) return 'none';
  if (valueMinor >= thresholds.highFromMinor) return 'high';
  if (valueMinor >= thresholds.mediumFromMinor) return 'medium';
  return 'low';
}

/** What a segment filters on; each one given must hold. */
export interface SegmentFilter {
  readonly status?: string;
  readonly tier?: ValueTier;
  readonly reason?: string;
  /** A campaign id, or `none` for customers no campaign has chosen. */
  readonly campaign?: string;
}

export interface SegmentFacts {
  readonly status: string;
  readonly tier: ValueTier;
  readonly reasons: readonly string[];
  readonly campaign?: string;
}

type Facet = keyof SegmentFilter;
const facets: readonly Facet[] = ['status', 'tier', 'reason', 'campaign'];

function holds(facts: SegmentFacts, filter: SegmentFilter, facet: Facet): boolean {
  const wanted = filter[facet];
  if (wanted === undefined) return true;
  switch (facet) {
    case 'status':
      return facts.status === wanted;
    case 'tier':
      return facts.tier === wanted;
    case 'reason':
      return facts.reasons.includes(wanted);
    case 'campaign':
      return (facts.campaign ?? 'none') === wanted;
  }
}

export const matches = (facts: SegmentFacts, filter: SegmentFilter): boolean => facets.every((facet) => holds(facts, filter, facet));

export interface SegmentCounts {
  readonly byStatus: Record<string, number>;
  readonly byTier: Record<string, number>;
  readonly byReason: Record<string, number>;
  readonly byCampaign: Record<string, number>;
}

/**
 * Counts per facet as faceted search shows them: each facet counts the customers that pass every other filter, so
 * choosing "lost" still shows how many are at risk (what choosing that instead would give).
 */
export function countSegments(rows: Iterable<SegmentFacts>, filter: SegmentFilter): SegmentCounts {
  const counts: SegmentCounts = { byStatus: {}, byTier: {}, byReason: {}, byCampaign: {} };
  const add = (into: Record<string, number>, key: string) => (into[key] = (into[key] ?? 0) + 1);
  for (const facts of rows) {
    const others = (facet: Facet) => facets.every((other) => other === facet || holds(facts, filter, other));
    if (others('status')) add(counts.byStatus, facts.status);
    if (others('tier')) add(counts.byTier, facts.tier);
    if (others('reason')) for (const reason of facts.reasons) add(counts.byReason, reason);
    if (others('campaign')) add(counts.byCampaign, facts.campaign ?? 'none');
  }
  return counts;
}

/**
 * One CSV field (RFC 4180). A cell a spreadsheet would run as a formula (=, +, -, @, tab, carriage return first) is
 * prefixed with an apostrophe: a customer's name is data, never a formula on the marketer's machine.
 */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  const text = typeof value === 'number' ? String(value) : /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly (string | number | undefined)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
