import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const child = fileURLToPath(new URL('../support/stack-exit-child.ts', import.meta.url));

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the embedded local stack', { timeout: 90_000 }, () => {
  it('takes DynamoDB Local down with it when its process ends without stop()', async () => {
    // Act: a process that starts the stack and calls process.exit() straight away
    const { stdout } = await run(process.execPath, ['--import', 'tsx', child], { timeout: 80_000 });
    // Assess: the Java process it started is gone (a signal is delivered at once; reaping may take a moment)
    const javaPid = Number(stdout.trim());
    expect(javaPid).toBeGreaterThan(0);
    try {
      await expect.poll(() => isRunning(javaPid), { timeout: 10_000, interval: 100 }).toBe(false);
    } finally {
      if (isRunning(javaPid)) process.kill(javaPid, 'SIGKILL');
    }
  });
});
