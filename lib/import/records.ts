import { InvalidInputError, MalformedJsonError } from '../domain/errors.js';
import type { IncomingCustomer, IncomingOrder, OrderSource } from '../domain/orders/incoming-order.js';

/**
 * What an importer reads from a file or a platform's API, one record at a time, in Winback's terms: an order (the
 * same `IncomingOrder` a webhook produces, so import and webhooks share one identity), a customer without an order
 * (a customers export), a row that could not be read (named by line, field and problem), or a row skipped on purpose
 * (no email: a phone or point-of-sale order) under its reason. Parsers never throw on bad input: they say so.
 */
export type ImportRecord =
  | { readonly kind: 'order'; readonly line: number; readonly rows: number; readonly order: IncomingOrder }
  | { readonly kind: 'customer'; readonly line: number; readonly rows: number; readonly source: OrderSource; readonly customer: IncomingCustomer }
  | { readonly kind: 'invalid'; readonly line: number; readonly rows: number; readonly field: string; readonly problem: string }
  | { readonly kind: 'skipped'; readonly line: number; readonly rows: number; readonly reason: string };

export const importFormats = ['shopify-orders', 'shopify-customers', 'woocommerce-orders', 'orders-csv'] as const;
export type ImportFormat = (typeof importFormats)[number];

/** The reason a record without an email is skipped: counted apart from bad rows, since nothing is wrong with it. */
export const noEmailReason = 'no email (phone or point-of-sale order)';

export interface ParseOptions {
  /** The time the data was read: times after it (plus clock skew) are implausible. */
  readonly receivedAt: Date;
  /**
   * When the file was exported (its modification time): a consent state read from it is dated then, so a newer
   * change (an unsubscribe since) is never overwritten by an older export, and a re-import changes nothing.
   */
  readonly exportedAt: Date;
  /** The currency of a row that names none (orders-csv): the shop's. */
  readonly defaultCurrency: string;
}

/** A row's problem, for the report: `field` is the column (CSV) or JSON path (JSON). */
export class RowProblem extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'RowProblem';
  }
}

/** Turns what a row's conversion threw (a RowProblem, or a 400 from the shared webhook readers) into an invalid record. */
export function invalidRecord(error: unknown, line: number, rows: number, fallbackField = 'row'): ImportRecord {
  if (error instanceof RowProblem) return { kind: 'invalid', line, rows, field: error.field, problem: error.problem };
  if (error instanceof InvalidInputError || error instanceof MalformedJsonError)
    return { kind: 'invalid', line, rows, field: error instanceof InvalidInputError ? error.field : fallbackField, problem: error.problem };
  return { kind: 'invalid', line, rows, field: fallbackField, problem: error instanceof Error ? error.message : String(error) };
}
