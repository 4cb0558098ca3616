import { describe, expect, it } from 'vitest';
import { averageTreatmentEffect, evaluateUplift, qiniCoefficient, qiniCurve, upliftAtK } from '../../lib/domain/uplift/evaluation.js';

// Four customers: a treated responder, a treated non-responder, a control non-responder, a control responder.
const outcome = [1, 0, 0, 1];
const treated = [true, true, false, false];

describe('Qini curve and coefficient (scikit-uplift definitions), against hand-computed examples', () => {
  it('gives the curve Q(n) = Y_t - Y_c N_t / N_c, with the ratio 0 while no control row is in', () => {
    // Prepare: the perfect order
    const uplift = [0.9, 0.5, 0.3, 0.1];
    // Act
    const curve = qiniCurve(outcome, treated, uplift);
    // Assess: n=1..3 hold one treated responder and no control responder; n=4 adds one control responder of two
    expect(curve).toEqual({ n: [0, 1, 2, 3, 4], q: [0, 1, 1, 1, 0] });
  });

  it('scores the perfect ranking 1 and the reversed one -1/6', () => {
    // Prepare
    const perfect = [0.9, 0.5, 0.3, 0.1];
    const reversed = [0.1, 0.3, 0.5, 0.9];
    // Act
    const best = qiniCoefficient(outcome, treated, perfect);
    const worst = qiniCoefficient(outcome, treated, reversed);
    // Assess: reversed curve 0, 0, -0.5, 0 has area -0.5; the perfect curve's area over random is 3
    expect(best).toBeCloseTo(1, 12);
    expect(worst).toBeCloseTo(-0.5 / 3, 12);
  });

  it('treats tied predictions as one step: all-equal predictions are exactly random (0)', () => {
    // Prepare
    const outcomes = [1, 0, 1, 1, 0, 0];
    const arms = [true, false, true, false, true, false];
    // Act
    const curve = qiniCurve(outcomes, arms, [0.2, 0.2, 0.2, 0.2, 0.2, 0.2]);
    const coefficient = qiniCoefficient(outcomes, arms, [0.2, 0.2, 0.2, 0.2, 0.2, 0.2]);
    // Assess
    expect(curve.n).toEqual([0, 6]);
    expect(coefficient).toBeCloseTo(0, 12);
  });

  it('is NaN when no ranking can beat random (no responders at all)', () => {
    expect(qiniCoefficient([0, 0, 0, 0], treated, [4, 3, 2, 1])).toBeNaN();
  });

  it('refuses arrays of different lengths', () => {
    expect(() => qiniCurve([1, 0], [true], [1, 2])).toThrow(RangeError);
  });
});

describe('uplift at top k, against random targeting', () => {
  // Ten customers ranked by predicted uplift (10 highest); treated are the even positions.
  const predicted = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
  const arms = predicted.map((_, i) => i % 2 === 0);
  const outcomes = [1, 0, 0, 0, 1, 1, 0, 1, 0, 1];

  it('compares treated and control rates among the top ceil(k N) rows', () => {
    // Act
    const top30 = upliftAtK(outcomes, arms, predicted, 0.3);
    // Assess: top 3 = rows 0 (treated, 1), 1 (control, 0), 2 (treated, 0)
    expect(top30).toMatchObject({ rows: 3, treated: 2, control: 1, treatedRate: 0.5, controlRate: 0 });
    expect(top30.uplift).toBeCloseTo(0.5, 12);
  });

  it('gives the whole population uplift as the random baseline', () => {
    // Act
    const all = averageTreatmentEffect(outcomes, arms);
    // Assess: treated rows 0,2,4,6,8 -> 1,0,1,0,0; control rows 1,3,5,7,9 -> 0,0,1,1,1
    expect(all.uplift).toBeCloseTo(0.4 - 0.6, 12);
  });

  it('is NaN when the top holds no control row, and refuses k outside (0, 1]', () => {
    expect(upliftAtK(outcomes, arms, predicted, 0.1).uplift).toBeNaN();
    expect(() => upliftAtK(outcomes, arms, predicted, 0)).toThrow(RangeError);
    expect(() => upliftAtK(outcomes, arms, predicted, 1.5)).toThrow(RangeError);
  });

  it('evaluates all at once: Qini, top 10/20/30% and a curve at every 5%', () => {
    // Act
    const evaluation = evaluateUplift(outcomes, arms, predicted);
    // Assess
    expect(evaluation.atK.map((k) => k.k)).toEqual([0.1, 0.2, 0.3]);
    expect(evaluation.random).toEqual({ qini: 0, uplift: expect.closeTo(-0.2, 12) });
    expect(evaluation.curve).toHaveLength(21);
    expect(evaluation.curve[20]).toMatchObject({ share: 1 });
    expect(evaluation.curve[20]?.q).toBeCloseTo(evaluation.curve[20]?.randomQ ?? Number.NaN, 12);
    expect(evaluation.qini).toBeCloseTo(qiniCoefficient(outcomes, arms, predicted), 12);
  });
});
