import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript (it runs before anything can transpile TypeScript), without declarations
import { builtCli, builtCliPath } from '../../bin/build-cli.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/winback.js', import.meta.url));

describe('the CLI runs bundled by esbuild', () => {
  it('builds a bundle no older than package.json and answers --help through it', async () => {
    // Act
    const url: string = await builtCli();
    const { stdout } = await run(process.execPath, [bin, '--help'], { timeout: 60_000 });
    // Assess
    expect(fileURLToPath(url)).toBe(builtCliPath);
    expect(statSync(builtCliPath).mtimeMs).toBeGreaterThanOrEqual(statSync(fileURLToPath(new URL('../../package.json', import.meta.url))).mtimeMs);
    expect(stdout).toContain('Usage: winback');
    expect(stdout).toContain('model');
  }, 90_000);

  it('keeps each module its own import.meta.url, so files found next to a source are still found', async () => {
    // Prepare
    await builtCli();
    // Act
    const bundle = readFileSync(builtCliPath, 'utf8');
    // Assess: the DynamoDB Local launcher is looked up next to lib/local/stack.ts, not next to the bundle
    expect(bundle).toContain('new URL("../../lib/local/stack.ts", import.meta.url).href');
  }, 90_000);
});
