import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { threeFreePorts } from '../support/cli.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../bin/winback.js', import.meta.url));

describe('npm start fails fast on a bad environment', { timeout: 120_000 }, () => {
  let workDir: string;
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'winback-fail-fast-'));
  });
  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('refuses a too-short webhook secret before starting the stack, seeding, running the night or wiping data', async () => {
    // Prepare: earlier local data that --reset would delete
    const dataDir = join(workDir, 'data');
    await mkdir(dataDir, { recursive: true });
    const marker = join(dataDir, 'earlier-data');
    await writeFile(marker, 'kept');
    const env = { ...process.env, WINBACK_DATA_DIR: dataDir, SHOPIFY_WEBHOOK_SECRET: 'too-short' };
    // Act
    const failing = run(process.execPath, [cli, 'start', '--once', '--reset', '--customers', '50', '--port', String(await threeFreePorts())], {
      env,
      timeout: 100_000,
    });
    // Assess
    const error = (await failing.then(
      () => undefined,
      (reason: unknown) => reason,
    )) as { code: number; stdout: string; stderr: string } | undefined;
    expect(error, 'the command should have failed').toBeDefined();
    expect(error!.code).toBe(1);
    expect(error!.stderr).toContain('SHOPIFY_WEBHOOK_SECRET');
    expect(error!.stderr).toContain('at least 16 characters');
    expect(error!.stderr).not.toContain('too-short'); // the secret's value is never printed
    expect(error!.stdout).not.toContain('Starting the local stack');
    expect(error!.stdout).not.toContain('Seeding');
    expect(existsSync(marker)).toBe(true);
  });
});
