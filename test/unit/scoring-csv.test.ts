import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvInputError, type ModelInput, parseModelInput, readModelInput } from '../../lib/domain/scoring/csv.js';

function refusal(text: string): CsvInputError {
  try {
    parseModelInput(text);
  } catch (error) {
    if (error instanceof CsvInputError) return error;
    throw error;
  }
  throw new Error('the input was accepted');
}

/** Feeds the text in small chunks, as a file stream would. */
async function* chunks(text: string, size = 7): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

describe('model input CSV: bad input is refused with the line and the problem', () => {
  it.each([
    ['a missing column', 'ID,frequency,T\n1,0,10\n', 1, 'recency', /missing column/],
    ['an event log without amounts', 'customer_id,date\nc1,2024-01-02\n', 1, 'amount', /missing column/],
    ['a header of neither format', 'name,email\nana,ana@example.org\n', 1, '(header)', /expected a header/],
    ['an empty file', '', 1, '(header)', /empty file/],
    ['a bad date', 'customer_id,date,amount\nc1,2024-01-02,10\nc1,2024-02-30,5\n', 3, 'date', /not a date/],
    ['a date in neither format', 'customer_id,date,amount\nc1,02/01/2024,10\n', 2, 'date', /not a date/],
    ['a negative amount', 'customer_id,date,amount\nc1,20240102,10\nc1,20240105,-5\n', 3, 'amount', /negative amount/],
    ['a non-numeric amount', 'customer_id,date,amount\nc1,20240102,€10\n', 2, 'amount', /not a number/],
    ['a missing customer id', 'customer_id,date,amount\n,20240102,10\n', 2, 'customer_id', /missing value/],
    ['recency beyond T', 'ID,frequency,recency,T\n1,2,30.4,38.9\n2,1,40,38.86\n', 3, 'recency', /recency 40 exceeds T 38.86/],
    ['a non-numeric frequency', 'ID,frequency,recency,T\n1,two,3,4\n', 2, 'frequency', /not a number: "two"/],
    ['a fractional frequency', 'ID,frequency,recency,T\n1,1.5,3,4\n', 2, 'frequency', /whole number/],
    ['a negative T', 'ID,frequency,recency,T\n1,0,0,-4\n', 2, 'T', /negative value/],
    ['an infinite value', 'ID,frequency,recency,T\n1,0,0,1e999\n', 2, 'T', /not a finite number/],
    ['recency without repeat purchases', 'ID,frequency,recency,T\n1,0,3,4\n', 2, 'recency', /must be 0 when frequency is 0/],
    ['a negative monetary value', 'ID,frequency,recency,T,monetary_value\n1,1,3,4,-2\n', 2, 'monetary_value', /negative value/],
    ['a duplicate ID', 'ID,frequency,recency,T\n7,0,0,4\n8,0,0,4\n7,1,2,4\n', 4, 'ID', /duplicate ID "7" \(first on line 2\)/],
    ['a short record', 'ID,frequency,recency,T\n1,0,0\n', 2, '(record)', /expected 4 fields as in the header, found 3/],
    ['an unclosed quote', 'customer_id,date,amount\nc1,20240102,10\n"c2,20240103,5\n', 3, '(record)', /Quote Not Closed/],
  ])('%s', (_, text, line, field, problem) => {
    // Act
    const error = refusal(text);
    // Assess
    expect(error.line).toBe(line);
    expect(error.field).toBe(field);
    expect(error.problem).toMatch(problem);
    expect(error.message).toBe(`line ${line}, ${field}: ${error.problem}`);
  });

  it('counts blank lines and CRLF line ends when naming the line', () => {
    // Act
    const error = refusal('\ufeffcustomer_id,date,amount\r\n\r\nc1,20240102,10\r\n\r\nc1,20240230,10\r\n');
    // Assess
    expect([error.line, error.field]).toEqual([5, 'date']);
  });

  it('the streaming reader refuses with the same line, across chunk boundaries', async () => {
    // Prepare
    const text = 'ID,frequency,recency,T\n1,2,30.43,38.86\n2,1,1.71,38.86\n3,1,40,38.86\n';
    // Act
    const error = await readModelInput(chunks(text)).catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(CsvInputError);
    expect((error as CsvInputError).line).toBe(4);
  });
});

describe('model input CSV: good input', () => {
  it('reads the lifetimes summary format, columns in any order and case, with monetary values', () => {
    // Act
    const input = parseModelInput('t,ID,Frequency,recency,monetary_value\n38.86,1,2,30.43,22.35\n38.86,3,0,0,0\n');
    // Assess
    expect(input).toEqual({
      format: 'summary',
      hasMonetary: true,
      summaries: [
        { customerId: '1', x: 2, tx: 30.43, T: 38.86, monetary: 22.35 },
        { customerId: '3', x: 0, tx: 0, T: 38.86 },
      ],
    });
  });

  it('reads an event log with both date formats; several orders on one day are one purchase day', () => {
    // Act
    const input = parseModelInput('customer_id,date,amount\nc1,1997-01-01,10\nc1,19970101,5.5\nc1,19970108,4\n"c,2",1997-01-03,1\n');
    // Assess
    if (input.format !== 'events') throw new Error('expected an event log');
    expect(input.events).toBe(4);
    expect(input.log.summaries('1997-01-31', 'days')).toEqual([
      { customerId: 'c1', x: 1, tx: 7, T: 30, monetary: 4 },
      { customerId: 'c,2', x: 0, tx: 0, T: 28 },
    ]);
  });

  it('streams and parses whole texts alike', async () => {
    // Prepare
    const text = 'customer_id,date,amount\nc1,1997-01-01,10\nc2,19970102,3\nc1,19970301,7\n';
    // Act
    const streamed = await readModelInput(chunks(text, 5));
    const whole = parseModelInput(text);
    // Assess
    const summaries = (input: ModelInput) => (input.format === 'events' ? input.log.summaries('1997-12-31', 'weeks') : []);
    expect(summaries(streamed)).toEqual(summaries(whole));
  });
});

describe('model input CSV: no input makes the parser throw anything but CsvInputError', () => {
  const anyText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc
      .array(
        fc.array(
          fc.oneof(
            fc.constantFrom(
              'ID',
              'frequency',
              'recency',
              'T',
              'customer_id',
              'date',
              'amount',
              'monetary_value',
              '',
              '"',
              '""',
              '-1',
              '1e400',
              '20240230',
              '1997-01-01',
              '0',
              '2.5',
              ' x ',
              '\r',
            ),
          ),
          { maxLength: 6 },
        ),
        { maxLength: 8 },
      )
      .map((rows) => rows.map((row) => row.join(',')).join('\n')),
  );

  it('parseModelInput', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        try {
          parseModelInput(text);
        } catch (error) {
          if (!(error instanceof CsvInputError)) throw error;
          expect(error.line).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 1000, seed: 4 },
    );
  });

  it('readModelInput', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, fc.integer({ min: 1, max: 20 }), async (text, size) => {
        try {
          await readModelInput(chunks(text, size));
        } catch (error) {
          if (!(error instanceof CsvInputError)) throw error;
        }
      }),
      { numRuns: 200, seed: 5 },
    );
  });
});
