import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { threeFreePorts, winbackCli } from '../support/cli.js';

describe("winback campaigns (the marketer's CLI)", { timeout: 300_000 }, () => {
  let workDir: string;
  let port: number;
  const winback = (...args: string[]) => winbackCli(join(workDir, 'data'))(...args);

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'winback-campaigns-'));
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

  it('previews a night without sending or reserving, and the real night afterwards still sends', async () => {
    // Act
    const preview = await winback('campaigns', 'preview', '--as-of', '2026-11-22', '--json', '--port', String(port), '--customers', '300');
    const night = await winback('start', '--once', '--as-of', '2026-11-22', '--port', String(port), '--report', join(workDir, 'r.json'));
    // Assess
    const previewed = JSON.parse(preview.stdout) as { summary: { emailsSent: number; emailsScheduled: number }; samples: Record<string, unknown> };
    const report = JSON.parse(await readFile(join(workDir, 'r.json'), 'utf8')) as { emailsSent: number };
    expect(previewed.summary.emailsSent + previewed.summary.emailsScheduled).toBeGreaterThan(0);
    expect(Object.keys(previewed.samples).length).toBeGreaterThan(0);
    expect(report.emailsSent).toBe(previewed.summary.emailsSent + previewed.summary.emailsScheduled);
    expect(night.stdout).toContain('Night 2026-11-22');
  });
});
