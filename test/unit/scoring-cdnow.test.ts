import { createReadStream, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { backtest } from '../../lib/domain/scoring/backtest.js';
import { bgnbdExpectedPurchases, bgnbdUnconditionalExpectedPurchases, fitBgNbd } from '../../lib/domain/scoring/bgnbd.js';
import { parseModelInput, readModelInput } from '../../lib/domain/scoring/csv.js';
import { fitGammaGamma } from '../../lib/domain/scoring/gamma-gamma.js';
import { fitMbgNbd } from '../../lib/domain/scoring/mbgnbd.js';
import { fitParetoNbd } from '../../lib/domain/scoring/pareto-nbd.js';
import type { PurchaseDayLog } from '../../lib/domain/scoring/summary.js';
import type { IdentifiedSummary } from '../../lib/domain/scoring/types.js';

const summaryFile = 'test/fixtures/cdnow/cdnow_customers_summary.csv';
const eventFile = 'test/fixtures/cdnow/cdnow_events.csv';

/** The value rounded to three significant digits, as the published tables print them. */
function threeDigits(value: number): number {
  return Number(value.toPrecision(3));
}

let published: IdentifiedSummary[];
let log: PurchaseDayLog;
let fromEvents: IdentifiedSummary[];

beforeAll(async () => {
  const summary = parseModelInput(readFileSync(summaryFile, 'utf8'));
  if (summary.format !== 'summary') throw new Error('expected the summary format');
  published = summary.summaries;
  const events = await readModelInput(createReadStream(eventFile));
  if (events.format !== 'events') throw new Error('expected the event log format');
  log = events.log;
  fromEvents = log.summaries('1997-09-30', 'weeks');
});

describe('CDNOW: BG/NBD reproduces Fader, Hardie and Lee (2005)', () => {
  it('from the published customer summary', () => {
    // Act
    const fitted = fitBgNbd(published, { timeUnit: 'weeks' });
    // Assess
    expect(fitted.converged).toBe(true);
    expect(fitted.customers).toBe(2357);
    const { r, alpha, a, b } = fitted.params;
    expect([r, alpha, a, b].map(threeDigits)).toEqual([0.243, 4.41, 0.793, 2.43]);
    expect(fitted.logLikelihood).toBeCloseTo(-9582.4, 1);
  });

  it('from the event log, calibration ending 1997-09-30, in weeks', () => {
    // Act
    const fitted = fitBgNbd(fromEvents, { timeUnit: 'weeks' });
    // Assess
    expect(fitted.converged).toBe(true);
    const { r, alpha, a, b } = fitted.params;
    expect([r, alpha, a, b].map(threeDigits)).toEqual([0.243, 4.41, 0.793, 2.43]);
    expect(threeDigits(fitted.logLikelihood)).toBe(-9580);
    expect(Math.abs(fitted.logLikelihood + 9582.4)).toBeLessThan(0.1);
  });

  it('the event log gives the published summary: T runs to the calibration end day itself', () => {
    // Prepare
    const byId = new Map(fromEvents.map((summary) => [String(Number(summary.customerId)), summary]));
    // Act
    const mismatches = published.filter((row) => {
      const mine = byId.get(row.customerId);
      return !mine || mine.x !== row.x || Math.abs(mine.tx - row.tx) > 0.006 || Math.abs(mine.T - row.T) > 0.006;
    });
    // Assess
    expect(fromEvents).toHaveLength(2357);
    expect(mismatches).toEqual([]);
  });

  it("matches Hardie's spreadsheet for expected purchases", () => {
    // Prepare
    const fitted = fitBgNbd(published, { timeUnit: 'weeks' });
    // Act
    const conditional = bgnbdExpectedPurchases(fitted.params, { x: 2, tx: 30.43, T: 38.86 }, 39);
    const unconditional = [0.1429, 1, 3, 31.8571, 32, 78].map((t) => bgnbdUnconditionalExpectedPurchases(fitted.params, t));
    // Assess
    expect(conditional).toBeCloseTo(1.226, 3);
    [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576].forEach((expected, i) => expect(unconditional[i]).toBeCloseTo(expected, 3));
  });

  it('in days: alpha scales by 7 and the log-likelihood shifts by the density change, sum(x) ln 7', () => {
    // Prepare
    const weeks = fitBgNbd(fromEvents, { timeUnit: 'weeks' });
    const days = log.summaries('1997-09-30', 'days');
    // Act
    const fitted = fitBgNbd(days, { timeUnit: 'days' });
    // Assess
    const repeatPurchases = days.reduce((sum, summary) => sum + summary.x, 0);
    expect(fitted.params.alpha / weeks.params.alpha).toBeCloseTo(7, 4);
    expect(fitted.params.r).toBeCloseTo(weeks.params.r, 5);
    expect(fitted.logLikelihood).toBeCloseTo(weeks.logLikelihood - repeatPurchases * Math.log(7), 3);
  });
});

describe('CDNOW: the other models converge to the published estimates', () => {
  it('MBG/NBD (BTYDplus: r 0.525, alpha 6.183, a 0.891, b 1.614)', () => {
    // Act
    const fitted = fitMbgNbd(published, { timeUnit: 'weeks' });
    // Assess
    expect(fitted.converged).toBe(true);
    const { r, alpha, a, b } = fitted.params;
    expect([r, alpha, a, b].map(threeDigits)).toEqual([0.525, 6.18, 0.891, 1.61]);
  });

  it('Pareto/NBD (Fader, Hardie and Lee 2005: r 0.553, alpha 10.578, s 0.606, beta 11.669, LL -9595.0)', () => {
    // Act
    const fitted = fitParetoNbd(published, { timeUnit: 'weeks' });
    // Assess
    expect(fitted.converged).toBe(true);
    const { r, alpha, s, beta } = fitted.params;
    expect([r, alpha, s, beta].map(threeDigits)).toEqual([0.553, 10.6, 0.606, 11.7]);
    expect(Math.abs(fitted.logLikelihood + 9595.0)).toBeLessThan(0.05);
  });

  it('Gamma-Gamma on repeat customers (lifetimes: p 6.25, q 3.74, gamma 15.44)', () => {
    // Act
    const fitted = fitGammaGamma(fromEvents);
    // Assess
    expect(fitted.converged).toBe(true);
    expect(fitted.customers).toBe(946);
    const { p, q, gamma } = fitted.params;
    expect([p, q, gamma].map(threeDigits)).toEqual([6.25, 3.74, 15.4]);
  });
});

describe('CDNOW backtest: calibration to 1997-09-30, holdout to 1998-06-30', () => {
  it('ranks who buys again better than chance and predicts the holdout total within 25%', () => {
    // Act
    const result = backtest(log, { calibrationEnd: '1997-09-30', holdoutEnd: '1998-06-30', timeUnit: 'weeks' });
    // Assess
    expect(result.customers).toBe(2357);
    expect(result.rows.map((row) => row.method)).toEqual(['bgnbd', 'mbgnbd', 'pareto', 'recency']);
    for (const row of result.rows) {
      expect(row.auc).toBeGreaterThan(0.7);
      expect(row.actual).toBe(1882);
      if (row.method !== 'recency') {
        expect(row.converged).toBe(true);
        expect(Math.abs((row.predicted as number) - row.actual) / row.actual).toBeLessThan(0.25);
      }
    }
  });
});
