import { InvalidInputError, MalformedJsonError } from '../domain/errors.js';

/**
 * Errors that carry their HTTP status and a cause, created once here and thrown at the edge; one middleware
 * shapes them into `{"error": ..., "field": ..., "problem": ...}`.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: {
      readonly field?: string;
      readonly problem?: string;
      readonly problems?: readonly { readonly path: string; readonly problem: string }[];
    } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpError';
  }

  body(): Record<string, unknown> {
    return {
      error: this.code,
      ...(this.details.field ? { field: this.details.field } : {}),
      ...(this.details.problem ? { problem: this.details.problem } : {}),
      ...(this.details.problems ? { problems: this.details.problems } : {}),
    };
  }
}

export const badRequest = (field: string, problem: string, cause?: unknown) =>
  new HttpError(400, 'invalid_body', `${field}: ${problem}`, { field, problem }, { cause });
export const malformedJson = (problem: string, cause?: unknown) => new HttpError(400, 'malformed_json', problem, { problem }, { cause });
export const unauthorized = (problem = 'missing or invalid signature') => new HttpError(401, 'unauthorized', problem, { problem });
export const notFound = (problem = 'not found') => new HttpError(404, 'not_found', problem, { problem });
export const payloadTooLarge = (limitBytes: number) =>
  new HttpError(413, 'payload_too_large', `the body exceeds ${limitBytes} bytes`, { problem: `the body exceeds ${limitBytes} bytes` });
export const methodNotAllowed = () => new HttpError(405, 'method_not_allowed', 'method not allowed');
/** Storage failed: the platform must retry, so this is a 5xx, never a 2xx for what was not stored. */
export const storageUnavailable = (cause: unknown) =>
  new HttpError(503, 'storage_unavailable', 'the delivery could not be stored; retry later', { problem: 'storage unavailable' }, { cause });
/** The answer would take longer than the API may wait; the problem says what to do instead. */
export const reportTooSlow = (cause: Error) => new HttpError(503, 'report_too_slow', cause.message, { problem: cause.message }, { cause });

/**
 * The HTTP answer to an error: an HttpError as it is, the domain's errors about outside input as a 400 that names
 * the field; undefined for anything else (a 500 or a 503, the caller decides).
 */
export function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof InvalidInputError) return badRequest(error.field, error.problem, error);
  if (error instanceof MalformedJsonError) return malformedJson(error.problem, error);
  return undefined;
}
