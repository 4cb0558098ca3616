export interface Suppression {
  readonly emailHash: string;
  readonly reason: 'unsubscribed' | 'bounced' | 'complained' | 'forgotten' | 'manual';
  readonly source: string;
  readonly at: string;
}

export interface SuppressionList {
  /** The hashes among these that are suppressed. */
  suppressedAmong(emailHashes: readonly string[]): Promise<ReadonlySet<string>>;
  add(suppression: Suppression): Promise<void>;
}
