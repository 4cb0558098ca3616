import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { estimateFromSample, previewSegmentsFor, type SampledCounts } from '../../lib/usecases/preview-sample.js';
import { segmentsFor } from '../../lib/usecases/run-night.js';

/** A sample's counts: two campaigns, one with two variants, and a few skip reasons. */
function sampleOf(counts: {
  nudge: number;
  nudgeB: number;
  winback: number;
  heldOut: number;
  capped: number;
  active: number;
  unsubscribed: number;
}): SampledCounts {
  const nudgeSent = counts.nudge + counts.nudgeB;
  return {
    customersScanned: nudgeSent + counts.winback + counts.heldOut + counts.capped + counts.active + counts.unsubscribed,
    active: counts.active,
    atRisk: nudgeSent + counts.heldOut + counts.capped + counts.unsubscribed,
    lost: counts.winback,
    noOrders: 0,
    emailsSent: nudgeSent + counts.winback,
    emailsQueued: 0,
    emailsScheduled: 0,
    heldOut: counts.heldOut,
    sentByCampaign: { 'at-risk-nudge': nudgeSent, 'lost-winback': counts.winback },
    campaigns: {
      'at-risk-nudge': { sent: nudgeSent, queued: 0, scheduled: 0, heldOut: counts.heldOut, byVariant: { a: counts.nudge, b: counts.nudgeB } },
      'lost-winback': { sent: counts.winback, queued: 0, scheduled: 0, heldOut: 0, byVariant: { a: counts.winback } },
    },
    skipped: { active: counts.active, unsubscribed: counts.unsubscribed, ...(counts.capped ? { daily_cap: counts.capped } : {}) },
  };
}

describe('a preview estimated from a sample of segments', () => {
  it('scales every count by the share scanned when the daily cap is far away', () => {
    // Prepare: a quarter of the shop
    const sample = sampleOf({ nudge: 30, nudgeB: 10, winback: 15, heldOut: 5, capped: 0, active: 100, unsubscribed: 3 });
    // Act
    const estimate = estimateFromSample(sample, 0.25, 1_000_000);
    // Assess
    const times4 = (value: number) => value * 4;
    expect(estimate.customersScanned).toBe(times4(sample.customersScanned));
    expect(estimate.emailsSent).toBe(times4(sample.emailsSent));
    expect(estimate.heldOut).toBe(times4(sample.heldOut));
    expect(estimate.campaigns['at-risk-nudge']).toEqual({
      sent: times4(40),
      queued: 0,
      scheduled: 0,
      heldOut: times4(5),
      byVariant: { a: times4(30), b: times4(10) },
    });
    expect(estimate.sentByCampaign).toEqual({ 'at-risk-nudge': times4(40), 'lost-winback': times4(15) });
    expect(estimate.skipped).toEqual({ active: times4(100), unsubscribed: times4(3) });
  });

  it("holds the estimate to the daily cap, keeps each campaign's share of it and counts the rest as daily_cap", () => {
    // Prepare: a tenth of the shop wanting 60 emails (5 of them refused by the cap already): 600 in the whole shop
    const sample = sampleOf({ nudge: 30, nudgeB: 0, winback: 25, heldOut: 0, capped: 5, active: 10, unsubscribed: 0 });
    const cap = 220;
    // Act
    const estimate = estimateFromSample(sample, 0.1, cap);
    // Assess
    expect(estimate.emailsSent).toBe(cap);
    expect(estimate.skipped.daily_cap).toBe((sample.emailsSent + 5) * 10 - cap);
    expect(estimate.campaigns['at-risk-nudge']!.sent).toBe(Math.round((30 / 55) * cap));
    expect(estimate.campaigns['lost-winback']!.sent).toBe(Math.round((25 / 55) * cap));
    expect(estimate.active).toBe(100);
  });

  it('changes nothing when the sample is the whole shop', () => {
    const sample = sampleOf({ nudge: 7, nudgeB: 2, winback: 4, heldOut: 1, capped: 3, active: 9, unsubscribed: 1 });
    // The night held these to the cap already: 13 sent is the cap.
    expect(estimateFromSample(sample, 1, sample.emailsSent)).toEqual(sample);
  });

  it.each([0, -0.5, 1.5, Number.NaN])('refuses a share of %s, naming it', (fraction) => {
    expect(() => estimateFromSample(sampleOf({ nudge: 1, nudgeB: 0, winback: 0, heldOut: 0, capped: 0, active: 0, unsubscribed: 0 }), fraction, 10)).toThrow(
      /fraction/,
    );
  });

  it('never estimates more emails than the cap, and accounts for every email the sample wanted', () => {
    fc.assert(
      fc.property(
        fc.record({
          nudge: fc.nat(500),
          nudgeB: fc.nat(500),
          winback: fc.nat(500),
          heldOut: fc.nat(100),
          capped: fc.nat(200),
          active: fc.nat(1_000),
          unsubscribed: fc.nat(50),
        }),
        fc.integer({ min: 1, max: 1_000 }),
        fc.nat(100_000),
        (counts, parts, cap) => {
          const fraction = 1 / parts;
          const sample = sampleOf(counts);
          const estimate = estimateFromSample(sample, fraction, cap);
          const wanted = (sample.emailsSent + counts.capped) / fraction;
          expect(estimate.emailsSent).toBeLessThanOrEqual(cap);
          // Each campaign is rounded on its own: the parts add up to within one email per campaign.
          const byCampaign = Object.values(estimate.campaigns).reduce((sum, campaign) => sum + campaign.sent, 0);
          expect(Math.abs(byCampaign - estimate.emailsSent)).toBeLessThanOrEqual(2);
          if (sample.emailsSent > 0) expect(Math.abs(estimate.emailsSent + (estimate.skipped.daily_cap ?? 0) - wanted)).toBeLessThanOrEqual(1);
          expect(Math.abs(estimate.customersScanned - sample.customersScanned / fraction)).toBeLessThanOrEqual(0.5);
        },
      ),
    );
  });
});

describe('segments of a preview that may stop early', () => {
  it("are never fewer than the night's, hold about 2,000 customers each and stop at 1,000", () => {
    expect(previewSegmentsFor(5_000, segmentsFor(5_000))).toBe(segmentsFor(5_000));
    expect(previewSegmentsFor(1_000_000, segmentsFor(1_000_000))).toBe(500);
    expect(previewSegmentsFor(50_000_000, segmentsFor(50_000_000))).toBe(1_000);
  });
});
