/**
 * When a campaign's emails keep failing to render (a template over its render limits, a variable that most customers
 * lack), trying each remaining customer would spend up to a render limit apiece, all night, for nothing: the campaign
 * stops for the rest of the night instead, and its remaining customers are skipped as `render_paused`. A few failures
 * among many sends are individual customers' data and do not stop it.
 */
export interface RenderBreakerPolicy {
  /** Failures in a row, with no email of the campaign rendered in between, that stop it. */
  readonly consecutiveFailures: number;
  /** Emails tried before the share of failures counts at all. */
  readonly minAttempts: number;
  /** Share of failed renders, once minAttempts were tried, that stops it. */
  readonly failureShare: number;
}

export const defaultRenderBreakerPolicy: RenderBreakerPolicy = { consecutiveFailures: 10, minAttempts: 50, failureShare: 0.5 };

interface CampaignCount {
  attempts: number;
  failures: number;
  inARow: number;
  open: boolean;
}

export class RenderBreaker {
  private readonly campaigns = new Map<string, CampaignCount>();

  constructor(private readonly policy: RenderBreakerPolicy = defaultRenderBreakerPolicy) {}

  /** True once the campaign stopped for the night. */
  isOpen(campaignId: string): boolean {
    return this.campaigns.get(campaignId)?.open ?? false;
  }

  rendered(campaignId: string): void {
    const count = this.countOf(campaignId);
    count.attempts += 1;
    count.inARow = 0;
  }

  /** Counts a failed render; true when this one stopped the campaign (so it is reported once). */
  failed(campaignId: string): boolean {
    const count = this.countOf(campaignId);
    count.attempts += 1;
    count.failures += 1;
    count.inARow += 1;
    if (count.open) return false;
    const { consecutiveFailures, minAttempts, failureShare } = this.policy;
    count.open = count.inARow >= consecutiveFailures || (count.attempts >= minAttempts && count.failures / count.attempts >= failureShare);
    return count.open;
  }

  /** Campaigns stopped tonight, with what they tried. */
  stopped(): { campaignId: string; attempts: number; failures: number }[] {
    return [...this.campaigns].filter(([, count]) => count.open).map(([campaignId, { attempts, failures }]) => ({ campaignId, attempts, failures }));
  }

  private countOf(campaignId: string): CampaignCount {
    let count = this.campaigns.get(campaignId);
    if (!count) this.campaigns.set(campaignId, (count = { attempts: 0, failures: 0, inARow: 0, open: false }));
    return count;
  }
}
