import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Campaign, parseCampaignConfig } from '../../lib/config/campaign-config.js';
import defaultConfig from '../../lib/config/default-campaign-config.json' with { type: 'json' };
import { classify } from '../../lib/domain/classification.js';
import { instantAt } from '../../lib/domain/dates.js';
import { decide } from '../../lib/domain/decisions.js';
import type { ReportedSend } from '../../lib/domain/sends.js';
import { campaignHistories, ledgerUnits, offerSegment } from '../../lib/domain/uplift/ledger-training.js';
import type { CustomerPolicy } from '../../lib/domain/uplift/night-policy.js';
import { customerPolicy, featuresFor, planCampaignPolicy, variantFor } from '../../lib/domain/uplift/night-policy.js';
import { type ArmStats, addToArm, allocateOffers, emptyArm } from '../../lib/domain/uplift/offer-allocation.js';
import { type DecisionFeatures, expectedIncrementalMargin, featureVector, targetingVerdict } from '../../lib/domain/uplift/targeting.js';
import { campaignUpliftReport } from '../../lib/domain/uplift/uplift-report.js';
import { simulatePolicies } from '../../lib/local/policy-simulation.js';
import { planNight, simulatedResponseType } from '../../lib/local/simulation.js';
import { customerFrom, shopTimeZone, testConfig } from '../support/customers.js';

const features: DecisionFeatures = {
  recencyDays: 200,
  orders: 2,
  spendMinor: 8000,
  averageOrderMinor: 4000,
  pAlive: null,
  clvMinor: null,
  status: 'lost',
  reasons: 'overdue_own_cadence',
  offerValue: 15,
  daysSinceLastEmail: null,
};
const economics = { orderMarginMinor: 2000, offerCostMinor: 600, emailCostMinor: 10 };

function campaign(overrides: Partial<Campaign> = {}): Campaign {
  const lost = parseCampaignConfig(defaultConfig).campaigns.find((c) => c.id === 'lost-winback')!;
  return { ...lost, ...overrides };
}

describe('uplift targeting: the expected incremental margin and the reason a customer is skipped', () => {
  it('emails a persuadable customer: the orders it adds pay for the offer and the email', () => {
    // Act
    const verdict = targetingVerdict({ pTreated: 0.15, pControl: 0.03, ...economics });
    // Assess: 0.15 x (2000 - 600) - 0.03 x 2000 - 10 = 140
    expect(verdict).toEqual({ email: true, marginMinor: expect.closeTo(140, 6) });
  });

  it('skips a sure thing: the offer would mostly pay people who come back anyway', () => {
    const verdict = targetingVerdict({ pTreated: 0.32, pControl: 0.3, ...economics });
    expect(verdict).toMatchObject({ email: false, reason: 'sure_thing' });
    // The discount not given away: 0.3 x 600.
    expect(verdict.email === false && verdict.discountSavedMinor).toBeCloseTo(180, 6);
  });

  it('skips a lost cause: the few orders it adds do not pay for the email', () => {
    expect(targetingVerdict({ pTreated: 0.012, pControl: 0.004, ...economics })).toMatchObject({ email: false, reason: 'lost_cause' });
  });

  it('skips a do-not-disturb customer: the email lowers their chance of ordering', () => {
    expect(targetingVerdict({ pTreated: 0.04, pControl: 0.1, ...economics })).toMatchObject({ email: false, reason: 'do_not_disturb' });
  });

  it('emails exactly when the expected incremental margin is positive, whatever the inputs', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 1000 }),
        (pTreated, pControl, orderMarginMinor, offerCostMinor, emailCostMinor) => {
          const inputs = { pTreated, pControl, orderMarginMinor, offerCostMinor, emailCostMinor };
          const verdict = targetingVerdict(inputs);
          expect(verdict.email).toBe(expectedIncrementalMargin(inputs) > 0);
          if (!verdict.email && pTreated < pControl) expect(verdict.reason).toBe('do_not_disturb');
        },
      ),
    );
  });

  it('turns unreadable stored features into missing values, never into numbers', () => {
    const vector = featureVector({ ...features, recencyDays: Number.NaN, status: 7 as unknown as string });
    expect(vector[0]).toBeNull();
    expect(vector[6]).toBeNull();
  });
});

describe('learning from the ledger: sends and holdouts with closed windows', () => {
  const send = (customerId: string, status: 'sent' | 'held_out', reservedAt: string, extra: Partial<ReportedSend> = {}): ReportedSend => ({
    customerId,
    campaignId: 'lost-winback',
    episode: '2026-01-01',
    step: 0,
    asOf: reservedAt.slice(0, 10),
    reservedAt,
    status,
    arm: status === 'held_out' ? 'holdout' : 'control',
    features,
    ...extra,
  });

  it('makes one row per customer and campaign: treated when emailed, control when held out, outcome an order in the window', () => {
    // Prepare
    const sends = [
      send('a', 'sent', '2026-03-01T03:00:00Z', { offerCode: 'WB-A', offer: { kind: 'percent', value: 20 } }),
      send('b', 'held_out', '2026-03-01T03:00:00Z'),
      send('c', 'sent', '2026-03-01T03:00:00Z'),
    ];
    const orders: Record<string, { customerId: string; orderId: string; placedAt: string; totalMinor: number; currency: string; couponCodes?: string[] }[]> = {
      a: [{ customerId: 'a', orderId: '1', placedAt: '2026-03-03T10:00:00Z', totalMinor: 8000, currency: 'EUR', couponCodes: ['WB-A'] }],
      b: [{ customerId: 'b', orderId: '2', placedAt: '2026-03-20T10:00:00Z', totalMinor: 5000, currency: 'EUR' }],
    };
    // Act
    const units = ledgerUnits(sends, 7, '2026-04-01T00:00:00Z');
    const history = campaignHistories(
      units,
      (id) => orders[id] ?? [],
      7,
      () => 40,
      { freeShippingMinor: 0 },
    ).get('lost-winback')!;
    // Assess
    expect(history.treated).toBe(2);
    expect(history.control).toBe(1);
    expect(history.rows.map((row) => [row.treated, row.outcome, row.value])).toEqual([
      [true, 1, 6000], // 8000 paid with 20% off: 2000 given away
      [false, 0, 0], // ordered, but after the 7-day window
      [true, 0, 0],
    ]);
    expect(history.arms[offerSegment(features)]!.control!.customers).toBe(2);
  });

  it('leaves out customers whose window is still open and entries recorded without features', () => {
    const units = ledgerUnits(
      [send('a', 'sent', '2026-03-28T03:00:00Z'), send('b', 'held_out', '2026-03-01T03:00:00Z', { features: undefined })],
      7,
      '2026-04-01T00:00:00Z',
    );
    expect(units).toEqual([]);
  });
});

describe('the night plan: uplift targeting falls back to everyone with too little data, and says so', () => {
  it('uses everyone under uplift while the ledger holds fewer emailed or held-out customers than required', () => {
    // Act
    const plan = planCampaignPolicy(campaign({ targeting: 'uplift' }), { rows: [], treated: 150, control: 20, arms: {} });
    // Assess
    expect(plan.used).toBe('everyone');
    expect(plan.reason).toMatch(/too little data for uplift targeting: 150 emailed and 20 held-out .* needs 200 and 100/);
    expect(customerPolicy({ 'lost-winback': plan }).target(campaign(), {} as never, {} as never, campaign().experiment.variants[0]!, features)).toBeUndefined();
  });

  it('never fits a model for a campaign that emails everyone', () => {
    const plan = planCampaignPolicy(campaign({ targeting: 'everyone' }), { rows: [], treated: 5000, control: 5000, arms: {} });
    expect(plan).toMatchObject({ used: 'everyone' });
    expect(plan.reason).toBeUndefined();
    expect(plan.model).toBeUndefined();
  });

  it('keeps a holdout customer on the variant they would have got, so the features record that offer', () => {
    const c = campaign();
    const ids = Array.from({ length: 200 }, (_, i) => `c${i}`);
    const offers = new Set(ids.map((id) => variantFor(id, c).id));
    expect(offers).toEqual(new Set(['control', 'bigger-first-offer']));
    const customer = {
      customerId: 'x',
      consent: { state: 'subscribed', source: 't', updatedAt: '' },
      summary: { orderCount: 1, purchaseDays: 1, totalSpendMinor: 3000, averageOrderValueMinor: 3000, recentPurchaseDays: [], lastProducts: [] },
      createdAt: '',
    } as const;
    expect(featuresFor(customer, { status: 'lost', valueAtStakeMinor: 0, priority: 0 }, c, c.experiment.variants[1]!, new Date()).offerValue).toBe(20);
  });
});

describe('offer sizing by Thompson sampling', () => {
  const arm = (customers: number, meanMinor: number, sdMinor: number): ArmStats => {
    let stats = emptyArm();
    for (let i = 0; i < customers; i++) stats = addToArm(stats, meanMinor + (i % 2 === 0 ? sdMinor : -sdMinor));
    return stats;
  };

  it('gives most new customers to the variant that clearly earns more margin, never less than the floor to the other', () => {
    // Act
    const allocation = allocateOffers({ small: arm(3000, 120, 600), big: arm(3000, 60, 600) }, arm(500, 20, 400), { minShare: 0.1 });
    // Assess
    expect(allocation.leader).toBe('small');
    expect(allocation.shares.big).toBeCloseTo(0.1, 2);
    expect(allocation.shares.small).toBeCloseTo(0.9, 2);
    expect(allocation.leaderIncrementalMinor).toBeCloseTo((120 * 3000) / 3010 - 20, 0);
  });

  it('splits evenly while there is no evidence either way', () => {
    const allocation = allocateOffers({ a: emptyArm(), b: emptyArm() }, undefined, { minShare: 0.1 });
    expect(allocation.shares.a).toBeGreaterThan(0.4);
    expect(allocation.shares.b).toBeGreaterThan(0.4);
  });

  it('keeps every share at or above the floor and the shares summing to 1', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: -1000, max: 1000 })), { minLength: 1, maxLength: 5 }),
        fc.double({ min: 0, max: 0.2, noNaN: true }),
        (arms, minShare) => {
          const variants = Object.fromEntries(arms.map(([n, mean], i) => [`v${i}`, arm(n, mean, 300)]));
          const { shares } = allocateOffers(variants, undefined, { minShare, draws: 200 });
          const values = Object.values(shares);
          expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
          for (const share of values) expect(share).toBeGreaterThanOrEqual(Math.min(minShare, 1 / values.length) - 1e-12);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('the policy simulation: customers with known responses', () => {
  it('earns more incremental margin with uplift targeting than emailing everyone, and less than the oracle', () => {
    // Act: a short run (the bench runs 60 nights of 400 customers)
    const result = simulatePolicies({ nights: 21, customersPerNight: 200, seed: 3 });
    // Assess
    const { everyone, uplift, best } = result.policies;
    expect(result.upliftNights).toBeGreaterThan(0);
    expect(uplift.expectedMarginMinor).toBeGreaterThan(everyone.expectedMarginMinor);
    expect(best.expectedMarginMinor).toBeGreaterThan(uplift.expectedMarginMinor);
    expect(Object.keys(uplift.skipped).every((reason) => ['sure_thing', 'lost_cause', 'do_not_disturb'].includes(reason))).toBe(true);
    expect(uplift.heldOut).toBeGreaterThan(0);
  }, 60_000);
});

describe('deciding with the night policy', () => {
  const asOf = '2026-11-22';
  const pace = { secondOrderGapDays: 40, measuredOn: 100 };
  const config = testConfig((raw) => {
    for (const campaign of raw.campaigns) campaign.experiment.holdoutPercent = 20;
  });
  const { customer } = customerFrom({ name: 'Ana', orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'] });
  const decideWith = (policy: CustomerPolicy | undefined, id: string) => {
    const one = { ...customer, customerId: id };
    return decide(one, classify(one, asOf, pace, config.classification, shopTimeZone), config, asOf, instantAt(asOf, 180, shopTimeZone), policy);
  };
  const skipping = (email: boolean, explored = false): CustomerPolicy => ({
    campaignFor: (c) => c,
    target: () =>
      email
        ? { email: true, marginMinor: 50, ...(explored ? { explored: true } : {}) }
        : { email: false, reason: 'sure_thing', marginMinor: -120, discountSavedMinor: 90 },
  });

  it('records what the night knew of the customer with every step-0 send or hold, policy or not', () => {
    const decision = decideWith(undefined, 'c-1');
    expect(decision.kind === 'skip' ? undefined : decision.features).toMatchObject({ status: 'lost', orders: 3, reasons: expect.any(String) });
  });

  it('skips a customer the policy would not email, holdout or not, with its reason and the margin it saves', () => {
    const ids = Array.from({ length: 40 }, (_, i) => `c-${i}`);
    const decisions = ids.map((id) => decideWith(skipping(false), id));
    expect(decisions.every((d) => d.kind === 'skip' && d.reason === 'sure_thing' && d.targeting?.discountSavedMinor === 90)).toBe(true);
  });

  it('keeps the holdout under uplift targeting: the customers it chooses still split into holdout and variants', () => {
    const decisions = Array.from({ length: 200 }, (_, i) => decideWith(skipping(true), `h-${i}`));
    expect(decisions.filter((d) => d.kind === 'hold').length).toBeGreaterThan(5);
    expect(decisions.filter((d) => d.kind === 'send').length).toBeGreaterThan(150);
  });

  it('marks a customer chosen for exploration', () => {
    const decision = decideWith(skipping(true, true), 'x-1');
    expect(decision.kind !== 'skip' && decision.explored).toBe(true);
  });
});

describe('the report: uplift by segment, offers, the customers not emailed and the margin saved', () => {
  const unit = (customerId: string, arm: string, treated: boolean, orders: number) => ({
    customerId,
    campaignId: 'lost-winback',
    arm,
    treated,
    features: { ...features, orders },
    exposures: ['2026-03-01T03:00:00Z'],
    coupons: new Map(),
  });

  it('shows uplift per segment with its interval, the leading offer, skips by reason (distinct customers) and the nights’ savings', () => {
    // Prepare: repeat buyers, 40 emailed per variant (small: 20 ordered, big: 10), 40 held out (4 ordered)
    const units = [
      ...Array.from({ length: 40 }, (_, i) => unit(`s${i}`, 'small', true, 3)),
      ...Array.from({ length: 40 }, (_, i) => unit(`b${i}`, 'big', true, 3)),
      ...Array.from({ length: 40 }, (_, i) => unit(`h${i}`, 'holdout', false, 3)),
    ];
    const bought = new Set([
      ...Array.from({ length: 20 }, (_, i) => `s${i}`),
      ...Array.from({ length: 10 }, (_, i) => `b${i}`),
      ...Array.from({ length: 4 }, (_, i) => `h${i}`),
    ]);
    const ordersOf = (customerId: string) =>
      bought.has(customerId) ? [{ customerId, orderId: customerId, placedAt: '2026-03-02T10:00:00Z', totalMinor: 5000, currency: 'EUR' }] : [];
    // Act
    const report = campaignUpliftReport({
      units,
      ordersOf,
      windowDays: 7,
      marginPercent: 40,
      estimate: { freeShippingMinor: 0 },
      skips: [
        { customerId: 'x', reason: 'sure_thing' },
        { customerId: 'x', reason: 'sure_thing' },
        { customerId: 'y', reason: 'do_not_disturb' },
        { customerId: 'z', reason: 'cooldown' },
      ],
      nights: [
        { night: '2026-03-01', targeting: { targeting: 'uplift', used: 'everyone', reason: 'too little data', treated: 0, control: 0 } },
        {
          night: '2026-03-02',
          targeting: {
            targeting: 'uplift',
            used: 'uplift',
            cvQini: 0.08,
            treated: 300,
            control: 120,
            explored: 3,
            marginSavedMinor: 1500,
            discountSavedMinor: 700,
          },
        },
      ],
    });
    // Assess
    const segment = report.bySegment[0]!;
    expect(segment).toMatchObject({ segment: 'lost/repeat', treated: { customers: 80, converted: 30 }, holdout: { customers: 40, converted: 4 } });
    expect(segment.uplift).toBeCloseTo(30 / 80 - 4 / 40, 9);
    expect(segment.ci95![0]).toBeGreaterThan(0);
    expect(report.offers[0]!.leader).toBe('small');
    expect(report.offers[0]!.variants.find((row) => row.variant === 'small')!.incrementalMinor).toBeCloseTo((20 * 2000) / 40 - (4 * 2000) / 40, 6);
    expect(report.notEmailed).toEqual({ sure_thing: 1, lost_cause: 0, do_not_disturb: 1 });
    expect(report.nights).toEqual({ uplift: 1, everyone: 1, explored: 3, marginSavedMinor: 1500, discountSavedMinor: 700 });
    expect(report.latest).toMatchObject({ night: '2026-03-02', used: 'uplift' });
  });
});

describe('winback simulate: customers with known responses', () => {
  it('makes comparable customers buy at their kind’s rate: recent regulars often, long-gone one-time buyers rarely', () => {
    // Prepare
    const regular = customerFrom({ name: 'Reg', orderDays: ['2026-08-01', '2026-09-01', '2026-10-01', '2026-10-20'] }).customer;
    const gone = customerFrom({ name: 'Gon', orderDays: ['2025-12-01'] }).customer;
    const many = (customer: typeof regular, prefix: string) => Array.from({ length: 1500 }, (_, i) => ({ ...customer, customerId: `${prefix}-${i}` }));
    const plan = (comparable: (typeof regular)[]) =>
      planNight({ night: '2026-11-22', seed: 5, shopTimeZone, currency: 'EUR', emailed: [], comparable, active: [] });
    // Act
    const regulars = new Set(plan(many(regular, 'r')).orders.map((order) => order.customer.customerId)).size / 1500;
    const goneOnes = new Set(plan(many(gone, 'g')).orders.map((order) => order.customer.customerId)).size / 1500;
    // Assess: 75% follow the pattern (sure thing 30%, lost cause 1%), 25% are drawn at random (mean 11%)
    expect(simulatedResponseType({ ...regular, customerId: 'x-pattern' }, '2026-11-22')).toMatch(/sure_thing|persuadable|lost_cause|do_not_disturb/);
    expect(regulars).toBeGreaterThan(0.2);
    expect(regulars).toBeLessThan(0.31);
    expect(goneOnes).toBeLessThan(0.07);
  });
});
