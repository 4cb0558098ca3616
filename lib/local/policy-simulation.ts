/**
 * Targeting policies compared on simulated customers whose responses are known (response-types.ts): `everyone` (the
 * campaign as configured), `uplift` (uplift targeting and Thompson offer sizing, learned night by night from its own
 * holdout exactly as a shop's nights learn: night-policy.ts) and `best` (an oracle that knows each customer's kind
 * and emails exactly those the email pays for, with the cheapest offer). In memory, no AWS: 60 nights take seconds,
 * most of them in the learner's fits.
 *
 * Each night brings new lapsed customers into the campaign's first step; a customer orders within the attribution
 * window (taken as `windowNights` nights) with the probability of their kind, emailed or not. Incremental margin is
 * measured against emailing nobody, two ways: expected (from the known probabilities: noise-free) and realised (with
 * the same random draw per customer under every policy).
 */
import { type Campaign, parseCampaignConfig } from '../config/campaign-config.js';
import defaultConfig from '../config/default-campaign-config.json' with { type: 'json' };
import { assignArm } from '../domain/assignment.js';
import type { Classification } from '../domain/classification.js';
import type { Customer } from '../domain/customer.js';
import type { UpliftRow } from '../domain/uplift/learners.js';
import { type CampaignHistory, offerSegment } from '../domain/uplift/ledger-training.js';
import { type CampaignPolicyPlan, customerPolicy, featuresFor, offerOf, planCampaignPolicy, variantFor } from '../domain/uplift/night-policy.js';
import { type ArmStats, addToArm, emptyArm } from '../domain/uplift/offer-allocation.js';
import { seededRandom } from '../domain/uplift/random.js';
import { featureVector, orderEconomics } from '../domain/uplift/targeting.js';
import { type ResponseType, responseProbabilities, responseTypeOf } from './response-types.js';

export const simulatedPolicies = ['everyone', 'uplift', 'best'] as const;
export type SimulatedPolicy = (typeof simulatedPolicies)[number];

export interface PolicySimulationOptions {
  readonly nights?: number;
  readonly customersPerNight?: number;
  readonly seed?: number;
  readonly windowNights?: number;
  /** The uplift policy refits its model every this many nights (a shop refits every night; the bench saves time). */
  readonly refitEvery?: number;
  readonly costPerEmailMinor?: number;
  readonly orderMarginPercent?: number;
}

export interface PolicyResult {
  readonly emailed: number;
  readonly heldOut: number;
  readonly skipped: Readonly<Record<string, number>>;
  /** Expected incremental margin against emailing nobody, in minor units (from the known probabilities). */
  readonly expectedMarginMinor: number;
  /** Realised incremental margin against emailing nobody (the same draws under every policy). */
  readonly realisedMarginMinor: number;
  readonly discountGivenMinor: number;
  /** Emails by the customers' true kinds. */
  readonly emailedByType: Readonly<Record<ResponseType, number>>;
}

export interface PolicySimulation {
  readonly nights: number;
  readonly customers: number;
  readonly policies: Readonly<Record<SimulatedPolicy, PolicyResult>>;
  /** Nights on which the uplift policy targeted (the others fell back to everyone). */
  readonly upliftNights: number;
  /** The uplift policy's plan on the last night: its fallback reason or Qini, and the offer shares. */
  readonly lastPlan: Omit<CampaignPolicyPlan, 'model'>;
}

interface SimCustomer {
  readonly customer: Customer;
  readonly classification: Classification;
  readonly type: ResponseType;
  /** One uniform draw: orders when it falls below the probability of the arm the customer is in. */
  readonly draw: number;
}

function simulationCampaign(options: Required<PolicySimulationOptions>): Campaign {
  const config = parseCampaignConfig(defaultConfig);
  const lost = config.campaigns.find((campaign) => campaign.id === 'lost-winback')!;
  return {
    ...lost,
    audience: { ...lost.audience, status: 'lost' },
    steps: [lost.steps[0]!],
    targeting: 'uplift',
    experiment: { ...lost.experiment, allocation: 'thompson' },
    economics: {
      ...lost.economics,
      orderMarginPercent: options.orderMarginPercent,
      costPerEmailMinor: options.costPerEmailMinor,
      minTreated: 200,
      minHoldout: 100,
    },
  };
}

function newCustomers(night: number, count: number, random: () => number, seed: number): SimCustomer[] {
  return Array.from({ length: count }, (_, index) => {
    const customerId = `sim-${seed}-${night}-${index}`;
    const orders = Math.min(10, 1 + Math.floor(-Math.log(Math.max(random(), 1e-12)) * 1.8));
    const recencyDays = 45 + Math.floor(random() * 360);
    const discountOnly = orders >= 2 && random() < 0.15;
    const averageOrderValueMinor = 2000 + Math.floor(random() * 100) * 100;
    const type = responseTypeOf(customerId, { recencyDays, orders, discountOnly });
    const reasonCodes = [orders === 1 ? 'one_time_never_returned' : 'overdue_own_cadence', ...(discountOnly ? ['discount_only'] : [])];
    const customer: Customer = {
      customerId,
      email: `${customerId}@example.org`,
      consent: { state: 'subscribed', source: 'simulation', updatedAt: '2026-01-01T00:00:00Z' },
      summary: {
        orderCount: orders,
        purchaseDays: orders,
        totalSpendMinor: orders * averageOrderValueMinor,
        averageOrderValueMinor,
        recentPurchaseDays: [],
        lastProducts: [],
        couponOrders: discountOnly ? orders : 0,
      },
      createdAt: '2026-01-01T00:00:00Z',
    };
    const classification: Classification = {
      status: recencyDays > 180 ? 'lost' : 'at_risk',
      daysSinceLastOrder: recencyDays,
      valueAtStakeMinor: averageOrderValueMinor * 2,
      priority: 1,
      reasonCodes,
    };
    return { customer, classification, type, draw: random() };
  });
}

export function simulatePolicies(options: PolicySimulationOptions = {}): PolicySimulation {
  const settings: Required<PolicySimulationOptions> = {
    nights: 60,
    customersPerNight: 400,
    seed: 7,
    windowNights: 7,
    refitEvery: 7,
    costPerEmailMinor: 10,
    orderMarginPercent: 40,
    ...options,
  };
  const campaign = simulationCampaign(settings);
  const everyoneCampaign: Campaign = { ...campaign, targeting: 'everyone', experiment: { ...campaign.experiment, allocation: 'fixed' } };
  const random = seededRandom(settings.seed);
  const now = new Date('2026-06-01T03:00:00Z');
  const results = Object.fromEntries(
    simulatedPolicies.map((policy) => [
      policy,
      {
        emailed: 0,
        heldOut: 0,
        skipped: {} as Record<string, number>,
        expectedMarginMinor: 0,
        realisedMarginMinor: 0,
        discountGivenMinor: 0,
        emailedByType: { persuadable: 0, sure_thing: 0, lost_cause: 0, do_not_disturb: 0 },
      },
    ]),
  ) as Record<
    SimulatedPolicy,
    {
      emailed: number;
      heldOut: number;
      skipped: Record<string, number>;
      expectedMarginMinor: number;
      realisedMarginMinor: number;
      discountGivenMinor: number;
      emailedByType: Record<ResponseType, number>;
    }
  >;
  // The uplift policy's own ledger: what it emailed and held out, with the features it decided on.
  const ledger: { night: number; row: UpliftRow; segment: string; arm: string; marginMinor: number }[] = [];
  let plan: CampaignPolicyPlan = planCampaignPolicy(campaign, undefined, settings.seed);
  let upliftNights = 0;

  const outcome = (sim: SimCustomer, emailed: boolean, offerCostMinor: number) => {
    const p = responseProbabilities[sim.type];
    const aov = sim.customer.summary.averageOrderValueMinor;
    const margin = (aov * settings.orderMarginPercent) / 100;
    const expectedAnyway = p.notEmailed * margin;
    if (!emailed) return { ordered: sim.draw < p.notEmailed, expected: 0, realised: 0 };
    const ordered = sim.draw < p.emailed;
    const orderedAnyway = sim.draw < p.notEmailed;
    return {
      ordered,
      expected: p.emailed * (margin - offerCostMinor) - expectedAnyway - settings.costPerEmailMinor,
      realised: (ordered ? margin - offerCostMinor : 0) - (orderedAnyway ? margin : 0) - settings.costPerEmailMinor,
      discount: ordered ? offerCostMinor : 0,
    };
  };
  const book = (policy: SimulatedPolicy, sim: SimCustomer, emailed: boolean, offerCostMinor: number) => {
    const result = results[policy];
    const o = outcome(sim, emailed, offerCostMinor);
    if (emailed) {
      result.emailed += 1;
      result.emailedByType[sim.type] += 1;
      result.discountGivenMinor += o.discount ?? 0;
    }
    result.expectedMarginMinor += o.expected;
    result.realisedMarginMinor += o.realised;
    return o;
  };
  const skip = (policy: SimulatedPolicy, reason: string) => {
    results[policy].skipped[reason] = (results[policy].skipped[reason] ?? 0) + 1;
  };

  for (let night = 0; night < settings.nights; night++) {
    if (night % settings.refitEvery === 0) plan = planCampaignPolicy(campaign, historyOf(ledger, night - settings.windowNights), settings.seed + night);
    if (plan.used === 'uplift') upliftNights += 1;
    const policy = customerPolicy({ [campaign.id]: plan });
    for (const sim of newCustomers(night, settings.customersPerNight, random, settings.seed)) {
      const { customer, classification } = sim;
      const aov = customer.summary.averageOrderValueMinor;

      // everyone: the configured split, holdout kept.
      const fixed = assignArm(customer.customerId, everyoneCampaign);
      if (fixed.arm === 'holdout') {
        results.everyone.heldOut += 1;
        book('everyone', sim, false, 0);
      } else
        book(
          'everyone',
          sim,
          true,
          orderEconomics(aov, settings.orderMarginPercent, offerOf(campaign, fixed.variant, classification.valueAtStakeMinor)).offerCostMinor,
        );

      // best: knows the kind; the cheapest offer.
      const cheapest = [...campaign.experiment.variants]
        .map((variant) => orderEconomics(aov, settings.orderMarginPercent, offerOf(campaign, variant, classification.valueAtStakeMinor)).offerCostMinor)
        .sort((a, b) => a - b)[0]!;
      const p = responseProbabilities[sim.type];
      const margin = (aov * settings.orderMarginPercent) / 100;
      if (p.emailed * (margin - cheapest) - p.notEmailed * margin - settings.costPerEmailMinor > 0) book('best', sim, true, cheapest);
      else {
        skip('best', sim.type);
        book('best', sim, false, 0);
      }

      // uplift: as a night's per-customer rules decide (decisions.ts), then the ledger it learns from.
      const assigned = assignArm(customer.customerId, policy.campaignFor(campaign, customer, classification));
      const variant = assigned.arm === 'treatment' ? assigned.variant : variantFor(customer.customerId, campaign);
      const features = featuresFor(customer, classification, campaign, variant, now);
      const verdict = policy.target(campaign, customer, classification, variant, features);
      if (verdict && !verdict.email) {
        skip('uplift', verdict.reason);
        book('uplift', sim, false, 0);
        continue;
      }
      const treated = assigned.arm === 'treatment';
      const offerCostMinor = orderEconomics(aov, settings.orderMarginPercent, offerOf(campaign, variant, classification.valueAtStakeMinor)).offerCostMinor;
      if (!treated) results.uplift.heldOut += 1;
      const o = book('uplift', sim, treated, treated ? offerCostMinor : 0);
      const value = o.ordered ? aov - (treated ? offerCostMinor : 0) : 0;
      const marginMinor = o.ordered ? margin - (treated ? offerCostMinor : 0) : 0;
      ledger.push({
        night,
        row: { features: featureVector(features), treated, outcome: o.ordered ? 1 : 0, value },
        segment: offerSegment(features),
        arm: treated ? variant.id : 'holdout',
        marginMinor,
      });
    }
  }
  const { model: _model, ...lastPlan } = plan;
  return { nights: settings.nights, customers: settings.nights * settings.customersPerNight, policies: results, upliftNights, lastPlan };
}

/** The rows whose windows have closed by the night `closedBy`, as ledger-training.ts builds them from a real ledger. */
function historyOf(
  ledger: readonly { night: number; row: UpliftRow; segment: string; arm: string; marginMinor: number }[],
  closedBy: number,
): CampaignHistory | undefined {
  const closed = ledger.filter((entry) => entry.night <= closedBy);
  if (closed.length === 0) return undefined;
  const arms: Record<string, Record<string, ArmStats>> = {};
  for (const entry of closed) {
    const segment = (arms[entry.segment] ??= {});
    segment[entry.arm] = addToArm(segment[entry.arm] ?? emptyArm(), entry.marginMinor);
  }
  return {
    rows: closed.map((entry) => entry.row),
    treated: closed.filter((entry) => entry.row.treated).length,
    control: closed.filter((entry) => !entry.row.treated).length,
    arms,
  };
}
