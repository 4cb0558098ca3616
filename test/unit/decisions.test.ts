import { describe, expect, it } from 'vitest';
import { classify } from '../../lib/domain/classification.js';
import { decide } from '../../lib/domain/decisions.js';
import { customerFrom, shopTimeZone, testConfig, type CustomerSpec } from '../support/customers.js';

const asOf = '2026-11-22';
const pace = { secondOrderGapDays: 40, measuredOn: 100 };
const lostOrders = ['2026-03-01', '2026-04-01', '2026-05-01'];

function decisionFor(spec: Omit<CustomerSpec, 'name'>, config = testConfig()) {
  const { customer } = customerFrom({ name: 'Ana', ...spec });
  return decide(customer, classify(customer, asOf, pace, config.classification, shopTimeZone), config, asOf);
}

describe('deciding whom to email', () => {
  it('sends the lost campaign to a lost, subscribed customer, keyed to the lapse', () => {
    // Act
    const decision = decisionFor({ orderDays: lostOrders });
    // Assess
    expect(decision).toMatchObject({ kind: 'send', campaign: { id: 'lost-winback' }, episode: '2026-05-01', step: 0 });
  });

  it.each([
    ['no_email', { email: null }],
    ['no_email', { email: 'not-an-address' }],
    ['unsubscribed', { consent: 'unsubscribed' as const }],
    ['no_consent', { consent: 'not_subscribed' as const }],
    ['no_consent', { consent: 'pending' as const }],
    ['no_consent', { consent: 'unknown' as const }],
    ['recently_emailed', { lastEmailedAt: '2026-11-19T10:00:00.000Z' }],
  ])('skips with reason %s', (reason, spec) => {
    // Act
    const decision = decisionFor({ orderDays: lostOrders, ...spec });
    // Assess
    expect(decision).toEqual({ kind: 'skip', reason });
  });

  it('emails a soft opt-in customer', () => {
    expect(decisionFor({ orderDays: lostOrders, consent: 'soft_opt_in' }).kind).toBe('send');
  });

  it('skips customers gone longer than the campaign reaches back', () => {
    // Prepare
    const config = testConfig((raw) => (raw.campaigns[1]!.thresholds.maxDaysSinceLastOrder = 100));
    // Act / Assess
    expect(decisionFor({ orderDays: lostOrders }, config)).toEqual({ kind: 'skip', reason: 'beyond_window' });
  });

  it('skips customers below the value threshold', () => {
    // Prepare
    const config = testConfig((raw) => (raw.campaigns[1]!.thresholds.minValueAtStakeMinor = 1_000_000));
    // Act / Assess
    expect(decisionFor({ orderDays: lostOrders }, config)).toEqual({ kind: 'skip', reason: 'below_threshold' });
  });

  it('skips when no campaign is enabled for the status', () => {
    // Prepare
    const config = testConfig((raw) => (raw.campaigns[1]!.enabled = false));
    // Act / Assess
    expect(decisionFor({ orderDays: lostOrders }, config)).toEqual({ kind: 'skip', reason: 'no_campaign' });
  });

  it('recognises a step that already went out for this lapse, without a lookup', () => {
    // Prepare
    const { customer } = customerFrom({ name: 'Ana', orderDays: lostOrders });
    const emailed = { ...customer, lastEmailedAt: '2026-11-21T20:00:00.000Z', lastSend: { campaignId: 'lost-winback', episode: '2026-05-01', step: 0, at: '2026-11-21T20:00:00.000Z' } };
    const config = testConfig();
    // Act
    const decision = decide(emailed, classify(emailed, asOf, pace, config.classification, shopTimeZone), config, asOf);
    // Assess
    expect(decision).toEqual({ kind: 'skip', reason: 'already_sent' });
  });

  it('leaves active customers alone', () => {
    expect(decisionFor({ orderDays: ['2026-11-01'] })).toEqual({ kind: 'skip', reason: 'active' });
  });
});
