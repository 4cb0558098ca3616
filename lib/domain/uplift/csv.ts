/**
 * Reading a randomized experiment, or rows to score, from CSV (any columns; the caller names them). Streaming: records
 * are validated as they arrive. Anything wrong is refused with an {@link UpliftInputError} naming the line, the column
 * and the problem; no input makes these readers throw anything else.
 */

import type { Transform } from 'node:stream';
import { CsvError, type Info, parse as parseStream } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import type { FeatureKind, FeatureSpec, FeatureValue } from './features.js';
import type { UpliftData, UpliftRow } from './learners.js';

export class UpliftInputError extends Error {
  override readonly name = 'UpliftInputError';
  constructor(
    /** 1-based line in the file (the header is line 1). */
    readonly line: number,
    /** The column, or `(header)` / `(record)` for problems with the file's shape. */
    readonly column: string,
    readonly problem: string,
  ) {
    super(`line ${line}, column ${column}: ${problem}`);
  }
}

const csvOptions = { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true } as const;
const decimal = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

/** A finite number from a CSV field, or undefined. */
export function parseNumber(text: string): number | undefined {
  if (!decimal.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Records of a CSV after its header: columns located by name (exact, else case-insensitive). */
abstract class RecordReader {
  private header: string[] | undefined;
  protected width = 0;

  record(fields: readonly string[], line: number): void {
    if (this.header === undefined) {
      if (fields.every((field) => field === '')) throw new UpliftInputError(line, '(header)', 'the header line is empty');
      this.header = fields.map((field) => field.trim());
      this.width = fields.length;
      this.onHeader(line);
      return;
    }
    if (fields.length !== this.width) throw new UpliftInputError(line, '(record)', `expected ${this.width} fields as in the header, found ${fields.length}`);
    this.onRow(fields, line);
  }

  protected column(name: string, line: number, role: string): number {
    const header = this.header as string[];
    let index = header.indexOf(name);
    if (index < 0) index = header.findIndex((field) => field.toLowerCase() === name.toLowerCase());
    if (index < 0) {
      const shown = header.slice(0, 12).join(', ') + (header.length > 12 ? ', ...' : '');
      throw new UpliftInputError(line, name, `no such column (the ${role}); the header has: ${shown}`);
    }
    return index;
  }

  /** Whether a header was read: a file without one is refused at the end. */
  protected get started(): boolean {
    return this.header !== undefined;
  }

  protected abstract onHeader(line: number): void;
  protected abstract onRow(fields: readonly string[], line: number): void;
}

/** Which columns hold what, in an experiment's CSV. */
export interface ExperimentColumns {
  readonly treatmentColumn: string;
  /** The treatment column's value for treated rows, and for control rows; rows with any other value are ignored. */
  readonly treatmentValue: string;
  readonly controlValue: string;
  readonly outcome: string;
  readonly value?: string;
  readonly features: readonly string[];
  /** Forces each feature's kind (a model's, when evaluating); by default a column is numeric when all its values are. */
  readonly kinds?: readonly FeatureKind[];
}

export interface ExperimentInput {
  readonly data: UpliftData;
  /** Rows whose treatment column is neither value, by value (the most frequent first). */
  readonly ignored: number;
  readonly ignoredValues: readonly { readonly value: string; readonly rows: number }[];
}

function checkColumns(columns: ExperimentColumns): void {
  if (columns.features.length === 0) throw new UpliftInputError(1, '(features)', 'no feature columns given');
  if (columns.treatmentValue === columns.controlValue) {
    throw new UpliftInputError(1, columns.treatmentColumn, `the treatment and control values are both ${quote(columns.treatmentValue)}`);
  }
  const seen = new Set<string>();
  for (const feature of columns.features) {
    if (seen.has(feature)) throw new UpliftInputError(1, feature, 'named twice in the features');
    seen.add(feature);
    const role = feature === columns.treatmentColumn ? 'treatment' : feature === columns.outcome ? 'outcome' : feature === columns.value ? 'value' : undefined;
    if (role) throw new UpliftInputError(1, feature, `is the ${role} column; it cannot also be a feature`);
  }
}

class ExperimentReader extends RecordReader {
  private treatmentIndex = -1;
  private outcomeIndex = -1;
  private valueIndex = -1;
  private featureIndex: number[] = [];
  private readonly raw: { features: string[]; treated: boolean; outcome: number; value?: number; line: number }[] = [];
  private readonly ignoredValues = new Map<string, number>();

  constructor(private readonly columns: ExperimentColumns) {
    super();
    checkColumns(columns);
  }

  protected onHeader(line: number): void {
    const c = this.columns;
    this.treatmentIndex = this.column(c.treatmentColumn, line, 'treatment column');
    this.outcomeIndex = this.column(c.outcome, line, 'outcome');
    if (c.value !== undefined) this.valueIndex = this.column(c.value, line, 'value');
    this.featureIndex = c.features.map((feature) => this.column(feature, line, 'feature'));
  }

  protected onRow(fields: readonly string[], line: number): void {
    const c = this.columns;
    const arm = fields[this.treatmentIndex] as string;
    if (arm !== c.treatmentValue && arm !== c.controlValue) {
      this.ignoredValues.set(arm, (this.ignoredValues.get(arm) ?? 0) + 1);
      return;
    }
    const outcomeText = fields[this.outcomeIndex] as string;
    const outcome = parseNumber(outcomeText);
    if (outcome !== 0 && outcome !== 1)
      throw new UpliftInputError(line, c.outcome, outcomeText === '' ? 'missing outcome (expected 0 or 1)' : `expected 0 or 1, got ${quote(outcomeText)}`);
    let value: number | undefined;
    if (this.valueIndex >= 0) {
      const text = fields[this.valueIndex] as string;
      value = parseNumber(text);
      if (value === undefined)
        throw new UpliftInputError(line, c.value as string, text === '' ? 'missing value (expected a number)' : `not a number: ${quote(text)}`);
    }
    const features = this.featureIndex.map((index) => fields[index] as string);
    this.raw.push({ features, treated: arm === c.treatmentValue, outcome, line, ...(value === undefined ? {} : { value }) });
  }

  finish(): ExperimentInput {
    if (!this.started) throw new UpliftInputError(1, '(header)', 'empty file: expected a header line naming the columns');
    const c = this.columns;
    const kinds: FeatureKind[] = c.features.map((name, f) => {
      const forced = c.kinds?.[f];
      if (forced === 'categorical') return forced;
      const bad = this.raw.find((row) => row.features[f] !== '' && parseNumber(row.features[f] as string) === undefined);
      if (forced === 'numeric' && bad) throw new UpliftInputError(bad.line, name, `the model's feature is numeric; got ${quote(bad.features[f] as string)}`);
      return bad ? 'categorical' : 'numeric';
    });
    const rows: UpliftRow[] = this.raw.map((row) => ({
      features: row.features.map((text, f): FeatureValue => (text === '' ? null : kinds[f] === 'numeric' ? (parseNumber(text) as number) : text)),
      treated: row.treated,
      outcome: row.outcome,
      ...(row.value === undefined ? {} : { value: row.value }),
    }));
    const ignoredValues = [...this.ignoredValues.entries()].sort((a, b) => b[1] - a[1]).map(([value, count]) => ({ value, rows: count }));
    return { data: { featureNames: [...c.features], kinds, rows }, ignored: ignoredValues.reduce((sum, entry) => sum + entry.rows, 0), ignoredValues };
  }
}

/** Reads rows to score: the model's features, in its order; other columns are ignored. */
class ScoringReader extends RecordReader {
  private featureIndex: number[] = [];

  constructor(
    private readonly features: readonly FeatureSpec[],
    private readonly onFeatures: (features: FeatureValue[], line: number) => void,
  ) {
    super();
  }

  protected onHeader(line: number): void {
    this.featureIndex = this.features.map((spec) => this.column(spec.name, line, "model's feature"));
  }

  protected onRow(fields: readonly string[], line: number): void {
    const values = this.featureIndex.map((index, f): FeatureValue => {
      const text = fields[index] as string;
      const spec = this.features[f] as FeatureSpec;
      if (text === '') return null;
      if (spec.kind === 'categorical') return text;
      const value = parseNumber(text);
      if (value === undefined) throw new UpliftInputError(line, spec.name, `the model's feature is numeric; got ${quote(text)}`);
      return value;
    });
    this.onFeatures(values, line);
  }

  finish(): void {
    if (!this.started) throw new UpliftInputError(1, '(header)', 'empty file: expected a header line naming the columns');
  }
}

function fromCsvError(error: unknown): unknown {
  if (error instanceof CsvError) {
    const line = typeof error.lines === 'number' && error.lines > 0 ? error.lines : 1;
    return new UpliftInputError(line, '(record)', error.message);
  }
  return error;
}

function eachRecordSync(text: string, onRecord: (fields: string[], line: number) => void): void {
  let records: { record: string[]; info: Info }[];
  try {
    records = parseSync(text, csvOptions) as unknown as { record: string[]; info: Info }[];
  } catch (error) {
    throw fromCsvError(error);
  }
  for (const { record, info } of records) onRecord(record, info.lines);
}

type Source = AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

/** Streams the CSV's records (with the line each ends on) to `onRecord`, never keeping the file. */
export async function eachRecord(source: Source, onRecord: (fields: string[], line: number) => void): Promise<void> {
  const parser = parseStream(csvOptions);
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
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: Info }>) onRecord(record, info.lines);
  } catch (error) {
    throw fromCsvError(error);
  } finally {
    if (!parser.destroyed) parser.destroy();
    await feeding;
  }
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

/** Parses a whole experiment CSV text (tests, small inputs). */
export function parseExperimentCsv(text: string, columns: ExperimentColumns): ExperimentInput {
  const reader = new ExperimentReader(columns);
  eachRecordSync(text, (fields, line) => reader.record(fields, line));
  return reader.finish();
}

/** Streams an experiment CSV (e.g. `createReadStream(path)`); keeps only the rows it uses. */
export async function readExperimentCsv(source: Source, columns: ExperimentColumns): Promise<ExperimentInput> {
  const reader = new ExperimentReader(columns);
  await eachRecord(source, (fields, line) => reader.record(fields, line));
  return reader.finish();
}

/** Streams rows to score to `onFeatures`, in file order, keeping none. */
export async function readScoringCsv(
  source: Source,
  features: readonly FeatureSpec[],
  onFeatures: (features: FeatureValue[], line: number) => void,
): Promise<void> {
  const reader = new ScoringReader(features, onFeatures);
  await eachRecord(source, (fields, line) => reader.record(fields, line));
  reader.finish();
}
