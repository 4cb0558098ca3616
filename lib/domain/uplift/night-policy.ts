/**
 * What a night decides once per campaign before any customer (the plan: which targeting is in force, the learned model,
 * the offer shares per segment), and how each customer is then judged by it (the policy). Pure: the night's start
 * reads the ledger and hands the campaign histories in (ledger-training.ts); the per-customer rules call the policy.
 */
import type { Campaign, Variant } from '../../config/campaign-config.js';
import { assignArm, unitHash } from '../assignment.js';
import type { Classification } from '../classification.js';
import type { Customer } from '../customer.js';
import { resolveOffer } from '../offers.js';
import { type Candidate, fitUplift, type UpliftModel, upliftScorer } from './learners.js';
import type { CampaignHistory } from './ledger-training.js';
import { offerSegment } from './ledger-training.js';
import { type Allocation, allocateOffers, sharesAsWeights } from './offer-allocation.js';
import {
  type DecisionFeatures,
  decisionFeatureKinds,
  decisionFeatureNames,
  decisionFeatures,
  featureVector,
  orderEconomics,
  type TargetingVerdict,
  targetingVerdict,
} from './targeting.js';

export interface CampaignPolicyPlan {
  readonly targeting: 'everyone' | 'uplift';
  /** What is in force tonight: `everyone` when uplift was asked for but there is too little to learn from. */
  readonly used: 'everyone' | 'uplift';
  /** Why `everyone` is used under `uplift` (too little data, a model no better than random). */
  readonly reason?: string;
  /** Emailed and held-out customers whose windows have closed: the training rows. */
  readonly treated: number;
  readonly control: number;
  /** The model's mean out-of-fold Qini coefficient (0 = random). */
  readonly cvQini?: number;
  readonly model?: UpliftModel;
  /** Under `thompson`: by segment, the variants' shares of new customers. */
  readonly allocation?: Readonly<Record<string, Allocation>>;
}

export type PolicyPlan = Readonly<Record<string, CampaignPolicyPlan>>;

/**
 * Small on purpose: the model travels in the night's plan (one DynamoDB item, 400 KB at most) to every segment
 * worker, and a night's start has seconds, not minutes. Two depths, up to 50 trees, 3-fold CV between them.
 */
const nightCandidates: readonly Candidate[] = [2, 3].map((depth) => ({
  method: 'two-model' as const,
  params: { depth, trees: 50, learningRate: 0.1, minLeafShare: 0.02, lambda: 1, subsample: 0.8 },
}));

export function planCampaignPolicy(campaign: Campaign, history: CampaignHistory | undefined, seed = 1): CampaignPolicyPlan {
  const treated = history?.treated ?? 0;
  const control = history?.control ?? 0;
  const base = { targeting: campaign.targeting, treated, control };
  const allocation = campaign.experiment.allocation === 'thompson' && campaign.experiment.variants.length > 1 ? allocate(campaign, history, seed) : undefined;
  const withAllocation = allocation ? { allocation } : {};
  if (campaign.targeting === 'everyone') return { ...base, used: 'everyone', ...withAllocation };
  const { minTreated, minHoldout } = campaign.economics;
  if (!history || treated < minTreated || control < minHoldout) {
    const reason = `too little data for uplift targeting: ${treated} emailed and ${control} held-out customers with closed attribution windows, needs ${minTreated} and ${minHoldout}; everyone eligible is emailed`;
    return { ...base, used: 'everyone', reason, ...withAllocation };
  }
  if (!history.rows.some((row) => row.outcome === 1)) {
    return {
      ...base,
      used: 'everyone',
      reason: 'no emailed or held-out customer has ordered yet: nothing to learn from; everyone eligible is emailed',
      ...withAllocation,
    };
  }
  const model = fitUplift(
    { featureNames: [...decisionFeatureNames], kinds: decisionFeatureKinds, rows: history.rows },
    { method: 'two-model', seed, candidates: nightCandidates, treeCounts: [10, 25] },
  );
  const chosen = model.selection.candidates.find((candidate) => JSON.stringify(candidate.params) === JSON.stringify(model.params));
  const cvQini = chosen?.cvQini ?? undefined;
  if (cvQini === undefined || cvQini === null || !(cvQini > 0)) {
    const reason = `the uplift model ranks no better than random on held-out folds (Qini ${cvQini === undefined || cvQini === null ? 'unknown' : cvQini.toFixed(4)}); everyone eligible is emailed`;
    return { ...base, used: 'everyone', reason, ...(cvQini !== undefined && cvQini !== null ? { cvQini } : {}), ...withAllocation };
  }
  return { ...base, used: 'uplift', cvQini, model, ...withAllocation };
}

function allocate(campaign: Campaign, history: CampaignHistory | undefined, seed: number): Record<string, Allocation> {
  const result: Record<string, Allocation> = {};
  for (const [segment, arms] of Object.entries(history?.arms ?? {})) {
    const variants = Object.fromEntries(
      campaign.experiment.variants.map((variant) => [variant.id, arms[variant.id] ?? { customers: 0, marginSumMinor: 0, marginSquaresMinor: 0 }]),
    );
    result[segment] = allocateOffers(variants, arms.holdout, { minShare: campaign.experiment.minVariantPercent / 100, seed });
  }
  return result;
}

export type PolicyVerdict = TargetingVerdict & { readonly explored?: boolean };

/** How the per-customer rules consult the night's plan. */
export interface CustomerPolicy {
  /** The campaign as it assigns tonight: under `thompson`, the variant weights of this customer's segment. */
  campaignFor(campaign: Campaign, customer: Customer, classification: Classification): Campaign;
  /** Undefined when the campaign emails everyone tonight; otherwise whether to choose this customer, and why not. */
  target(campaign: Campaign, customer: Customer, classification: Classification, variant: Variant, features: DecisionFeatures): PolicyVerdict | undefined;
}

export function customerPolicy(plan: PolicyPlan): CustomerPolicy {
  const scorers = new Map(
    Object.entries(plan).flatMap(([id, campaign]) => (campaign.used === 'uplift' && campaign.model ? [[id, upliftScorer(campaign.model)] as const] : [])),
  );
  return {
    campaignFor(campaign, customer, classification) {
      const shares = plan[campaign.id]?.allocation?.[offerSegment({ status: classification.status, orders: customer.summary.orderCount })]?.shares;
      if (!shares) return campaign;
      const weights = sharesAsWeights(shares);
      return {
        ...campaign,
        experiment: {
          ...campaign.experiment,
          variants: campaign.experiment.variants.map((variant) => ({ ...variant, weight: weights[variant.id] ?? variant.weight })),
        },
      };
    },
    target(campaign, customer, classification, variant, features) {
      const score = scorers.get(campaign.id);
      if (!score) return undefined;
      const prediction = score(featureVector(features));
      const pControl = clamp(prediction.pControl ?? 0);
      const pTreated = clamp(prediction.pTreated ?? pControl + prediction.uplift);
      const offer = offerOf(campaign, variant, classification.valueAtStakeMinor);
      const { orderMarginMinor, offerCostMinor } = orderEconomics(customer.summary.averageOrderValueMinor, campaign.economics.orderMarginPercent, offer);
      const verdict = targetingVerdict({ pTreated, pControl, orderMarginMinor, offerCostMinor, emailCostMinor: campaign.economics.costPerEmailMinor });
      // A share of the customers the policy would skip are chosen anyway (emailed or held out as usual): without
      // them the model would never again see what an email does to a customer like them.
      if (!verdict.email && unitHash(`${campaign.id}:explore:${customer.customerId}`) < campaign.economics.explorationPercent / 100)
        return { email: true, marginMinor: verdict.marginMinor, explored: true };
      return verdict;
    },
  };
}

const clamp = (p: number) => Math.min(1, Math.max(0, p));

/** The first step's offer for a variant, as the email would carry it. */
export function offerOf(campaign: Campaign, variant: Variant, valueAtStakeMinor: number) {
  return resolveOffer(campaign.steps[0]!.offer, variant, valueAtStakeMinor);
}

/** The variant a customer gets or, in the holdout, would have got: the offer their features record. */
export function variantFor(customerId: string, campaign: Campaign): Variant {
  const assignment = assignArm(customerId, { ...campaign, experiment: { ...campaign.experiment, holdoutPercent: 0 } });
  return assignment.arm === 'treatment' ? assignment.variant : campaign.experiment.variants[0]!;
}

/** The features a step-0 decision records (and uplift targeting scores). */
export function featuresFor(customer: Customer, classification: Classification, campaign: Campaign, variant: Variant, now: Date): DecisionFeatures {
  return decisionFeatures(customer, classification, offerOf(campaign, variant, classification.valueAtStakeMinor).value, now);
}
