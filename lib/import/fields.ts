import type { ConsentState } from '../domain/customer.js';
import { isDeliverableAddress, normalizeEmail } from '../domain/email.js';
import { implausibleTimeProblem } from '../domain/unreadable-record.js';
import { minorUnitsAt } from '../domain/webhooks/raw-json.js';
import { RowProblem } from './records.js';

/**
 * `2025-10-07 09:50:26 +0200` (Shopify's exports), or ISO-8601 with `Z` or an offset, as UTC ISO-8601; a time
 * before 1995 or after `receivedAt` (plus clock skew) is a problem with the column named.
 */
export function exportTimeAt(field: string, text: string, receivedAt: Date): string {
  const shopify = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)\s*(?:([+-]\d{2}):?(\d{2})|(Z|UTC))$/.exec(text.trim());
  const iso = shopify
    ? `${shopify[1]}T${shopify[2]!.length === 5 ? `${shopify[2]}:00` : shopify[2]}${shopify[5] ? 'Z' : `${shopify[3]}:${shopify[4]}`}`
    : text.trim();
  const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/.test(iso) ? new Date(iso) : undefined;
  if (!time || Number.isNaN(time.getTime()) || !sameCalendarDay(iso, time)) {
    throw new RowProblem(field, `expected a time like "2025-10-07 09:50:26 +0200", got ${JSON.stringify(text.slice(0, 40))}`);
  }
  const utc = time.toISOString();
  const problem = implausibleTimeProblem(utc, receivedAt);
  if (problem) throw new RowProblem(field, problem);
  return utc;
}

/** Date rolls 2025-02-30 over into March; a real date keeps its day once the offset is taken back out. */
function sameCalendarDay(iso: string, time: Date): boolean {
  const offset = /([+-])(\d{2}):(\d{2})$/.exec(iso);
  const shiftMinutes = offset ? (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) : 0;
  return new Date(time.getTime() + shiftMinutes * 60_000).toISOString().slice(0, 10) === iso.slice(0, 10);
}

/** A decimal amount in minor units of the currency; a problem names the column. */
export function amountAt(field: string, text: string, currency: string): number {
  return minorUnitsAt(field, text.replace(/^'/, ''), currency);
}

export function currencyAt(field: string, text: string): string {
  const code = text.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(code)) throw new RowProblem(field, `expected an ISO 4217 code like "EUR", got ${JSON.stringify(text.slice(0, 20))}`);
  return code;
}

/** The address, normalized; undefined when absent; an address that is not one is a problem (a typo worth fixing). */
export function emailAt(field: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (text.length > 320 || !isDeliverableAddress(text)) throw new RowProblem(field, `not an email address: ${JSON.stringify(text.slice(0, 60))}`);
  return normalizeEmail(text);
}

/** yes/no, true/false, 1/0 (Shopify writes `yes`/`no`); consent states by name too. */
export function consentAt(field: string, text: string): ConsentState {
  const value = text
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  if (['yes', 'y', 'true', '1', 'subscribed', 'opted_in'].includes(value)) return 'subscribed';
  if (['no', 'n', 'false', '0', 'not_subscribed'].includes(value)) return 'not_subscribed';
  if (['unsubscribed', 'pending', 'soft_opt_in', 'unknown'].includes(value)) return value as ConsentState;
  throw new RowProblem(
    field,
    `expected yes or no (or a consent state: subscribed, not_subscribed, unsubscribed, pending), got ${JSON.stringify(text.slice(0, 40))}`,
  );
}

/** An ISO 3166-1 alpha-2 code when the cell holds one; a country name or anything else is left out. */
export function countryCodeOf(text: string | undefined): string | undefined {
  const code = text?.trim().toUpperCase();
  return code && /^[A-Z]{2}$/.test(code) ? code : undefined;
}

export function quantityAt(field: string, text: string): number {
  const quantity = Number(text);
  if (!/^\d{1,5}$/.test(text.trim()) || quantity < 1 || quantity > 10_000)
    throw new RowProblem(field, `expected a whole number from 1 to 10000, got ${JSON.stringify(text.slice(0, 20))}`);
  return quantity;
}

/** Text cut to a length the table and the templates expect. */
export function clipped(text: string | undefined, max: number): string | undefined {
  return text === undefined ? undefined : text.slice(0, max);
}
