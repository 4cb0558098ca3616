import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { threeFreePorts, winbackCli } from '../support/cli.js';

describe('winback simulate (nights and responses through the real handlers)', { timeout: 240_000 }, () => {
  let workDir: string;
  // A small demo shop (seeded with a fixed seed, so the same every run): its first night already emails a few dozen
  // customers, whose deliveries, bounces, opens and orders come back through the handlers; more customers would only
  // make each night longer, not the check stronger.
  const winback = async (...args: string[]) =>
    winbackCli(join(workDir, 'data'), 400_000)('simulate', '--customers', '80', '--port', String(await threeFreePorts()), ...args);

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'winback-simulate-'));
  });
  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('runs three nights, posts SES events and orders that all get a 2xx, and prints the totals', { timeout: 420_000 }, async () => {
    // Prepare
    const reportFile = join(workDir, 'simulation.json');
    // Act
    const { stdout } = await winback('--from', '2026-11-20', '--nights', '3', '--reset', '--report', reportFile);
    // Assess
    const report = JSON.parse(await readFile(reportFile, 'utf8'));
    expect(report).toMatchObject({ from: '2026-11-20', nights: 3, seed: 20261122, errors: [] });
    expect(report.perNight.map((night: { night: string }) => night.night)).toEqual(['2026-11-20', '2026-11-21', '2026-11-22']);
    expect(report.totals.emailsSent).toBeGreaterThan(0);
    expect(report.totals.sesEventsPosted).toBeGreaterThan(0);
    expect(report.totals.delivered).toBeGreaterThan(0);
    expect(report.totals.errors).toBe(0);
    const orders = report.totals.ordersPosted;
    expect(orders.emailed + orders.comparable + orders.active).toBeGreaterThan(0);
    expect(stdout).toMatch(/^2026-11-20 {2}sent \d+ · delivered \d+/m);
    expect(stdout).toContain('Totals, 3 nights');
    expect(stdout).toContain('Bought again within 6 days');
  });

  it('refuses more than 60 nights before starting anything', async () => {
    // Act
    const refused = winback('--from', '2026-11-20', '--nights', '61');
    // Assess
    await expect(refused).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('expected a whole number from 1 to 60') });
  });
});
