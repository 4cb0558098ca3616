import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeStepFailure, failureReasonLimit } from '../../lib/lambda/step-failure.js';

describe('describeStepFailure', () => {
  it('reads a Lambda error envelope out of the Cause and leaves its trace behind', () => {
    // Prepare: what a Catch delivers after the segment worker threw on every retry
    const failure = {
      Error: 'ProvisionedThroughputExceededException',
      Cause: JSON.stringify({
        errorType: 'ProvisionedThroughputExceededException',
        errorMessage: 'Throughput exceeds the current capacity of your table',
        trace: ['at scan (file:///var/task/index.mjs:1:2)'],
      }),
    };
    // Act
    const reason = describeStepFailure(failure);
    // Assess
    expect(reason).toBe('ProvisionedThroughputExceededException: Throughput exceeds the current capacity of your table');
  });

  it('keeps both names when the Error differs from the errorType (a Lambda.Unknown around a runtime error)', () => {
    const reason = describeStepFailure({
      Error: 'Lambda.Unknown',
      Cause: '{"errorType":"Runtime.ImportModuleError","errorMessage":"Cannot find package \'@smithy/x\'"}',
    });
    expect(reason).toBe("Lambda.Unknown: Runtime.ImportModuleError: Cannot find package '@smithy/x'");
  });

  it("takes a States.* error's plain-text Cause as it is", () => {
    expect(describeStepFailure({ Error: 'States.Timeout', Cause: 'The task timed out after 900 seconds.' })).toBe(
      'States.Timeout: The task timed out after 900 seconds.',
    );
    expect(describeStepFailure({ Error: 'States.Runtime', Cause: '{not json' })).toBe('States.Runtime: {not json');
    expect(describeStepFailure({})).toBe('a step of the night failed');
  });

  it("never throws and stays within the run record's limit, whatever the Cause holds", () => {
    fc.assert(
      fc.property(
        fc.record({
          Error: fc.option(fc.string(), { nil: undefined }),
          Cause: fc.option(fc.oneof(fc.string(), fc.json(), fc.string({ minLength: 3000 })), { nil: undefined }),
        }),
        (failure) => {
          const reason = describeStepFailure(failure as { Error?: string; Cause?: string });
          expect(reason.length).toBeGreaterThan(0);
          expect(reason.length).toBeLessThanOrEqual(failureReasonLimit);
        },
      ),
    );
  });
});
