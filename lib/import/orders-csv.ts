import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { IncomingOrder } from '../domain/orders/incoming-order.js';
import { type CsvRow, cell, readCsv } from './csv.js';
import { amountAt, clipped, consentAt, currencyAt, emailAt, exportTimeAt } from './fields.js';
import { type ImportRecord, invalidRecord, noEmailReason, type ParseOptions, RowProblem } from './records.js';

/**
 * The plain format for any other platform: `customer_id,email,date,amount[,currency,first_name,consent,order_id]`,
 * one order per row.
 * - `date`: `YYYY-MM-DD` (taken as noon UTC, so the calendar day holds in every shop time zone) or an ISO-8601 time
 *   with `Z` or an offset (or Shopify's `2025-10-07 09:50:26 +0200`).
 * - `amount`: a decimal like `54.90` in `currency` (default: the shop's).
 * - `customer_id` (optional): the platform's id, namespaced `generic:<id>` as the generic webhook's ids are.
 * - `order_id` (optional): without it an order's identity is a hash of its customer, time, amount and currency, so the
 *   same file imported twice stores each order once (two rows alike in all four are one order).
 * - `consent` (optional): yes/no or a consent state, dated when the file was exported.
 */
export function readOrdersCsv(input: Readable, options: ParseOptions): AsyncGenerator<ImportRecord> {
  return ordersCsvFromRows(readCsv(input), options);
}

export async function* ordersCsvFromRows(rows: AsyncIterable<CsvRow>, options: ParseOptions): AsyncGenerator<ImportRecord> {
  for await (const entry of rows) {
    if (entry.kind === 'broken') {
      yield { kind: 'invalid', line: entry.line, rows: 1, field: 'row', problem: entry.problem };
      continue;
    }
    try {
      const order = toIncomingOrder(entry.row, options);
      yield order ? { kind: 'order', line: entry.line, rows: 1, order } : { kind: 'skipped', line: entry.line, rows: 1, reason: noEmailReason };
    } catch (error) {
      yield invalidRecord(error, entry.line, 1);
    }
  }
}

function toIncomingOrder(row: Readonly<Record<string, string>>, options: ParseOptions): IncomingOrder | undefined {
  const customerId = cell(row, 'customer_id');
  if (customerId !== undefined && !/^\S{1,128}$/.test(customerId)) throw new RowProblem('customer_id', 'expected 1-128 characters without spaces');
  const email = emailAt('email', cell(row, 'email'));
  if (email === undefined) return undefined;
  const dateText = cell(row, 'date');
  if (dateText === undefined) throw new RowProblem('date', 'missing');
  const placedAt = exportTimeAt('date', /^\d{4}-\d{2}-\d{2}$/.test(dateText) ? `${dateText}T12:00:00Z` : dateText, options.receivedAt);
  const amountText = cell(row, 'amount');
  if (amountText === undefined) throw new RowProblem('amount', 'missing');
  const currencyText = cell(row, 'currency');
  const currency = currencyText === undefined ? options.defaultCurrency : currencyAt('currency', currencyText);
  const totalMinor = amountAt('amount', amountText, currency);
  const orderIdText = cell(row, 'order_id');
  if (orderIdText !== undefined && !/^\S{1,128}$/.test(orderIdText)) throw new RowProblem('order_id', 'expected 1-128 characters without spaces');
  const orderId =
    orderIdText ??
    `h-${createHash('sha256')
      .update([customerId ?? '', email, placedAt, totalMinor, currency].join('\u0000'))
      .digest('hex')
      .slice(0, 32)}`;
  const consentText = cell(row, 'consent');
  const firstName = clipped(cell(row, 'first_name'), 255);
  return {
    source: 'generic',
    orderId,
    placedAt,
    updatedAt: placedAt,
    totalMinor,
    currency,
    lineItems: [],
    couponCodes: [],
    counts: true,
    customer: {
      ...(customerId !== undefined ? { platformCustomerId: customerId } : {}),
      email,
      ...(firstName !== undefined ? { firstName } : {}),
      ...(consentText !== undefined ? { consent: { state: consentAt('consent', consentText), updatedAt: options.exportedAt.toISOString() } } : {}),
    },
  };
}
