import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../lib/cli/main.js';
import { type ExperimentColumns, parseExperimentCsv, UpliftInputError } from '../../lib/domain/uplift/csv.js';
import { fitUplift, UpliftDataError } from '../../lib/domain/uplift/learners.js';
import { syntheticCsv, syntheticExperiment } from '../support/uplift.js';

afterEach(() => vi.restoreAllMocks());

const scratch = mkdtempSync(join(tmpdir(), 'winback-uplift-'));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  });
  return { stdout: () => out.join(''), stderr: () => err.join('') };
}

const columns: ExperimentColumns = {
  treatmentColumn: 'group',
  treatmentValue: 'email',
  controlValue: 'holdout',
  outcome: 'ordered',
  features: ['segment', 'spend'],
};
const fitArgs = (input: string, out: string) => [
  'uplift',
  'fit',
  '--input',
  input,
  '--treatment-column',
  'group',
  '--treatment',
  'email',
  '--control',
  'holdout',
  '--outcome',
  'ordered',
  '--value',
  'revenue',
  '--features',
  'segment,spend,noise',
  '--out',
  out,
  '--method',
  'two-model',
  '--seed',
  '4',
];

describe('winback uplift fit / score / evaluate', () => {
  it('round-trips a generated experiment: a model file, one JSON line per row in order, a Qini above random', async () => {
    // Prepare: 2,000 training rows (plus rows of a third arm to be ignored) and 1,000 others to score
    const train = join(scratch, 'train.csv');
    const test = join(scratch, 'test.csv');
    const model = join(scratch, 'model.json');
    writeFileSync(train, `${syntheticCsv(syntheticExperiment(2000, 21))}persuadable,150,0.5,sms,1,50\n`);
    const testRows = syntheticExperiment(1000, 22);
    writeFileSync(test, syntheticCsv(testRows));
    // Act
    const fit = capture();
    const fitCode = await main(fitArgs(train, model));
    vi.restoreAllMocks();
    const score = capture();
    const scoreCode = await main(['uplift', 'score', '--model', model, '--input', test, '--json']);
    vi.restoreAllMocks();
    const evaluate = capture();
    const evaluateCode = await main(['uplift', 'evaluate', '--model', model, '--input', test, '--json']);
    // Assess
    expect([fitCode, scoreCode, evaluateCode]).toEqual([0, 0, 0]);
    expect(fit.stderr()).toMatch(/ignored 1 rows whose group is neither .*"sms" 1/);
    expect(JSON.parse(readFileSync(model, 'utf8'))).toMatchObject({
      format: 'winback-uplift-model',
      method: 'two-model',
      columns: { outcome: 'ordered', value: 'revenue' },
    });
    const lines = score
      .stdout()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { uplift: number; valueUplift: number });
    expect(lines).toHaveLength(1000);
    for (const line of lines) expect(typeof line.uplift).toBe('number');
    const persuadable = lines.filter((_, i) => testRows[i]?.segment === 'persuadable');
    const sure = lines.filter((_, i) => testRows[i]?.segment === 'sure_thing');
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    expect(mean(persuadable.map((l) => l.uplift))).toBeGreaterThan(mean(sure.map((l) => l.uplift)) + 0.2);
    expect(mean(persuadable.map((l) => l.valueUplift))).toBeGreaterThan(10);
    const evaluation = JSON.parse(evaluate.stdout()) as { qini: number; random: { uplift: number }; atK: { k: number; uplift: number }[] };
    expect(evaluation.qini).toBeGreaterThan(0.1);
    expect(evaluation.atK.find((k) => k.k === 0.3)?.uplift).toBeGreaterThan(evaluation.random.uplift);
  });

  it('prints a table of the model against random targeting without --json', async () => {
    // Prepare
    const input = join(scratch, 'table.csv');
    const model = join(scratch, 'table.json');
    writeFileSync(input, syntheticCsv(syntheticExperiment(800, 23)));
    capture();
    await main(fitArgs(input, model));
    vi.restoreAllMocks();
    const output = capture();
    // Act
    const code = await main(['uplift', 'evaluate', '--model', model, '--input', input]);
    // Assess
    expect(code).toBe(0);
    expect(output.stdout()).toMatch(/│ random +│ +0\.0000 │/);
    expect(output.stdout()).toMatch(/uplift top 30%/);
  });

  it('refuses a bad row with exit code 2, naming the file, line, column and problem', async () => {
    // Prepare
    const input = join(scratch, 'bad.csv');
    writeFileSync(input, 'segment,spend,noise,group,ordered,revenue\npersuadable,100,0.1,email,1,50\nsure_thing,90,0.2,holdout,yes,0\n');
    const output = capture();
    // Act
    const code = await main(fitArgs(input, join(scratch, 'never.json')));
    // Assess
    expect(code).toBe(2);
    expect(output.stderr()).toContain(`${input}: line 3, column ordered: expected 0 or 1, got "yes"`);
  });

  it('refuses a feature column the file does not have, and a missing file, with exit code 2', async () => {
    // Prepare
    const input = join(scratch, 'columns.csv');
    writeFileSync(input, syntheticCsv(syntheticExperiment(50, 24)));
    const output = capture();
    // Act
    const missingColumn = await main([
      ...fitArgs(input, join(scratch, 'never.json')).slice(0, -6),
      '--features',
      'segment,age',
      '--out',
      join(scratch, 'never.json'),
    ]);
    const missingFile = await main(['uplift', 'score', '--model', join(scratch, 'nope.json'), '--input', input, '--json']);
    // Assess
    expect(missingColumn).toBe(2);
    expect(output.stderr()).toMatch(/line 1, column age: no such column \(the feature\); the header has: segment, spend/);
    expect(missingFile).toBe(2);
    expect(output.stderr()).toMatch(/cannot read .*nope\.json: no such file/);
  });

  it('splits a file 70/30 within each treatment value, the same way for the same seed', async () => {
    // Prepare
    const input = join(scratch, 'split.csv');
    writeFileSync(input, syntheticCsv(syntheticExperiment(1000, 25)));
    const paths = ['a', 'b', 'c', 'd'].map((name) => join(scratch, `${name}.csv`));
    capture();
    // Act
    await main(['uplift', 'split', '--input', input, '--treatment-column', 'group', '--seed', '7', '--train', paths[0]!, '--test', paths[1]!]);
    await main(['uplift', 'split', '--input', input, '--treatment-column', 'group', '--seed', '7', '--train', paths[2]!, '--test', paths[3]!]);
    // Assess
    const read = (path: string) => readFileSync(path, 'utf8').trimEnd().split('\n');
    const all = read(input).slice(1);
    const train = read(paths[0]!).slice(1);
    const emailed = (rows: string[]) => rows.filter((row) => row.includes(',email,')).length;
    expect(train.length + read(paths[1]!).length - 1).toBe(all.length);
    expect(emailed(train)).toBe(Math.round(0.7 * emailed(all)));
    expect(read(paths[2]!)).toEqual(read(paths[0]!));
  });
});

describe('experiment CSV: any text gives rows (and a model) or an UpliftInputError, never anything else', () => {
  const anyText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc
      .array(
        fc.array(
          fc.oneof(
            fc.constantFrom('segment', 'spend', 'group', 'ordered', 'email', 'holdout', '', '"', '""', '0', '1', '2', '-1', '1e400', 'NaN', 'a', ' x ', '\r'),
          ),
          { maxLength: 5 },
        ),
        { maxLength: 40 },
      )
      .map((rows) => ['segment,spend,group,ordered', ...rows.map((row) => row.join(','))].join('\n')),
  );

  it('parseExperimentCsv then fitUplift', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        try {
          const input = parseExperimentCsv(text, columns);
          const model = fitUplift(input.data, { seed: 1 });
          expect(model.format).toBe('winback-uplift-model');
        } catch (error) {
          if (error instanceof UpliftInputError) expect(error.line).toBeGreaterThanOrEqual(1);
          else if (!(error instanceof UpliftDataError)) throw error;
        }
      }),
      { numRuns: 400, seed: 28 },
    );
  });

  it('names line and column for a value that is not a number in a numeric model feature', () => {
    // Act / Assess
    expect(() => parseExperimentCsv('segment,spend,group,ordered\na,10,email,1\nb,ten,holdout,0\n', { ...columns, kinds: ['categorical', 'numeric'] })).toThrow(
      new UpliftInputError(3, 'spend', 'the model\'s feature is numeric; got "ten"'),
    );
  });

  it('reads a column with any non-number as categorical, and empty fields as missing', () => {
    // Act
    const input = parseExperimentCsv('segment,spend,group,ordered\na,10,email,1\n,,holdout,0\nb,x,email,0\n', columns);
    // Assess
    expect(input.data.kinds).toEqual(['categorical', 'categorical']);
    expect(input.data.rows.map((row) => row.features)).toEqual([
      ['a', '10'],
      [null, null],
      ['b', 'x'],
    ]);
  });
});
