import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { threeFreePorts, winbackCli } from '../support/cli.js';

/**
 * `npm start -- --once` and the marketer's `winback campaigns`, on one local shop: a preview of the night, the night,
 * then the same night again. Each command is the real CLI in a child process on its own embedded stack; the stack
 * lives only as long as each command. The three nights' commands run once, for all the checks on them.
 */
describe('npm start -- --once and winback campaigns (the CLI on its own embedded stack)', { timeout: 300_000 }, () => {
  let workDir: string;
  let port: number;
  const winback = (...args: string[]) => winbackCli(join(workDir, 'data'))(...args);

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'winback-once-'));
    port = await threeFreePorts();
  });
  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('exports a config that validates, names a typo, and refuses broken JSON with its position', async () => {
    // Act
    const exported = await winback('campaigns', 'export', '--port', String(port));
    const file = join(workDir, 'campaigns.json');
    await writeFile(file, exported.stdout);
    const valid = await winback('campaigns', 'validate', file);
    const config = JSON.parse(exported.stdout) as { campaigns: Record<string, unknown>[] };
    config.campaigns[0]!.discuont = 10;
    await writeFile(join(workDir, 'typo.json'), JSON.stringify(config));
    await writeFile(join(workDir, 'broken.json'), '{"version": 2, "shop": {');
    // Assess
    expect(valid.stdout).toContain('is valid');
    await expect(winback('campaigns', 'validate', join(workDir, 'typo.json'))).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('campaigns[at-risk-nudge].discuont: unknown key'),
    });
    await expect(winback('campaigns', 'validate', join(workDir, 'broken.json'))).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/broken\.json is not valid JSON: line 1, column 25: the text ends before the closing '\}'/),
    });
  });

  describe('a preview of the night, the night, then the night again', () => {
    // A small demo shop: enough for at-risk and lost customers, sends, holdouts and emails scheduled past quiet
    // hours, and a night that takes seconds, not a minute. `--customers` seeds it with the preview (a fresh machine).
    const customers = 80;
    let preview: { summary: { emailsSent: number; emailsScheduled: number }; samples: Record<string, unknown> };
    let first: { stdout: string };
    let second: { stdout: string };
    // biome-ignore lint/suspicious/noExplicitAny: the run summary as written, read field by field
    let r: any;
    // biome-ignore lint/suspicious/noExplicitAny: the run summary as written, read field by field
    let r2: any;

    beforeAll(async () => {
      // Act
      const previewed = await winback('campaigns', 'preview', '--as-of', '2026-11-22', '--json', '--port', String(port), '--customers', String(customers));
      preview = JSON.parse(previewed.stdout);
      first = await winback('start', '--once', '--as-of', '2026-11-22', '--port', String(port), '--report', join(workDir, 'r.json'));
      second = await winback('start', '--once', '--as-of', '2026-11-22', '--port', String(port), '--report', join(workDir, 'r2.json'));
      r = JSON.parse(await readFile(join(workDir, 'r.json'), 'utf8'));
      r2 = JSON.parse(await readFile(join(workDir, 'r2.json'), 'utf8'));
    }, 900_000);

    it('previews without sending or reserving anything: the real night afterwards sends what the preview showed', () => {
      // Assess
      expect(preview.summary.emailsSent + preview.summary.emailsScheduled).toBeGreaterThan(0);
      expect(Object.keys(preview.samples).length).toBeGreaterThan(0);
      expect(r.emailsSent).toBe(preview.summary.emailsSent + preview.summary.emailsScheduled);
      expect(first.stdout).toContain('Night 2026-11-22');
    });

    it('runs the night as the synthesized state machine on the shop the preview seeded, and reports it', () => {
      // Assess
      expect(first.stdout).not.toContain('Seeding');
      expect(r).toMatchObject({ asOf: '2026-11-22', customersScanned: customers });
      expect(first.stdout).toMatch(/Not emailed because/);
      // Every segment scored, finished, its report built
      expect(r.states).toMatchObject({ StartNight: 1, Segments: 1, ScoreSegment: r.totalSegments, FinishNight: 1, BuildReport: 1 });
      expect(first.stdout).toMatch(/Workflow states: StartNight 1, Segments 1, ScoreSegment \d+/);
      expect(r.atRisk).toBeGreaterThan(0);
      expect(r.lost).toBeGreaterThan(0);
      expect(r.emailsSent).toBeGreaterThan(0);
      expect(typeof r.durationMs).toBe('number');
    });

    it('sends nobody a second email when the night runs again', () => {
      // Assess
      expect(second.stdout).not.toContain('Seeding');
      expect(r2).toMatchObject({ customersScanned: customers, emailsSent: 0 });
      expect(r2.skipped.already_sent).toBe(r.emailsSent + r.heldOut);
    });
  });

  it('exits non-zero with a clear message for a bad date', async () => {
    // Act
    const failing = winback('start', '--once', '--as-of', '2026-02-30', '--port', String(port));
    // Assess
    await expect(failing).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('expected a real date as YYYY-MM-DD') });
  });
});
