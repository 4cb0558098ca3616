import { describe, expect, it } from 'vitest';
import {
  type DeliverabilitySettings,
  evaluateGuard,
  guardVerdict,
  guardWindow,
  measureDeliverability,
  type PauseRecord,
} from '../../lib/domain/deliverability.js';
import type { SendRecord } from '../../lib/domain/sends.js';
import { testConfig } from '../support/customers.js';

const settings: DeliverabilitySettings = { bounceRatePause: 0.04, complaintRatePause: 0.0008, minVolume: 200, minComplaints: 1, windowDays: 7 };
/** Tonight is 2026-10-15: the guard measures the 7 nights before it. */
const lastNight = '2026-10-14';
const now = '2026-10-15T01:00:00.000Z';

/** `count` sends of a campaign completed at `at`, the first `bounced` of them bounced and the next `complained` complained. */
function sends(count: number, options: { bounced?: number; complained?: number; campaignId?: string; at?: string } = {}): SendRecord[] {
  const at = options.at ?? '2026-10-14T01:00:00.000Z';
  return Array.from({ length: count }, (_, index) => {
    const bounced = index < (options.bounced ?? 0);
    const complained = !bounced && index < (options.bounced ?? 0) + (options.complained ?? 0);
    return {
      customerId: `c${index}`,
      campaignId: options.campaignId ?? 'lost-winback',
      episode: '2026-03-01',
      step: 0,
      runId: 'run',
      asOf: at.slice(0, 10),
      reservedAt: at,
      status: 'sent' as const,
      completedAt: at,
      messageId: `m${index}`,
      events: { ...(bounced ? { bounced: at } : { delivered: at }), ...(complained ? { complained: at } : {}) },
    };
  });
}

const rates = (list: SendRecord[]) => measureDeliverability(list, guardWindow(lastNight, settings));

describe('the deliverability guard', () => {
  it('ships the thresholds from the issue as the config defaults', () => {
    // Act
    const config = testConfig();
    // Assess
    expect(config.guardrails.deliverability).toEqual({ ...settings, minComplaints: 2 });
  });

  it('pauses at exactly a 4% bounce rate, and not a send below it', () => {
    // Act
    const at = guardVerdict(rates(sends(200, { bounced: 8 })), settings);
    const below = guardVerdict(rates(sends(201, { bounced: 8 })), settings);
    // Assess
    expect(at).toMatchObject({ pause: true, reasons: ['bounce_rate'] });
    expect(at.pause && at.reason).toBe('bounce rate 4% (8 of 200) reached 4% over the 7 nights to 2026-10-14');
    expect(below).toEqual({ pause: false, why: 'within_limits' });
  });

  it('needs at least minComplaints complaints: one complaint in 300 sends is noise under the default of 2', () => {
    // Act
    const one = guardVerdict(rates(sends(300, { complained: 1 })), { ...settings, minComplaints: 2 });
    const two = guardVerdict(rates(sends(300, { complained: 2 })), { ...settings, minComplaints: 2 });
    // Assess
    expect(one).toMatchObject({ pause: false });
    expect(two).toMatchObject({ pause: true, reasons: ['complaint_rate'] });
  });

  it('pauses at exactly a 0.08% complaint rate (1 in 1250), and not at 1 in 1251', () => {
    // Act
    const at = guardVerdict(rates(sends(1250, { complained: 1 })), settings);
    const below = guardVerdict(rates(sends(1251, { complained: 1 })), settings);
    // Assess
    expect(at).toMatchObject({ pause: true, reasons: ['complaint_rate'] });
    expect(below.pause).toBe(false);
  });

  it('does not judge below the minimum volume, however bad the rates', () => {
    // Act
    const verdict = guardVerdict(rates(sends(199, { bounced: 50, complained: 20 })), settings);
    // Assess
    expect(verdict).toEqual({ pause: false, why: 'below_min_volume' });
  });

  it('counts the sends of the last 7 nights, whatever the hour they went out', () => {
    // Prepare: 300 clean sends last night; 100 bounced ones on the night 8 nights before tonight, and 10 clean ones
    // on the night exactly 7 nights before it, sent late in its morning (quiet hours)
    const list = [...sends(300), ...sends(100, { bounced: 100, at: '2026-10-07T01:00:00.000Z' }), ...sends(10, { at: '2026-10-08T07:00:00.000Z' })];
    // Act
    const measured = rates(list);
    // Assess
    expect(measured).toMatchObject({ sent: 310, bounced: 0, firstNight: '2026-10-08', lastNight });
  });

  it('pauses the campaign that crossed a threshold and, when the shop crossed too, all sending', () => {
    // Prepare: lost-winback 300 sends with 2 complaints; at-risk-nudge 2000 clean sends; the shop 2 in 2300 = 0.087%
    const list = [...sends(300, { complained: 2 }), ...sends(2000, { campaignId: 'at-risk-nudge' })];
    // Act
    const evaluation = evaluateGuard({ sends: list, pauses: [], settings, campaignIds: ['at-risk-nudge', 'lost-winback'], lastNight, at: now });
    // Assess
    expect(evaluation.newPauses.map((record) => record.scope)).toEqual([{ kind: 'shop' }, { kind: 'campaign', campaignId: 'lost-winback' }]);
    expect(evaluation.newPauses[1]).toMatchObject({ state: 'paused', reasons: ['complaint_rate'], at: now, rates: { sent: 300, complained: 2 } });
    expect(evaluation.paused.shop).toBe(true);
    expect([...evaluation.paused.campaigns]).toEqual(['lost-winback']);
  });

  it('keeps a pause in force without writing it again, and starts a resumed campaign’s window at its resume', () => {
    // Prepare
    const bad = sends(300, { complained: 3 });
    const paused: PauseRecord = {
      scope: { kind: 'campaign', campaignId: 'lost-winback' },
      state: 'paused',
      reasons: ['complaint_rate'],
      reason: 'x',
      rates: rates(bad),
      thresholds: settings,
      at: '2026-10-14T02:00:00.000Z',
    };
    const resumed: PauseRecord = { ...paused, state: 'resumed', resumedAt: '2026-10-14T12:00:00.000Z', resumedBy: 'ana' };
    const input = { sends: bad, settings, campaignIds: ['lost-winback'], lastNight, at: now };
    // Act
    const stillPaused = evaluateGuard({ ...input, pauses: [paused] });
    const afterResume = evaluateGuard({ ...input, pauses: [resumed] });
    // Assess
    expect(stillPaused.newPauses.filter((record) => record.scope.kind === 'campaign')).toEqual([]);
    expect(stillPaused.paused.campaigns.has('lost-winback')).toBe(true);
    const campaign = afterResume.measured.find((measured) => measured.scope.kind === 'campaign')!;
    expect(campaign.rates).toMatchObject({ resumedAt: '2026-10-14T12:00:00.000Z', sent: 0 });
    expect(afterResume.paused.campaigns.has('lost-winback')).toBe(false);
  });
});
