/**
 * What a Step Functions Catch puts in `$.failure`: `{Error, Cause}`. For a Lambda function's error, `Cause` is the
 * function's error envelope as a JSON string (`{"errorType","errorMessage","trace"}`); for the service's own errors
 * (States.Timeout, States.TaskFailed from an invocation that never ran, Lambda.ServiceException ...) it is plain text.
 */
export interface StepFailure {
  readonly Error?: string;
  readonly Cause?: string;
}

/** Longest reason kept on the run record: the trace stays in the function's logs. */
export const failureReasonLimit = 2_000;

/**
 * One readable line for the run record: "Error: errorType: errorMessage" for a Lambda error (its stack trace left
 * out), "Error: cause" otherwise. Never throws, whatever the Cause holds.
 */
export function describeStepFailure(failure: StepFailure): string {
  const error = typeof failure.Error === 'string' ? failure.Error.trim() : '';
  const cause = typeof failure.Cause === 'string' ? failure.Cause.trim() : '';
  const envelope = lambdaErrorEnvelope(cause);
  const detail = envelope ? [envelope.errorType, envelope.errorMessage].filter(Boolean).join(': ') : cause;
  // A Lambda error's Error is its errorType already: say it once.
  const parts = envelope && envelope.errorType === error ? [detail] : [error, detail];
  const reason = parts.filter(Boolean).join(': ') || 'a step of the night failed';
  return reason.length > failureReasonLimit ? `${reason.slice(0, failureReasonLimit - 1)}…` : reason;
}

function lambdaErrorEnvelope(cause: string): { errorType?: string; errorMessage?: string } | undefined {
  if (!cause.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const { errorType, errorMessage } = parsed as Record<string, unknown>;
    if (typeof errorType !== 'string' && typeof errorMessage !== 'string') return undefined;
    return { ...(typeof errorType === 'string' ? { errorType } : {}), ...(typeof errorMessage === 'string' ? { errorMessage } : {}) };
  } catch {
    return undefined;
  }
}
