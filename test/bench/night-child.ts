/**
 * One nightly job in its own process, so its peak resident memory is its own: the night's workflow
 * (lib/local/night-workflow.ts: the synthesized state machine, each Task the real handler, the send queue played into
 * the send worker) on BENCH_TABLE with the local SES, RSS sampled every 20 ms, the sends timed through a wrapper
 * around the send worker's SES sender. Prints one JSON line.
 */
import '../../lib/local/process-env.js';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EmailSender, OutgoingEmail } from '../../lib/ports/email-sender.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`night-child: ${name} is not set`);
  return value;
};

const secret = 'bench-unsubscribe-signing-key-0123456789abcdef';
// What the handlers read at their cold start. The local SES has no MaxSendRate: the AWS pace (5 a second) would
// measure the pace, not the night. The night picks its segments as on AWS (segmentsFor: BENCH_SEGMENTS is the same).
Object.assign(process.env, {
  TABLE_NAME: env('BENCH_TABLE'),
  UNSUBSCRIBE_SECRET: secret,
  UNSUBSCRIBE_BASE_URL: 'https://shop.example/winback',
  SEND_RATE_PER_SECOND: '1000',
  AWS_REGION: process.env.AWS_REGION ?? 'eu-west-1',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
});
const { runNightWorkflow } = await import('../../lib/local/night-workflow.js');

/**
 * DynamoDB requests by command over the whole night (every handler's document client goes through this prototype),
 * with the items they wrote or read: what the night asked of DynamoDB Local, per email.
 */
const dynamoRequests: Record<string, { requests: number; items: number }> = {};
const documentSend = DynamoDBDocumentClient.prototype.send;
DynamoDBDocumentClient.prototype.send = async function (this: DynamoDBDocumentClient, command: { input: unknown; constructor: { name: string } }) {
  const output = (await (documentSend as (command: unknown) => Promise<unknown>).call(this, command)) as {
    Items?: unknown[];
    Responses?: Record<string, unknown[]>;
  };
  const input = command.input as { TransactItems?: unknown[]; RequestItems?: Record<string, unknown[] | { Keys: unknown[] }> };
  const items =
    output?.Items?.length ??
    (output?.Responses ? Object.values(output.Responses).reduce((n, found) => n + found.length, 0) : undefined) ??
    input.TransactItems?.length ??
    Object.values(input.RequestItems ?? {}).reduce((n: number, v) => n + (Array.isArray(v) ? v.length : v.Keys.length), 0);
  const counted = (dynamoRequests[command.constructor.name.replace(/Command$/, '')] ??= { requests: 0, items: 0 });
  counted.requests += 1;
  counted.items += items || 1;
  return output;
} as typeof documentSend;

const sends = { count: 0, first: 0, last: 0, busyMs: 0, sample: undefined as OutgoingEmail | undefined };
const timed = (ses: EmailSender): EmailSender => ({
  async send(email) {
    const start = performance.now();
    if (sends.first === 0) sends.first = start;
    sends.sample ??= email;
    try {
      return await ses.send(email);
    } finally {
      const end = performance.now();
      sends.count += 1;
      sends.busyMs += end - start;
      sends.last = end;
    }
  },
});

let peakRss = process.memoryUsage.rss();
const baselineRss = peakRss;
// memoryUsage.rss() reads one number; memoryUsage() walks the heap spaces too, which the night would pay for every 20 ms.
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
const start = performance.now();
const cpuAtStart = process.cpuUsage();
const run = await runNightWorkflow(
  { source: 'winback.bench', asOf: env('BENCH_AS_OF') },
  {
    // BENCH_MAX_CONCURRENCY=K: K segment workers at once instead of the definition's (see the memory nights in run-bench.ts).
    ...(process.env.BENCH_MAX_CONCURRENCY ? { maxConcurrency: Number(env('BENCH_MAX_CONCURRENCY')) } : {}),
    dependencies: <T extends object>(handler: string, deps: T): T =>
      handler === 'send-worker' && 'email' in deps ? { ...deps, email: timed(deps.email as EmailSender) } : deps,
    // BENCH_SKIP_REPORT=1: the workflow ends at BuildReport's entry, where the night's timing stops anyway. The report
    // reads the whole table, which on DynamoDB Local takes tens of minutes past 30,000 customers.
    ...(process.env.BENCH_SKIP_REPORT === '1'
      ? { aroundTask: (state: string, _payload: unknown, invoke: () => Promise<unknown>) => (state === 'BuildReport' ? Promise.resolve(null) : invoke()) }
      : {}),
  },
);
const ms = performance.now() - start;
const cpu = process.cpuUsage(cpuAtStart);
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage.rss());
if (run.status !== 'SUCCEEDED' || !run.summary) throw new Error(`night-child: the night failed: ${JSON.stringify(run.error ?? null)}`);
const summary = run.summary;
process.stdout.write(
  `${JSON.stringify({
    ms,
    /** CPU time of this process during the night (user + system), to tell a busy night from a waiting one. */
    cpuMs: (cpu.user + cpu.system) / 1000,
    baselineRss,
    peakRss,
    customersScanned: summary.customersScanned,
    emailsSent: summary.emailsSent + run.sendQueue.sent,
    heldOut: summary.heldOut,
    skipped: summary.skipped,
    stoppedBy: summary.stoppedBy ?? run.sendQueue.stoppedBy ?? null,
    totalSegments: summary.totalSegments,
    stateMs: run.stateMs,
    enteredAtMs: run.enteredAtMs,
    sends: { count: sends.count, windowMs: sends.last - sends.first, busyMs: sends.busyMs },
    sampleEmail: sends.sample ?? null,
    dynamoRequests,
  })}\n`,
);
process.exit(0);
