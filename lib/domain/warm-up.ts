/**
 * Warm-up: a new shop, or a new sending domain, starts small and grows. Mailbox providers judge a domain by its
 * history; one with none that sends thousands at once looks like a spammer, and its mail goes to spam for weeks.
 * So the first night sends at most `firstNight` emails (the highest value at stake first), and each later night at
 * most `growth` times the most the domain sent on one night of the last `lookbackDays`, until the daily cap.
 *
 * The history travels in the run record (the latest night's summary carries it forward): no extra read per night.
 */

export interface WarmUpSettings {
  readonly enabled: boolean;
  readonly firstNight: number;
  readonly growth: number;
  readonly lookbackDays: number;
}

/** Emails sent per night (asOf) per sending domain, the nights of the lookback window only. */
export type WarmUpHistory = Readonly<Record<string, Readonly<Record<string, number>>>>;

export interface WarmUpLimit {
  /** The most emails tonight may send (the daily cap when warm-up is off or done). */
  readonly limit: number;
  /** True while the limit is below the daily cap: the night's backlog waits for the coming nights. */
  readonly warmingUp: boolean;
  /** Each domain's own limit tonight. */
  readonly byDomain: Readonly<Record<string, number>>;
}

/** The domain of a sender address, lower case: the identity a mailbox provider keeps a reputation for. */
export function sendingDomain(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * Tonight's limit: the lowest of the sending domains' limits (one night's sends are not split by domain, so a new
 * domain holds the night to its own pace).
 */
export function warmUpLimit(settings: WarmUpSettings, dailySendCap: number, domains: readonly string[], history: WarmUpHistory, asOf: string): WarmUpLimit {
  if (!settings.enabled || domains.length === 0) return { limit: dailySendCap, warmingUp: false, byDomain: {} };
  const byDomain: Record<string, number> = {};
  for (const domain of new Set(domains)) {
    const nights = Object.entries(history[domain] ?? {}).filter(([night]) => night < asOf && withinDays(night, asOf, settings.lookbackDays));
    const most = Math.max(0, ...nights.map(([, sent]) => sent));
    byDomain[domain] = Math.min(dailySendCap, most === 0 ? settings.firstNight : Math.max(settings.firstNight, Math.floor(most * settings.growth)));
  }
  const limit = Math.min(dailySendCap, ...Object.values(byDomain));
  return { limit, warmingUp: limit < dailySendCap, byDomain };
}

/** The history after tonight: tonight's sends added, nights older than the lookback dropped. */
export function nextWarmUpHistory(history: WarmUpHistory, asOf: string, sentByDomain: Readonly<Record<string, number>>, lookbackDays: number): WarmUpHistory {
  const next: Record<string, Record<string, number>> = {};
  for (const domain of new Set([...Object.keys(history), ...Object.keys(sentByDomain)])) {
    const nights = Object.fromEntries(Object.entries(history[domain] ?? {}).filter(([night]) => night < asOf && withinDays(night, asOf, lookbackDays)));
    const tonight = sentByDomain[domain] ?? 0;
    if (tonight > 0) nights[asOf] = (nights[asOf] ?? 0) + tonight;
    if (Object.keys(nights).length > 0) next[domain] = nights;
  }
  return next;
}

/**
 * The least value at stake a customer needs tonight so that about `limit` of the night's candidates get an email:
 * from the values of the candidates in a sample that holds `fraction` of the shop. Undefined when every candidate fits.
 */
export function warmUpThreshold(sampledValues: readonly number[], fraction: number, limit: number): number | undefined {
  const wanted = Math.max(1, Math.ceil(limit * Math.min(1, Math.max(fraction, Number.MIN_VALUE))));
  if (sampledValues.length <= wanted) return undefined;
  const sorted = [...sampledValues].sort((a, b) => b - a);
  return sorted[wanted - 1];
}

function withinDays(night: string, asOf: string, days: number): boolean {
  return (Date.parse(`${asOf}T00:00:00Z`) - Date.parse(`${night}T00:00:00Z`)) / 86_400_000 <= days;
}
