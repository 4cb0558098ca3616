/**
 * The domain's own errors: what it found wrong with a value from outside, named and carrying its cause (as
 * Powertools' ParseError does). They know nothing of HTTP: lib/http/errors.ts maps them to a 400 at the edge, the
 * import reports them per row, the SES event handler logs and drops the event.
 */

/** A value from outside breaks a rule: `field` names where (`line_items[0].price`), `problem` what is wrong. */
export class InvalidInputError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${problem}`, options);
    this.name = 'InvalidInputError';
  }
}

/** The text is not JSON the domain can read (a syntax error, not UTF-8, nested too deep). */
export class MalformedJsonError extends Error {
  constructor(
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(problem, options);
    this.name = 'MalformedJsonError';
  }
}

export const invalidInput = (field: string, problem: string, cause?: unknown) => new InvalidInputError(field, problem, { cause });
export const invalidJson = (problem: string, cause?: unknown) => new MalformedJsonError(problem, { cause });
