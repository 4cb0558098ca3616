/**
 * The two CSV inputs of the model commands, told apart by their header:
 * - a customer summary in the format of the Python `lifetimes` library: `ID,frequency,recency,T[,monetary_value]`
 *   (frequency = x, recency = tx, T; times in one unit the caller names);
 * - an order event log: `customer_id,date,amount`, dates as YYYY-MM-DD or YYYYMMDD, amounts in currency units.
 * Header names are matched case-insensitively, in any order; extra columns are ignored. Anything wrong is refused with a
 * {@link CsvInputError} naming the line, the field and the problem. The streaming reader keeps one summary per customer
 * (event logs: one entry per customer purchase day), never the whole file.
 */

import type { Transform } from 'node:stream';
import { CsvError, type Info, parse as parseStream } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { isCalendarDate } from '../dates.js';
import { PurchaseDayLog } from './summary.js';
import type { IdentifiedSummary } from './types.js';

export class CsvInputError extends Error {
  constructor(
    /** 1-based line in the file (the header is line 1). */
    readonly line: number,
    /** The column, or `(header)` / `(record)` for problems with the file's shape. */
    readonly field: string,
    readonly problem: string,
  ) {
    super(`line ${line}, ${field}: ${problem}`);
    this.name = 'CsvInputError';
  }
}

export type ModelInput =
  | { readonly format: 'summary'; readonly summaries: IdentifiedSummary[]; readonly hasMonetary: boolean }
  | { readonly format: 'events'; readonly log: PurchaseDayLog; readonly events: number };

const summaryColumns = ['id', 'frequency', 'recency', 't'] as const;
const eventColumns = ['customer_id', 'date', 'amount'] as const;
const expectedHeaders = 'expected a header `ID,frequency,recency,T[,monetary_value]` (customer summary) or `customer_id,date,amount` (event log)';

const csvOptions = { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true } as const;

const decimal = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Header names as the file spells them, for messages. */
const displayName: Record<string, string> = {
  id: 'ID',
  frequency: 'frequency',
  recency: 'recency',
  t: 'T',
  monetary_value: 'monetary_value',
  customer_id: 'customer_id',
  date: 'date',
  amount: 'amount',
};

class InputBuilder {
  private format: 'summary' | 'events' | undefined;
  private columns = new Map<string, number>();
  private width = 0;
  private readonly summaries: IdentifiedSummary[] = [];
  private readonly seen = new Map<string, number>();
  private readonly log = new PurchaseDayLog();
  private events = 0;

  record(fields: readonly string[], line: number): void {
    if (this.format === undefined) this.header(fields, line);
    else this.row(fields, line);
  }

  private header(fields: readonly string[], line: number): void {
    const names = fields.map((name) => name.trim().toLowerCase());
    names.forEach((name, index) => {
      if (name !== '' && !this.columns.has(name)) this.columns.set(name, index);
    });
    this.width = fields.length;
    const looksLikeEvents = eventColumns.some((name) => this.columns.has(name));
    const looksLikeSummary = summaryColumns.some((name) => this.columns.has(name)) || this.columns.has('monetary_value');
    if (looksLikeEvents === looksLikeSummary) throw new CsvInputError(line, '(header)', expectedHeaders);
    this.format = looksLikeEvents ? 'events' : 'summary';
    for (const name of looksLikeEvents ? eventColumns : summaryColumns) {
      if (!this.columns.has(name)) throw new CsvInputError(line, displayName[name] ?? name, `missing column (${expectedHeaders})`);
    }
  }

  private field(fields: readonly string[], name: string): string {
    return fields[this.columns.get(name) as number] ?? '';
  }

  private number(fields: readonly string[], name: string, line: number): number {
    const text = this.field(fields, name);
    const label = displayName[name] ?? name;
    if (text === '') throw new CsvInputError(line, label, 'missing value');
    if (!decimal.test(text)) throw new CsvInputError(line, label, `not a number: ${JSON.stringify(text.slice(0, 40))}`);
    const value = Number(text);
    if (!Number.isFinite(value)) throw new CsvInputError(line, label, `not a finite number: ${JSON.stringify(text.slice(0, 40))}`);
    if (value < 0) throw new CsvInputError(line, label, `negative ${label === 'amount' ? 'amount' : 'value'}: ${text}`);
    return value;
  }

  private row(fields: readonly string[], line: number): void {
    if (fields.length !== this.width) {
      throw new CsvInputError(line, '(record)', `expected ${this.width} fields as in the header, found ${fields.length}`);
    }
    if (this.format === 'summary') this.summaryRow(fields, line);
    else this.eventRow(fields, line);
  }

  private summaryRow(fields: readonly string[], line: number): void {
    const customerId = this.field(fields, 'id');
    if (customerId === '') throw new CsvInputError(line, 'ID', 'missing value');
    const firstLine = this.seen.get(customerId);
    if (firstLine !== undefined) throw new CsvInputError(line, 'ID', `duplicate ID ${JSON.stringify(customerId)} (first on line ${firstLine})`);
    const x = this.number(fields, 'frequency', line);
    if (!Number.isInteger(x)) throw new CsvInputError(line, 'frequency', `must be a whole number of repeat purchase days, got ${x}`);
    const tx = this.number(fields, 'recency', line);
    const T = this.number(fields, 't', line);
    if (tx > T) throw new CsvInputError(line, 'recency', `recency ${tx} exceeds T ${T}`);
    if (x === 0 && tx !== 0) throw new CsvInputError(line, 'recency', `must be 0 when frequency is 0, got ${tx}`);
    let monetary: number | undefined;
    if (this.columns.has('monetary_value') && this.field(fields, 'monetary_value') !== '') {
      monetary = this.number(fields, 'monetary_value', line);
    }
    this.seen.set(customerId, line);
    // lifetimes writes monetary_value 0 for customers without repeat purchases: there is no repeat spend to keep.
    this.summaries.push(x > 0 && monetary !== undefined ? { customerId, x, tx, T, monetary } : { customerId, x, tx, T });
  }

  private eventRow(fields: readonly string[], line: number): void {
    const customerId = this.field(fields, 'customer_id');
    if (customerId === '') throw new CsvInputError(line, 'customer_id', 'missing value');
    const raw = this.field(fields, 'date');
    const date = /^\d{8}$/.test(raw) ? `${raw.slice(0, 4)}-${raw.slice(4, 6)}-${raw.slice(6, 8)}` : raw;
    if (!isCalendarDate(date)) throw new CsvInputError(line, 'date', `not a date (YYYY-MM-DD or YYYYMMDD): ${JSON.stringify(raw.slice(0, 40))}`);
    const amount = this.number(fields, 'amount', line);
    this.log.add({ customerId, date, amount });
    this.events++;
  }

  finish(): ModelInput {
    if (this.format === undefined) throw new CsvInputError(1, '(header)', `empty file: ${expectedHeaders}`);
    if (this.format === 'summary') return { format: 'summary', summaries: this.summaries, hasMonetary: this.columns.has('monetary_value') };
    return { format: 'events', log: this.log, events: this.events };
  }
}

function fromCsvError(error: unknown): unknown {
  if (error instanceof CsvError) {
    const line = typeof error.lines === 'number' && error.lines > 0 ? error.lines : 1;
    return new CsvInputError(line, '(record)', error.message);
  }
  return error;
}

/** Parses a whole CSV text (tests, small inputs); throws only {@link CsvInputError} for bad input. */
export function parseModelInput(text: string): ModelInput {
  const builder = new InputBuilder();
  let records: { record: string[]; info: Info }[];
  try {
    records = parseSync(text, csvOptions) as unknown as { record: string[]; info: Info }[];
  } catch (error) {
    throw fromCsvError(error);
  }
  for (const { record, info } of records) builder.record(record, info.lines);
  return builder.finish();
}

/**
 * Streams a CSV (e.g. `createReadStream(path)`): records are validated as they arrive and never kept; memory grows with
 * the customers (event logs: with their distinct purchase days), not with the file.
 */
export async function readModelInput(source: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>): Promise<ModelInput> {
  const builder = new InputBuilder();
  const parser = parseStream(csvOptions);
  // Feed the parser while reading its records; a failing source fails the parser, so the reading loop sees it.
  const feeding = (async () => {
    for await (const chunk of source) {
      if (parser.destroyed) return;
      if (!parser.write(chunk)) await drainedOrClosed(parser);
    }
    if (!parser.destroyed) parser.end();
  })().catch((error: unknown) => {
    parser.destroy(error instanceof Error ? error : new Error(String(error)));
  });
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: Info }>) builder.record(record, info.lines);
  } catch (error) {
    throw fromCsvError(error);
  } finally {
    if (!parser.destroyed) parser.destroy();
    await feeding;
  }
  return builder.finish();
}

function drainedOrClosed(stream: Transform): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}
