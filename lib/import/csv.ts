import type { Readable } from 'node:stream';
import { type CsvError, parse } from 'csv-parse';

/** One CSV record with the line it starts on (1 is the header), or a record the CSV grammar could not read. */
export type CsvRow =
  | { readonly kind: 'row'; readonly line: number; readonly row: Readonly<Record<string, string>> }
  | { readonly kind: 'broken'; readonly line: number; readonly problem: string };

/** A record longer than this is broken (an unclosed quote would otherwise swallow the rest of the file into memory). */
const maxRecordBytes = 1_000_000;

/**
 * Streams a CSV file record by record (constant memory at any size): a byte-order mark is dropped, header names are
 * trimmed, rows with more or fewer cells than the header are read as far as they go, and a record the grammar
 * cannot read (a stray quote) is reported with its line and skipped: it never ends the import.
 */
export async function* readCsv(input: Readable): AsyncGenerator<CsvRow> {
  const broken: CsvRow[] = [];
  const parser = input.pipe(
    parse({
      bom: true,
      columns: (header: string[]) => header.map((name) => name.trim()),
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      max_record_size: maxRecordBytes,
      info: true,
      raw: true,
      on_skip: (error: CsvError | undefined) => {
        if (error)
          broken.push({
            kind: 'broken',
            line: (error as CsvError & { lines?: number }).lines ?? 0,
            problem: error.message.replace(/^Invalid Record Length: |^Invalid Opening Quote: |^Invalid Closing Quote: /, ''),
          });
        return undefined;
      },
    }),
  );
  input.on('error', (error) => parser.destroy(error));
  for await (const entry of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; raw?: string } }>) {
    while (broken.length > 0) yield broken.shift()!;
    // info.lines is where the record ends; a record spanning lines (a quoted newline) starts earlier.
    // raw holds the record's text (with any skipped empty lines before it).
    const raw = (entry as { raw?: string }).raw?.replace(/^[\r\n]+/, '');
    const extraLines = raw ? (raw.match(/\n/g)?.length ?? 0) - (raw.endsWith('\n') ? 1 : 0) : 0;
    yield { kind: 'row', line: entry.info.lines - Math.max(0, extraLines), row: entry.record };
  }
  while (broken.length > 0) yield broken.shift()!;
}

/** A cell's text, trimmed; undefined when the column is absent or the cell is empty. */
export function cell(row: Readonly<Record<string, string>>, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = row[name];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}
