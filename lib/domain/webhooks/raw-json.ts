import { z } from 'zod';
import { isDeliverableAddress, normalizeEmail } from '../email.js';
import { invalidInput, invalidJson } from '../errors.js';
import { formatPath } from '../field-path.js';
import { describeJsonSyntaxError } from '../json-syntax.js';
import { parseDecimalAmount } from '../money.js';
import { clockSkewMs, earliestPlausibleTime, implausibleTimeProblem } from '../unreadable-record.js';
import { type HttpHeaders, header } from './signatures.js';

/**
 * Reading webhook requests exactly: bodies, the ids and amounts inside them, and the headers a delivery needs.
 *
 * Shop platforms send order and customer ids as JSON numbers that can exceed 2^53 (Shopify `id`, `customer.id`,
 * WooCommerce `id`, `customer_id`); `JSON.parse` would round them to the nearest double and two customers would
 * become one. So, before parsing, every integer literal that is not a safe integer is put in quotes, and it arrives
 * as the exact digit string. Safe integers stay numbers, so schemas accept an id as either and turn it into a string.
 *
 * Why not a regular expression: a digit run inside a string ("note": "call 12345678901234567") must not be touched,
 * so the pass has to know where strings begin and end, which is what the small scanner below does (quotes and
 * backslash escapes, nothing more). Why not a library: `lossless-json` (maintained, ESM) does this properly and would
 * be the choice if it were installed; `json-bigint` is unmaintained and had a prototype-pollution bug. The scanner is
 * a few dozen lines and a property test checks it against JSON.stringify.
 *
 * The parse drops `__proto__`, `constructor` and `prototype` keys (JSON.parse makes them plain own properties, but a
 * later spread or merge could give them effect), and refuses nesting deeper than {@link maxJsonDepth} (no webhook
 * needs more; a reviver on deeper input would overflow the stack).
 */

export const maxJsonDepth = 64;

const dangerousKeys: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const jsonInteger = /^-?(?:0|[1-9]\d*)$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Quotes every integer literal outside strings whose value is not a safe integer; everything else is left as is. */
export function quoteUnsafeIntegers(text: string): string {
  return scan(text).text;
}

export interface JsonParseOptions {
  /**
   * True (the default) turns integers beyond 2^53 into their exact digit strings. A schema of our own that demands
   * string ids (the generic order) passes false, so a number there stays a number and is refused as one.
   */
  readonly exactIntegers?: boolean;
}

/** Parses JSON text, keeping big integers exact (as strings); throws `MalformedJsonError` (a 400 at the edge) for anything that is not JSON. */
export function parseJsonText(text: string, options: JsonParseOptions = {}): unknown {
  const scanned = scan(text);
  if (scanned.depth > maxJsonDepth) throw invalidJson(`JSON nested deeper than ${maxJsonDepth} levels`);
  try {
    const source = options.exactIntegers === false ? text : scanned.text;
    // The reviver costs a call per value; it is needed only when a dangerous key can be in the text at all (spelled
    // out, or hidden behind a \u escape).
    return (mayHoldDangerousKey(source) ? JSON.parse(source, dropDangerousKeys) : JSON.parse(source)) as unknown;
  } catch (error) {
    throw invalidJson(`not valid JSON: ${syntaxProblem(text, error)}`, error);
  }
}

/** Decodes the raw body as UTF-8 (invalid bytes are refused, not replaced) and parses it with {@link parseJsonText}. */
export function parseJsonBody(rawBody: Buffer, options: JsonParseOptions = {}): unknown {
  let text: string;
  try {
    text = utf8.decode(rawBody);
  } catch (error) {
    throw invalidJson('the body is not valid UTF-8', error);
  }
  return parseJsonText(text, options);
}

/**
 * Validates a parsed body against a schema; the first problem becomes `invalidInput(field, problem)` with the field
 * written the way the platform's docs write it: `line_items[0].price`.
 */
export function validateBody<Schema extends z.ZodType>(schema: Schema, value: unknown): z.output<Schema> {
  const result = schema.safeParse(value, { error: describeIssue });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw invalidInput(issue ? fieldName(issue.path) : 'body', issue?.message ?? 'invalid', result.error);
}

/** A field path as the error body names it; the body itself is `body`. */
export function fieldName(path: readonly PropertyKey[]): string {
  return path.length === 0 ? 'body' : formatPath(path);
}

/**
 * A platform id: digits, sent as a JSON number (a safe integer, or a big one that {@link parseJsonText} quoted) or as
 * a string of digits. Always a string afterwards, exact.
 */
export const numericIdSchema = z.unknown().transform((value, context): string => {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && /^\d{1,40}$/.test(value)) return value;
  context.addIssue({ code: 'custom', message: value === undefined ? 'required' : 'expected a numeric id' });
  return z.NEVER;
});

/**
 * An email address on a platform's order: the purchase happened whatever the address looks like, so an invalid one
 * (wrong type, too long, not an address) is dropped, not refused. Valid ones come out normalized.
 */
export const droppableEmailSchema = z
  .unknown()
  .transform((value): string | undefined =>
    typeof value === 'string' && value.length <= 320 && isDeliverableAddress(value) ? normalizeEmail(value) : undefined,
  )
  .optional();

/** A money amount as platforms send it: a decimal string such as "19.99" (checked here, converted with the currency later). */
export const decimalTextSchema = z
  .string()
  .max(40)
  .regex(/^\s*-?\d+(?:\.\d+)?\s*$/, 'expected a decimal string like "19.99"');

/**
 * Converts a decimal string to minor units of the currency with `parseDecimalAmount`; negative amounts and amounts
 * with more decimals than the currency has are a 400 naming the field.
 */
export function minorUnitsAt(field: string, amount: string, currency: string): number {
  let minor: number;
  try {
    minor = parseDecimalAmount(amount, currency);
  } catch (error) {
    throw invalidInput(field, error instanceof Error ? error.message : 'not an amount', error);
  }
  if (minor < 0) throw invalidInput(field, 'must not be negative');
  return minor === 0 ? 0 : minor;
}

/**
 * An ISO-8601 time with `Z` or a numeric offset (as Shopify writes them), as UTC `toISOString()`. Years outside
 * 1970-9999 are refused: toISOString would write them as `+010000-...`, which no longer sorts as text.
 */
export const offsetDateTimeSchema = z.iso
  .datetime({ offset: true, error: 'expected an ISO-8601 time with an offset, like "2026-11-22T10:15:00-05:00"' })
  .transform((text, context) => {
    const iso = new Date(text).toISOString();
    if (!isPlausibleUtcTime(iso)) {
      context.addIssue({ code: 'custom', message: 'expected a time between the years 1970 and 9999' });
      return z.NEVER;
    }
    return iso;
  });

/**
 * A time from a delivery, checked against its receipt: before {@link earliestPlausibleTime} or later than `receivedAt`
 * plus {@link clockSkewMs} is a 400 naming the field. Such a time is a sender's bug or a forgery, and stored it would
 * outrank every later real change (and a date past the year 9999 in the shop's zone would not even read).
 */
export function plausibleTimeAt(field: string, iso: string, receivedAt: Date): string {
  const problem = implausibleTimeProblem(iso, receivedAt);
  if (problem) throw invalidInput(field, problem);
  return iso;
}

/** {@link plausibleTimeAt} for an optional time. */
export function optionalPlausibleTimeAt(field: string, iso: string | null | undefined, receivedAt: Date): string | undefined {
  return iso === null || iso === undefined ? undefined : plausibleTimeAt(field, iso, receivedAt);
}

/** A `toISOString()` result in the years 1970-9999, so that times compare correctly as text. */
export function isPlausibleUtcTime(iso: string): boolean {
  return /^\d{4}-/.test(iso) && iso >= '1970-01-01T00:00:00.000Z';
}

function scan(text: string): { text: string; depth: number } {
  const parts: string[] = [];
  let copiedUpTo = 0;
  let depth = 0;
  let deepest = 0;
  let index = 0;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === 0x22 /* " */) {
      index += 1;
      while (index < text.length) {
        const inner = text.charCodeAt(index);
        if (inner === 0x5c /* \ */) index += 2;
        else {
          index += 1;
          if (inner === 0x22) break;
        }
      }
    } else if (code === 0x2d /* - */ || (code >= 0x30 && code <= 0x39)) {
      const start = index;
      while (index < text.length && isNumberCharacter(text.charCodeAt(index))) index += 1;
      // Only a whole, well-formed integer literal is quoted, so malformed text stays malformed. One of at most 15
      // characters has at most 15 digits, below 2^53: only longer ones are looked at.
      if (index - start > 15) {
        const token = text.slice(start, index);
        if (jsonInteger.test(token) && !Number.isSafeInteger(Number(token))) {
          parts.push(text.slice(copiedUpTo, start), '"', token, '"');
          copiedUpTo = index;
        }
      }
    } else {
      if (code === 0x5b /* [ */ || code === 0x7b /* { */) deepest = Math.max(deepest, (depth += 1));
      else if (code === 0x5d /* ] */ || code === 0x7d /* } */) depth -= 1;
      index += 1;
    }
  }
  if (parts.length === 0) return { text, depth: deepest };
  parts.push(text.slice(copiedUpTo));
  return { text: parts.join(''), depth: deepest };
}

function isNumberCharacter(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || code === 0x2d || code === 0x2b || code === 0x2e || code === 0x65 || code === 0x45;
}

function mayHoldDangerousKey(text: string): boolean {
  return text.includes('\\u') || text.includes('__proto__') || text.includes('constructor') || text.includes('prototype');
}

function dropDangerousKeys(key: string, value: unknown): unknown {
  return dangerousKeys.has(key) ? undefined : value;
}

/** The parser's own message, from the original text so that positions are right. */
/** By line and column in the text as sent (the big-integer quoting moves offsets), whatever JSON.parse said. */
function syntaxProblem(original: string, error: unknown): string {
  try {
    JSON.parse(original);
  } catch (originalError) {
    return describeJsonSyntaxError(original, originalError);
  }
  return error instanceof Error ? error.message : 'syntax error';
}

function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'required';
  if (issue.code === 'invalid_type') return `expected ${issue.expected}, got ${describeType(issue.input)}`;
  return undefined;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** Delivery ids and topics are short printable ASCII tokens (UUIDs, hashes, `msg_...`, `orders/create`). */
const headerTokenPattern = /^[\x21-\x7e]{1,256}$/;

/** A header the delivery cannot be handled without; missing or not a short printable token is a 400 naming it. */
export function requiredHeader(headers: HttpHeaders | undefined, name: string): string {
  const value = optionalHeader(headers, name);
  if (value === undefined) throw invalidInput(name, 'missing header');
  return value;
}

/** The header's trimmed value when present and a short printable token; a malformed one is a 400 naming it. */
export function optionalHeader(headers: HttpHeaders | undefined, name: string): string | undefined {
  const value = header(headers, name)?.trim();
  if (value === undefined || value === '') return undefined;
  if (!headerTokenPattern.test(value)) throw invalidInput(name, 'expected 1-256 printable ASCII characters without spaces');
  return value;
}
