import type { Readable } from 'node:stream';
import type { IncomingOrder } from '../domain/orders/incoming-order.js';
import { type CsvRow, cell, readCsv } from './csv.js';
import { amountAt, clipped, consentAt, countryCodeOf, currencyAt, emailAt, exportTimeAt, quantityAt } from './fields.js';
import { type ImportRecord, invalidRecord, noEmailReason, type ParseOptions, RowProblem } from './records.js';

/**
 * Shopify admin's "Export orders" CSV (DESIGN.md section 7):
 * - one row per line item, rows of one order together and named by `Name` (`#1001`); the order-level columns
 *   (`Financial Status`, `Paid at`, `Accepts Marketing`, `Currency`, `Total`, `Discount Code`, `Created at`,
 *   `Cancelled at`, `Refunded Amount`, `Id`, ...) are filled on the order's first row only;
 * - `Id` is the order's numeric id, the one webhooks carry: it is the order's identity, so an order imported and the
 *   same order arriving by webhook are one order. There is no customer id column: customers are matched by email.
 * - Voided, cancelled, fully refunded and test orders (Shopify's Bogus Gateway) are stored but do not count; a
 *   partially refunded order counts, with its total as charged (the same amount its webhook carries).
 * - `Accepts Marketing` (yes/no) is the customer's consent when the file was exported.
 * - An order without an email (a phone or point-of-sale order) is skipped under its own reason.
 */
export function readShopifyOrders(input: Readable, options: ParseOptions): AsyncGenerator<ImportRecord> {
  return shopifyOrdersFromRows(readCsv(input), options);
}

interface OrderRows {
  readonly name: string;
  readonly line: number;
  readonly rows: Readonly<Record<string, string>>[];
}

export async function* shopifyOrdersFromRows(rows: AsyncIterable<CsvRow>, options: ParseOptions): AsyncGenerator<ImportRecord> {
  let current: OrderRows | undefined;
  for await (const entry of rows) {
    if (entry.kind === 'broken') {
      yield { kind: 'invalid', line: entry.line, rows: 1, field: 'row', problem: entry.problem };
      continue;
    }
    const name = cell(entry.row, 'Name');
    if (name === undefined) {
      yield { kind: 'invalid', line: entry.line, rows: 1, field: 'Name', problem: 'missing: every row names its order' };
      continue;
    }
    if (current && current.name === name) {
      current.rows.push(entry.row);
      continue;
    }
    if (current) yield shopifyOrderRecord(current, options);
    current = { name, line: entry.line, rows: [entry.row] };
  }
  if (current) yield shopifyOrderRecord(current, options);
}

function shopifyOrderRecord(group: OrderRows, options: ParseOptions): ImportRecord {
  try {
    const order = toIncomingOrder(group, options);
    if (!order.customer.email) return { kind: 'skipped', line: group.line, rows: group.rows.length, reason: noEmailReason };
    return { kind: 'order', line: group.line, rows: group.rows.length, order };
  } catch (error) {
    return invalidRecord(error, group.line, group.rows.length);
  }
}

function toIncomingOrder(group: OrderRows, options: ParseOptions): IncomingOrder {
  const first = group.rows[0]!;
  const required = (column: string) => {
    const value = cell(first, column);
    if (value === undefined) throw new RowProblem(column, `missing on the order's first row (order ${group.name})`);
    return value;
  };
  const orderId = required('Id');
  if (!/^\d{1,40}$/.test(orderId)) throw new RowProblem('Id', `expected the order's numeric id, got ${JSON.stringify(orderId.slice(0, 40))}`);
  const currency = currencyAt('Currency', required('Currency'));
  const placedAt = exportTimeAt('Created at', required('Created at'), options.receivedAt);
  const optionalTime = (column: string) => {
    const text = cell(first, column);
    return text === undefined ? undefined : exportTimeAt(column, text, options.receivedAt);
  };
  const cancelledAt = optionalTime('Cancelled at');
  const paidAt = optionalTime('Paid at');
  const fulfilledAt = optionalTime('Fulfilled at');
  const totalMinor = amountAt('Total', required('Total'), currency);
  const refundedText = cell(first, 'Refunded Amount');
  const refundedMinor = refundedText === undefined ? 0 : amountAt('Refunded Amount', refundedText, currency);
  const financialStatus = cell(first, 'Financial Status')?.toLowerCase().replace(/\s+/g, '_');
  const test = /bogus/i.test(cell(first, 'Payment Method', 'Payment Gateway') ?? '') || /^(true|yes)$/i.test(cell(first, 'Test') ?? '');
  const notCountedBecause = test
    ? 'test'
    : cancelledAt
      ? 'cancelled'
      : financialStatus === 'voided'
        ? 'voided'
        : financialStatus === 'refunded' || (totalMinor > 0 && refundedMinor >= totalMinor && financialStatus !== 'partially_refunded')
          ? 'refunded'
          : undefined;
  const lineItems = group.rows.flatMap((row, index) => {
    const title = cell(row, 'Lineitem name');
    if (title === undefined) return [];
    const at = (column: string) => `${column} (line item ${index + 1})`;
    const sku = cell(row, 'Lineitem sku');
    return [
      {
        title: clipped(title, 500)!,
        quantity: quantityAt(at('Lineitem quantity'), cell(row, 'Lineitem quantity') ?? '1'),
        priceMinor: amountAt(at('Lineitem price'), cell(row, 'Lineitem price') ?? '0', currency),
        ...(sku ? { sku: clipped(sku, 255)! } : {}),
      },
    ];
  });
  const email = emailAt('Email', cell(first, 'Email'));
  const { firstName, lastName } = splitName(cell(first, 'Billing Name', 'Shipping Name'));
  const country = countryCodeOf(cell(first, 'Billing Country', 'Shipping Country'));
  const accepts = cell(first, 'Accepts Marketing', 'Accepts Email Marketing');
  const updatedAt = [placedAt, paidAt, fulfilledAt, cancelledAt]
    .filter((time): time is string => time !== undefined)
    .sort()
    .at(-1)!;
  return {
    source: 'shopify',
    orderId,
    placedAt,
    updatedAt,
    totalMinor,
    currency,
    lineItems: lineItems.slice(0, 500),
    couponCodes: (cell(first, 'Discount Code') ?? '')
      .split(',')
      .map((code) => code.trim())
      .filter((code) => code !== '')
      .slice(0, 100),
    counts: notCountedBecause === undefined,
    ...(notCountedBecause !== undefined ? { notCountedBecause } : {}),
    customer: {
      ...(email !== undefined ? { email } : {}),
      ...(firstName !== undefined ? { firstName } : {}),
      ...(lastName !== undefined ? { lastName } : {}),
      ...(country !== undefined ? { country } : {}),
      ...(accepts !== undefined ? { consent: { state: consentAt('Accepts Marketing', accepts), updatedAt: options.exportedAt.toISOString() } } : {}),
    },
  };
}

/** "Ana Lopes" into first and last name; a single word is a first name. */
export function splitName(name: string | undefined): { firstName?: string; lastName?: string } {
  const parts =
    name
      ?.trim()
      .split(/\s+/)
      .filter((part) => part !== '') ?? [];
  if (parts.length === 0) return {};
  const [firstName, ...rest] = parts;
  return { firstName: clipped(firstName, 255)!, ...(rest.length > 0 ? { lastName: clipped(rest.join(' '), 255)! } : {}) };
}
