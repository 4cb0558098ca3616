import { describe, expect, it } from 'vitest';
import { assignArm } from '../../lib/domain/assignment.js';
import { classify } from '../../lib/domain/classification.js';
import type { Customer } from '../../lib/domain/customer.js';
import { addDays, instantAt } from '../../lib/domain/dates.js';
import { type Decision, decide } from '../../lib/domain/decisions.js';
import { type CustomerSpec, customerFrom, type RawConfig, shopTimeZone, testConfig } from '../support/customers.js';

const asOf = '2026-11-22';
const pace = { secondOrderGapDays: 40, measuredOn: 100 };
const lostOrders = ['2026-03-01', '2026-04-01', '2026-05-01'];
const nightOf = (day: string) => instantAt(day, 180, shopTimeZone);

function decideFor(customer: Customer, config = testConfig(), day = asOf): Decision {
  return decide(customer, classify(customer, day, pace, config.classification, shopTimeZone), config, day, nightOf(day));
}

function decisionFor(spec: Omit<CustomerSpec, 'name'>, config = testConfig()) {
  return decideFor(customerFrom({ name: 'Ana', ...spec }).customer, config);
}

/** Applies what the night records after a step, as the ledger and profile would. */
function afterStep(customer: Customer, decision: Decision, day: string): Customer {
  if (decision.kind === 'skip') return customer;
  const at = nightOf(day).toISOString();
  return { ...customer, journey: decision.journey, recentEmails: decision.kind === 'send' ? [...(customer.recentEmails ?? []), at] : customer.recentEmails };
}

describe('deciding whom to email', () => {
  it('starts a lost, subscribed customer on step 0 of the lost campaign, keyed to the lapse', () => {
    // Act
    const decision = decisionFor({ orderDays: lostOrders });
    // Assess
    expect(decision).toMatchObject({
      kind: 'send',
      campaign: { id: 'lost-winback' },
      episode: '2026-05-01',
      step: 0,
      journey: { nextStep: 1, startedOn: asOf },
    });
  });

  it.each([
    ['no_email', { email: null }],
    ['no_email', { email: 'not-an-address' }],
    ['unsubscribed', { consent: 'unsubscribed' as const }],
    ['no_consent', { consent: 'not_subscribed' as const }],
    ['no_consent', { consent: 'pending' as const }],
    ['no_consent', { consent: 'unknown' as const }],
  ])('skips with reason %s', (reason, spec) => {
    // Act / Assess
    expect(decisionFor({ orderDays: lostOrders, ...spec })).toMatchObject({ kind: 'skip', reason });
  });

  it('emails a soft opt-in customer', () => {
    expect(decisionFor({ orderDays: lostOrders, consent: 'soft_opt_in' }).kind).toBe('send');
  });

  it.each([
    ['beyond_window', (raw: RawConfig) => (raw.campaigns[1]!.audience.maxDaysSinceLastOrder = 100)],
    ['below_threshold', (raw: RawConfig) => (raw.campaigns[1]!.audience.minValueAtStakeMinor = 1_000_000)],
    ['audience_filter', (raw: RawConfig) => Object.assign(raw.campaigns[1]!.audience, { countries: ['BE'] })],
    ['no_campaign', (raw: RawConfig) => (raw.campaigns[1]!.enabled = false)],
  ])('names the rule that removed the customer: %s', (reason, change) => {
    // Act / Assess
    expect(decisionFor({ orderDays: lostOrders }, testConfig(change))).toMatchObject({ kind: 'skip', reason });
  });

  it('leaves active customers alone', () => {
    expect(decisionFor({ orderDays: ['2026-11-01'] })).toEqual({ kind: 'skip', reason: 'active' });
  });
});

describe('sequences', () => {
  it('advances step by step on day 0, 7 and 14, waits in between, and then is done', () => {
    // Prepare
    let customer = customerFrom({ name: 'Sam', orderDays: lostOrders }).customer;
    const outcomes: string[] = [];
    // Act: a month of nights
    for (let day = 0; day < 30; day += 1) {
      const night = addDays(asOf, day);
      const decision = decideFor(customer, testConfig(), night);
      outcomes.push(decision.kind === 'skip' ? decision.reason : `${decision.kind}:${decision.step}`);
      customer = afterStep(customer, decision, night);
    }
    // Assess
    expect(outcomes[0]).toBe('send:0');
    expect(outcomes[7]).toBe('send:1');
    expect(outcomes[14]).toBe('send:2');
    expect(outcomes.filter((outcome) => outcome.startsWith('send'))).toHaveLength(3);
    expect(new Set(outcomes.slice(1, 7))).toEqual(new Set(['waiting_next_step']));
    expect(new Set(outcomes.slice(15))).toEqual(new Set(['sequence_complete']));
  });

  it('calls a re-run of the same night already sent', () => {
    // Prepare
    const customer = customerFrom({ name: 'Sam', orderDays: lostOrders }).customer;
    const first = decideFor(customer);
    // Act
    const again = decideFor(afterStep(customer, first, asOf));
    // Assess
    expect(again).toMatchObject({ kind: 'skip', reason: 'already_sent' });
  });

  it('stops the sequence when the customer orders again (a new lapse starts over later)', () => {
    // Prepare
    const customer = customerFrom({ name: 'Sam', orderDays: lostOrders }).customer;
    const first = decideFor(customer);
    const ordered = customerFrom({ name: 'Sam', orderDays: [...lostOrders, addDays(asOf, 2)] }).customer;
    // Act
    const next = decideFor({ ...ordered, journey: afterStep(customer, first, asOf).journey }, testConfig(), addDays(asOf, 7));
    // Assess
    expect(next).toEqual({ kind: 'skip', reason: 'active' });
  });

  it('keeps a customer out of a campaign they left during the cooldown', () => {
    // Prepare: left the lost campaign 30 days ago after an earlier lapse
    const customer = customerFrom({ name: 'Cy', orderDays: lostOrders }).customer;
    const left = { ...customer, campaignExits: { 'lost-winback': `${addDays(asOf, -30)}T09:00:00.000Z` } };
    // Act / Assess
    expect(decideFor(left)).toMatchObject({ kind: 'skip', reason: 'cooldown', campaignId: 'lost-winback' });
    expect(
      decideFor(
        left,
        testConfig((raw) => (raw.guardrails.cooldownDays = 20)),
      ).kind,
    ).toBe('send');
  });

  it('holds to the frequency cap across campaigns', () => {
    // Prepare: two emails from another campaign in the last week
    const customer = customerFrom({ name: 'Fi', orderDays: lostOrders }).customer;
    const busy = { ...customer, recentEmails: [`${addDays(asOf, -5)}T09:00:00.000Z`, `${addDays(asOf, -2)}T09:00:00.000Z`] };
    const earlier = { ...customer, recentEmails: [`${addDays(asOf, -9)}T09:00:00.000Z`, `${addDays(asOf, -8)}T09:00:00.000Z`] };
    // Act / Assess
    expect(decideFor(busy)).toMatchObject({ kind: 'skip', reason: 'frequency_cap' });
    expect(decideFor(earlier).kind).toBe('send');
  });
});

describe('experiments', () => {
  it('splits customers into the holdout and variants within statistical tolerance of the weights', () => {
    // Prepare
    const campaign = testConfig((raw) => {
      raw.campaigns[1]!.experiment.holdoutPercent = 10;
      raw.campaigns[1]!.experiment.variants = [
        { id: 'control', weight: 3 },
        { id: 'bigger-first-offer', weight: 1, offerValue: 20 },
      ];
    }).campaigns[1]!;
    const n = 20_000;
    // Act
    const arms = Array.from({ length: n }, (_, index) => assignArm(`${9007199254740993n + BigInt(index)}`, campaign));
    // Assess: within 4 standard deviations of each expected share
    const share = (predicate: (arm: (typeof arms)[number]) => boolean) => arms.filter(predicate).length / n;
    const within = (observed: number, expected: number, of = n) => Math.abs(observed - expected) < 4 * Math.sqrt((expected * (1 - expected)) / of);
    expect(
      within(
        share((arm) => arm.arm === 'holdout'),
        0.1,
      ),
    ).toBe(true);
    const treated = arms.filter((arm) => arm.arm === 'treatment');
    const control = treated.filter((arm) => arm.arm === 'treatment' && arm.variant.id === 'control').length / treated.length;
    expect(within(control, 0.75, treated.length)).toBe(true);
  });

  it('keeps a customer in the same arm across nights and re-entries', () => {
    // Prepare
    const campaign = testConfig((raw) => (raw.campaigns[1]!.experiment.holdoutPercent = 30)).campaigns[1]!;
    const ids = Array.from({ length: 200 }, (_, index) => `c-${index}`);
    // Act
    const first = ids.map((id) => JSON.stringify(assignArm(id, campaign)));
    const again = ids.map((id) => JSON.stringify(assignArm(id, campaign)));
    // Assess
    expect(again).toEqual(first);
  });

  it('records a holdout customer as held, and keeps them held through the sequence', () => {
    // Prepare
    const config = testConfig((raw) => (raw.campaigns[1]!.experiment.holdoutPercent = 50));
    const held = Array.from({ length: 40 }, (_, index) => customerFrom({ name: `H${index}`, orderDays: lostOrders }).customer).find(
      (customer) => decideFor(customer, config).kind === 'hold',
    )!;
    // Act
    const first = decideFor(held, config);
    const week = decideFor(afterStep(held, first, asOf), config, addDays(asOf, 7));
    // Assess
    expect(first).toMatchObject({ kind: 'hold', step: 0, arm: 'holdout' });
    expect(week).toMatchObject({ kind: 'hold', step: 1, arm: 'holdout' });
  });
});
