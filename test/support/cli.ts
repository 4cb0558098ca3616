import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { assertPortFree } from '../../lib/local/stack.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../bin/winback.js', import.meta.url));

/** A base port whose next two are free too: the CLI's local stack takes port, port+1 and port+2. */
export async function threeFreePorts(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    try {
      for (const offset of [0, 1, 2]) await assertPortFree(port + offset, 'e2e');
      return port;
    } catch {
      // taken: try another
    }
  }
  throw new Error('no three free ports in a row');
}

/** Runs the real `winback` CLI as a child process, with its local data in `dataDir`. */
export function winbackCli(dataDir: string, timeoutMs = 150_000) {
  return (...args: string[]) =>
    run(process.execPath, [cli, ...args], { env: { ...process.env, WINBACK_DATA_DIR: dataDir }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
}
