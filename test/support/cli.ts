import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { assertPortFree } from '../../lib/local/stack.js';
import { shortLivedJavaEnvironment } from './short-lived-java.js';

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

/**
 * The environment of a fresh machine: nothing of the test run's own settings (its log level, its table, its admin
 * token, the endpoints of the run's shared emulators) reaches the CLI, only where its local data lives.
 */
export function freshMachineEnv(dataDir: string): NodeJS.ProcessEnv {
  const {
    TABLE_NAME: _table,
    WINBACK_ADMIN_TOKEN: _token,
    POWERTOOLS_LOG_LEVEL: _level,
    AWS_ENDPOINT_URL_DYNAMODB: _dynamo,
    AWS_ENDPOINT_URL_SESV2: _ses,
    ...inherited
  } = process.env;
  return { ...inherited, ...shortLivedJavaEnvironment, WINBACK_DATA_DIR: dataDir };
}

/**
 * Runs the real `winback` CLI as a child process, with its local data in `dataDir`. The timeout is a wait, not a speed
 * target: a machine busy with other test files may need minutes for what takes seconds alone.
 */
export function winbackCli(dataDir: string, timeoutMs = 300_000) {
  return (...args: string[]) =>
    run(process.execPath, [cli, ...args], {
      env: { ...process.env, ...shortLivedJavaEnvironment, WINBACK_DATA_DIR: dataDir },
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
}

/** `winback start` left serving in a child process; `stop()` ends it as Ctrl-C would. */
export interface ServingCli {
  /** Everything it printed so far, stdout and stderr in the order they came. */
  readonly output: () => string;
  /** The admin token it printed. */
  readonly token: string;
  /** Its exit code, once it has exited. */
  readonly exited: Promise<number | null>;
  /**
   * SIGTERM: the CLI then stops its DynamoDB Local too, which a SIGKILL would leave orphaned. SIGKILL only after a
   * minute, which a busy machine may need; resolves to the exit code.
   */
  readonly stop: () => Promise<number | null>;
}

/**
 * Starts `winback start ARGS` on a fresh machine's environment and waits until it serves (the night is over then).
 * Throws with its output when it exits first or does not serve within `readyWithinMs` (a wait, not a speed target).
 */
export async function startServing(args: readonly string[], options: { dataDir: string; readyWithinMs?: number }): Promise<ServingCli> {
  const readyWithinMs = options.readyWithinMs ?? 540_000;
  const child: ChildProcess = spawn(process.execPath, [cli, 'start', ...args], { env: freshMachineEnv(options.dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout!, child.stderr!]) stream.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const stopped = await Promise.race([exited, sleep(60_000, 'timeout' as const)]);
      if (stopped === 'timeout') child.kill('SIGKILL');
    }
    return exited;
  };
  // The server listens before these lines are printed; the token is whole once a space or line end follows it.
  const tokenLine = /Serving until Ctrl-C[\s\S]*Admin token\s+(\S+)\s/;
  const started = Date.now();
  while (!tokenLine.test(output)) {
    if (child.exitCode !== null) throw new Error(`winback start exited ${child.exitCode}:\n${output}`);
    if (Date.now() - started > readyWithinMs) {
      await stop();
      throw new Error(`winback start did not serve within ${readyWithinMs / 1000} s:\n${output}`);
    }
    await sleep(250);
  }
  const token = tokenLine.exec(output)![1]!;
  return { output: () => output, token, exited, stop };
}
