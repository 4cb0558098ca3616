/**
 * One nightly job in its own process, so its peak resident memory is its own: `runNight` on BENCH_TABLE with the local
 * SES, RSS sampled every 20 ms, the sends timed through a wrapper around the real SES sender. Prints one JSON line.
 */
import { LocalCouponProvider } from '../../lib/adapters/coupons/local.js';
import { DynamoCampaignConfigStore } from '../../lib/adapters/dynamodb/campaign-configs.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { DynamoCustomerRepository } from '../../lib/adapters/dynamodb/customers.js';
import { DynamoRunRecorder } from '../../lib/adapters/dynamodb/runs.js';
import { DynamoSendLedger } from '../../lib/adapters/dynamodb/send-ledger.js';
import { DynamoSuppressionList } from '../../lib/adapters/dynamodb/suppressions.js';
import { SesEmailSender } from '../../lib/adapters/ses/email-sender.js';
import type { EmailSender, OutgoingEmail } from '../../lib/ports/email-sender.js';
import { runNight } from '../../lib/usecases/run-night.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`night-child: ${name} is not set`);
  return value;
};

const tableName = env('BENCH_TABLE');
const client = createDocumentClient({ endpoint: env('AWS_ENDPOINT_URL_DYNAMODB') });
const ses = SesEmailSender.create({ endpoint: env('AWS_ENDPOINT_URL_SESV2'), region: 'eu-west-1' });

const sends = { count: 0, first: 0, last: 0, busyMs: 0, sample: undefined as OutgoingEmail | undefined };
const timedSender: EmailSender = {
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
};

const secret = 'bench-unsubscribe-signing-key-0123456789abcdef';
const deps = {
  customers: new DynamoCustomerRepository(client, tableName),
  ledger: new DynamoSendLedger(client, tableName),
  suppressions: new DynamoSuppressionList(client, tableName),
  configs: new DynamoCampaignConfigStore(client, tableName),
  runs: new DynamoRunRecorder(client, tableName),
  email: timedSender,
  coupons: new LocalCouponProvider(secret),
  clock: { now: () => new Date() },
  unsubscribe: { baseUrl: 'https://shop.example/winback', secret },
};

let peakRss = process.memoryUsage.rss();
const baselineRss = peakRss;
// memoryUsage.rss() reads one number; memoryUsage() walks the heap spaces too, which the night would pay for every 20 ms.
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
const start = performance.now();
const cpuAtStart = process.cpuUsage();
const summary = await runNight(deps, { asOf: env('BENCH_AS_OF'), totalSegments: Number(env('BENCH_SEGMENTS')) });
const ms = performance.now() - start;
const cpu = process.cpuUsage(cpuAtStart);
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage.rss());
client.destroy();
process.stdout.write(
  `${JSON.stringify({
    ms,
    /** CPU time of this process during the night (user + system), to tell a busy night from a waiting one. */
    cpuMs: (cpu.user + cpu.system) / 1000,
    baselineRss,
    peakRss,
    customersScanned: summary.customersScanned,
    emailsSent: summary.emailsSent,
    heldOut: summary.heldOut,
    skipped: summary.skipped,
    stoppedBy: summary.stoppedBy ?? null,
    totalSegments: summary.totalSegments,
    sends: { count: sends.count, windowMs: sends.last - sends.first, busyMs: sends.busyMs },
    sampleEmail: sends.sample ?? null,
  })}\n`,
);
process.exit(0);
