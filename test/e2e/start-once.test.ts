import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { threeFreePorts, winbackCli } from '../support/cli.js';

describe('npm start -- --once (the CLI on its own embedded stack)', { timeout: 240_000 }, () => {
  let workDir: string;
  const winback = async (...args: string[]) =>
    winbackCli(join(workDir, 'data'))('start', '--once', '--as-of', '2026-11-22', '--customers', '400', '--port', String(await threeFreePorts()), ...args);

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'winback-e2e-'));
  });
  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('seeds, runs the night, reports, and sends nobody a second email on a re-run', async () => {
    // Act
    const first = await winback('--reset', '--report', join(workDir, 'r.json'));
    const second = await winback('--report', join(workDir, 'r2.json'));
    // Assess
    const r = JSON.parse(await readFile(join(workDir, 'r.json'), 'utf8'));
    const r2 = JSON.parse(await readFile(join(workDir, 'r2.json'), 'utf8'));
    expect(first.stdout).toContain('Seeded 400 customers');
    expect(first.stdout).toMatch(/Not emailed because/);
    expect(second.stdout).not.toContain('Seeded');
    expect(r).toMatchObject({ asOf: '2026-11-22', customersScanned: 400 });
    // The night ran as the synthesized state machine: every segment scored, finished, its report built
    expect(r.states).toMatchObject({ StartNight: 1, Segments: 1, ScoreSegment: r.totalSegments, FinishNight: 1, BuildReport: 1 });
    expect(first.stdout).toMatch(/Workflow states: StartNight 1, Segments 1, ScoreSegment \d+/);
    expect(r.atRisk).toBeGreaterThan(0);
    expect(r.lost).toBeGreaterThan(0);
    expect(r.emailsSent).toBeGreaterThan(0);
    expect(typeof r.durationMs).toBe('number');
    expect(r2).toMatchObject({ customersScanned: 400, emailsSent: 0 });
    expect(r2.skipped.already_sent).toBe(r.emailsSent + r.heldOut);
  });

  it('exits non-zero with a clear message for a bad date', async () => {
    // Act
    const failing = winback('--as-of', '2026-02-30');
    // Assess
    await expect(failing).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('expected a real date as YYYY-MM-DD') });
  });
});
