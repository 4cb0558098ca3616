import type { Readable } from 'node:stream';
import { type CsvRow, cell, readCsv } from './csv.js';
import { clipped, consentAt, countryCodeOf, emailAt } from './fields.js';
import { type ImportRecord, invalidRecord, noEmailReason, type ParseOptions, RowProblem } from './records.js';

/**
 * Shopify admin's customers export CSV, one row per customer, in either layout Shopify has written: the current one
 * (`Customer ID`, `First Name`, `Last Name`, `Email`, `Accepts Email Marketing`, `Default Address Country Code`, ...)
 * or the older one (`Accepts Marketing`, `Country Code`, no id). Customers who never ordered are kept: they are the
 * shop's subscribers. Consent is dated when the file was exported. A customer with an id is the same profile its
 * webhooks name (`shopify:<id>`); without one, matched by email.
 */
export function readShopifyCustomers(input: Readable, options: ParseOptions): AsyncGenerator<ImportRecord> {
  return shopifyCustomersFromRows(readCsv(input), options);
}

export async function* shopifyCustomersFromRows(rows: AsyncIterable<CsvRow>, options: ParseOptions): AsyncGenerator<ImportRecord> {
  for await (const entry of rows) {
    if (entry.kind === 'broken') {
      yield { kind: 'invalid', line: entry.line, rows: 1, field: 'row', problem: entry.problem };
      continue;
    }
    try {
      yield customerRecord(entry.row, entry.line, options);
    } catch (error) {
      yield invalidRecord(error, entry.line, 1);
    }
  }
}

function customerRecord(row: Readonly<Record<string, string>>, line: number, options: ParseOptions): ImportRecord {
  const id = cell(row, 'Customer ID', 'Id', 'ID')?.replace(/^'/, '');
  if (id !== undefined && !/^\d{1,40}$/.test(id)) throw new RowProblem('Customer ID', `expected a numeric id, got ${JSON.stringify(id.slice(0, 40))}`);
  const email = emailAt('Email', cell(row, 'Email'));
  if (email === undefined) return { kind: 'skipped', line, rows: 1, reason: noEmailReason };
  const accepts = cell(row, 'Accepts Email Marketing', 'Accepts Marketing');
  const firstName = clipped(cell(row, 'First Name'), 255);
  const lastName = clipped(cell(row, 'Last Name'), 255);
  const country = countryCodeOf(cell(row, 'Default Address Country Code', 'Country Code'));
  return {
    kind: 'customer',
    line,
    rows: 1,
    source: 'shopify',
    customer: {
      ...(id !== undefined ? { platformCustomerId: id } : {}),
      email,
      ...(firstName !== undefined ? { firstName } : {}),
      ...(lastName !== undefined ? { lastName } : {}),
      ...(country !== undefined ? { country } : {}),
      ...(accepts !== undefined
        ? {
            consent: {
              state: consentAt(cell(row, 'Accepts Email Marketing') ? 'Accepts Email Marketing' : 'Accepts Marketing', accepts),
              updatedAt: options.exportedAt.toISOString(),
            },
          }
        : {}),
    },
  };
}
