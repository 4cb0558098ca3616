import { createHash } from 'node:crypto';
import type { Campaign, Variant } from '../config/campaign-config.js';

export type Assignment = { readonly arm: 'holdout' } | { readonly arm: 'treatment'; readonly variant: Variant };

/**
 * Sticky experiment arms: a stable hash of (customer, campaign) picks the holdout or a variant by weight, so a
 * customer stays in the same arm across nights, steps and re-entries, and no state is needed to remember it.
 */
export function assignArm(customerId: string, campaign: Campaign): Assignment {
  const holdoutShare = campaign.experiment.holdoutPercent / 100;
  const draw = unitHash(`${campaign.id}:holdout:${customerId}`);
  if (draw < holdoutShare) return { arm: 'holdout' };
  const variants = campaign.experiment.variants;
  const total = variants.reduce((sum, variant) => sum + variant.weight, 0);
  // An independent second draw, so the variant split among the treated is not skewed by the holdout cut.
  let point = unitHash(`${campaign.id}:variant:${customerId}`) * total;
  for (const variant of variants) {
    point -= variant.weight;
    if (point < 0) return { arm: 'treatment', variant };
  }
  return { arm: 'treatment', variant: variants.at(-1)! };
}

/** A uniform number in [0, 1) from the first 48 bits of SHA-256. */
export function unitHash(text: string): number {
  return createHash('sha256').update(text).digest().readUIntBE(0, 6) / 2 ** 48;
}
