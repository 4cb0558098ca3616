import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../lib/cli/main.js';

afterEach(() => vi.restoreAllMocks());

const summaryFile = 'test/fixtures/cdnow/cdnow_customers_summary.csv';
const eventFile = 'test/fixtures/cdnow/cdnow_events.csv';
const scratch = mkdtempSync(join(tmpdir(), 'winback-model-'));

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

function lastLine(text: string): string {
  return text.trimEnd().split('\n').pop() ?? '';
}

function threeDigits(value: number): number {
  return Number(value.toPrecision(3));
}

describe('winback model fit', () => {
  it('prints the fitted BG/NBD model as the last line, from the CDNOW summary', async () => {
    // Prepare
    const output = capture();
    // Act
    const code = await main(['model', 'fit', '--input', summaryFile, '--model', 'bgnbd', '--json']);
    // Assess
    expect(code).toBe(0);
    const fitted = JSON.parse(lastLine(output.stdout())) as Record<string, unknown> & { params: Record<string, number>; logLikelihood: number };
    expect(Object.keys(fitted)).toEqual(expect.arrayContaining(['model', 'params', 'logLikelihood', 'customers', 'iterations', 'ms']));
    expect(fitted.model).toBe('bgnbd');
    expect(fitted.customers).toBe(2357);
    expect(Object.values(fitted.params).map(threeDigits)).toEqual([0.243, 4.41, 0.793, 2.43]);
    expect(Math.abs(fitted.logLikelihood + 9582.4)).toBeLessThan(0.1);
  });

  it('reproduces the same from the CDNOW event log with --calibration-end 1997-09-30 --time-unit weeks', async () => {
    // Prepare
    const output = capture();
    // Act
    const code = await main(['model', 'fit', '--input', eventFile, '--model', 'bgnbd', '--calibration-end', '1997-09-30', '--time-unit', 'weeks', '--json']);
    // Assess
    expect(code).toBe(0);
    const fitted = JSON.parse(lastLine(output.stdout())) as { params: Record<string, number>; logLikelihood: number; timeUnit: string };
    expect(Object.values(fitted.params).map(threeDigits)).toEqual([0.243, 4.41, 0.793, 2.43]);
    expect(Math.abs(fitted.logLikelihood + 9582.4)).toBeLessThan(0.1);
    expect(fitted.timeUnit).toBe('weeks');
  });

  it('prints a readable table without --json', async () => {
    // Prepare
    const output = capture();
    // Act
    const code = await main(['model', 'fit', '--input', eventFile, '--model', 'gamma-gamma', '--calibration-end', '1997-09-30']);
    // Assess
    expect(code).toBe(0);
    expect(output.stdout()).toMatch(/Gamma-Gamma on 946 customers .*converged/);
    expect(output.stdout()).toMatch(/│ p +│ +6\.25 │/);
  });

  it('refuses a CSV with a problem, naming the file, line, field and problem', async () => {
    // Prepare
    const bad = join(scratch, 'bad-summary.csv');
    writeFileSync(bad, 'ID,frequency,recency,T\n1,2,30.43,38.86\n2,1,40,38.86\n');
    const output = capture();
    // Act
    const code = await main(['model', 'fit', '--input', bad, '--model', 'pareto']);
    // Assess
    expect(code).not.toBe(0);
    expect(output.stderr()).toContain(`${bad}: line 3, recency: recency 40 exceeds T 38.86`);
  });

  it.each([
    [['model', 'fit', '--input', summaryFile, '--model', 'cox'], /argument 'cox' is invalid/],
    [['model', 'fit', '--input', eventFile, '--model', 'bgnbd', '--calibration-end', '1997-13-01'], /expected a real date/],
    [['model', 'fit', '--input', summaryFile, '--model', 'bgnbd', '--penalty', '-1'], /--penalty.*expected a number >= 0/],
    [['model', 'fit', '--input', 'no-such.csv', '--model', 'bgnbd'], /cannot read no-such\.csv: no such file/],
    [['model', 'fit', '--input', summaryFile, '--model', 'bgnbd', '--calibration-end', '1997-09-30'], /--calibration-end applies to an event log/],
    [['model', 'fit', '--input', summaryFile, '--model', 'gamma-gamma'], /gamma-gamma needs a monetary_value column/],
  ])('refuses %j', async (argv, message) => {
    // Prepare
    const output = capture();
    // Act
    const code = await main(argv);
    // Assess
    expect(code).not.toBe(0);
    expect(output.stderr()).toMatch(message);
  });

  it('says so when the fit does not converge, and still prints what it reached', async () => {
    // Prepare
    const output = capture();
    // Act
    const code = await main(['model', 'fit', '--input', summaryFile, '--model', 'bgnbd', '--max-iterations', '2', '--json']);
    // Assess
    expect(code).not.toBe(0);
    expect(JSON.parse(lastLine(output.stdout()))).toMatchObject({ converged: false, iterations: 2 });
    expect(output.stderr()).toMatch(/did not converge \(2 iterations\): the optimiser stopped: iteration limit/);
  });
});

describe('winback model score and backtest', () => {
  it('scores one summary and a whole CSV with a fitted model file', async () => {
    // Prepare
    const modelFile = join(scratch, 'mbgnbd.json');
    const spendFile = join(scratch, 'gg.json');
    let output = capture();
    await main(['model', 'fit', '--input', eventFile, '--model', 'mbgnbd', '--calibration-end', '1997-09-30', '--json']);
    writeFileSync(modelFile, output.stdout());
    vi.restoreAllMocks();
    output = capture();
    await main(['model', 'fit', '--input', eventFile, '--model', 'gamma-gamma', '--calibration-end', '1997-09-30', '--json']);
    writeFileSync(spendFile, output.stdout());
    vi.restoreAllMocks();
    output = capture();
    // Act
    const single = await main([
      'model',
      'score',
      '--model-file',
      modelFile,
      '--spend-model-file',
      spendFile,
      '--x',
      '2',
      '--tx',
      '213',
      '--T',
      '272',
      '--monetary',
      '22.35',
      '--json',
    ]);
    const many = await main(['model', 'score', '--model-file', modelFile, '--input', summaryFile, '--time-unit', 'days', '--t', '30', '--json']);
    // Assess
    expect([single, many]).toEqual([0, 0]);
    const lines = output
      .stdout()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { pAlive: number; expectedPurchases: number; clv: number | null });
    expect(lines).toHaveLength(1 + 2357);
    const first = lines[0] as { pAlive: number; expectedPurchases: number; clv: number };
    expect(first.pAlive).toBeGreaterThan(0.5);
    expect(first.expectedPurchases).toBeGreaterThan(0.3);
    expect(first.clv).toBeGreaterThan(0);
    for (const line of lines) expect(line.pAlive).toBeGreaterThanOrEqual(0);
  });

  it('refuses to score with a spend model as the purchase model', async () => {
    // Prepare
    const spendFile = join(scratch, 'gg-only.json');
    writeFileSync(
      spendFile,
      JSON.stringify({ model: 'gamma-gamma', params: { p: 6, q: 4, gamma: 15 }, logLikelihood: -1, customers: 1, iterations: 1, ms: 1 }),
    );
    const output = capture();
    // Act
    const code = await main(['model', 'score', '--model-file', spendFile, '--x', '1', '--tx', '1', '--T', '2']);
    // Assess
    expect(code).not.toBe(0);
    expect(output.stderr()).toMatch(/holds a gamma-gamma \(spend\) model/);
  });

  it('backtests on CDNOW and prints the AUC table, and JSON with --json', async () => {
    // Prepare
    const output = capture();
    const argv = ['model', 'backtest', '--input', eventFile, '--calibration-end', '1997-09-30', '--holdout-end', '1998-06-30', '--time-unit', 'weeks'];
    // Act
    const table = await main(argv);
    const json = await main([...argv, '--json']);
    // Assess
    expect([table, json]).toEqual([0, 0]);
    expect(output.stdout()).toMatch(/│ method +│ +AUC │/);
    expect(output.stdout()).toMatch(/│ recency rule +│ +0\.\d{3} │/);
    const result = JSON.parse(lastLine(output.stdout())) as { rows: { method: string; auc: number }[] };
    expect(result.rows.map((row) => row.method)).toEqual(['bgnbd', 'mbgnbd', 'pareto', 'recency']);
  });
});
