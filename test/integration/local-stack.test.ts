import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
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

async function expectGone(javaPid: number): Promise<void> {
  expect(javaPid).toBeGreaterThan(0);
  try {
    // A signal is delivered at once; reaping may take a moment.
    await expect.poll(() => isRunning(javaPid), { timeout: 10_000, interval: 100 }).toBe(false);
  } finally {
    if (isRunning(javaPid)) process.kill(javaPid, 'SIGKILL');
  }
}

describe('the embedded local stack', { timeout: 90_000 }, () => {
  it('takes DynamoDB Local down with it when its process ends without stop()', async () => {
    // Act: a process that starts the stack and calls process.exit() straight away
    const { stdout } = await run(process.execPath, ['--import', 'tsx', child], { timeout: 80_000 });
    // Assess: the Java process it started is gone
    await expectGone(Number(stdout.trim()));
  });

  it('takes DynamoDB Local down with it when its process is killed by a signal it does not handle', async () => {
    // Prepare: a process that starts the stack and waits
    const waiting = spawn(process.execPath, ['--import', 'tsx', child, '--wait'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    waiting.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await expect.poll(() => stdout.includes('\n'), { timeout: 80_000, interval: 100 }).toBe(true);
    const ended = once(waiting, 'exit');
    // Act
    waiting.kill('SIGTERM');
    // Assess: it still ends as SIGTERM ends a process, and its Java process is gone with it
    const [code, signal] = await ended;
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    await expectGone(Number(stdout.trim()));
  });
});
