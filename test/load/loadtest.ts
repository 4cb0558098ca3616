/**
 * `npm run loadtest`: thousands of signed Shopify order webhooks, with duplicates and forgeries mixed in, at
 * concurrency, against the local HTTP API on loopback; then every customer is read back. Passes when every valid
 * order is stored exactly once, every forgery is refused with 401, and nothing answers 5xx.
 *
 * The load generator is a bounded fetch loop (p-limit), not autocannon: the requests differ one from the next
 * (bodies, signatures, webhook ids), and the check afterwards needs to know exactly what was sent.
 */
// First: Powertools and the X-Ray SDK read the local process's environment when they are imported.
import '../../lib/local/process-env.js';
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { ensureTable } from '../../lib/adapters/dynamodb/admin.js';
import { DynamoCampaignConfigStore } from '../../lib/adapters/dynamodb/campaign-configs.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { DynamoCustomerRepository } from '../../lib/adapters/dynamodb/customers.js';
import defaultCampaignConfig from '../../lib/config/default-campaign-config.json' with { type: 'json' };
import { hashEmail } from '../../lib/domain/email.js';
import { signShopify } from '../../lib/domain/webhooks/signatures.js';
import { localSecrets, useLocalSecrets } from '../../lib/local/defaults.js';
import { startLocalServer } from '../../lib/local/server.js';
import { shopifyOrderCreatedBody } from '../../lib/local/shopify-order-payload.js';
import { findFreePort, startLocalStack } from '../../lib/local/stack.js';
import { systemClock } from '../../lib/ports/clock.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';

const argument = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1 || value > 100_000) throw new RangeError(`--${name}: a whole number from 1 to 100000`);
  return value;
};
const customers = argument('customers', 300);
const ordersPerCustomer = argument('orders', 5);
const concurrency = argument('concurrency', 32);
const option = (name: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
};
/** Against a running `npm start -- --port P` (`--url http://127.0.0.1:P --token <admin token>`), or a stack of its own. */
const targetUrl = option('url');
const runId = randomUUID().slice(0, 8);

let base: string;
let readOrderCount: (email: string) => Promise<number | undefined>;
let stop: () => Promise<void>;
useLocalSecrets();
if (targetUrl) {
  if (!/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(targetUrl)) throw new RangeError('--url: loopback only, e.g. http://127.0.0.1:8787');
  const token = option('token');
  if (!token) throw new RangeError('--token: the admin token `npm start` printed');
  base = targetUrl;
  readOrderCount = async (email) => {
    const response = await fetch(`${base}/api/customers?email=${encodeURIComponent(email)}`, { headers: { authorization: `Bearer ${token}` } });
    return response.status === 200 ? ((await response.json()) as { orderCount: number }).orderCount : undefined;
  };
  stop = async () => {};
} else {
  const stack = await startLocalStack({ dynamoPort: await findFreePort(), sesPort: await findFreePort() });
  const tableName = `winback-load-${runId}`;
  process.env.TABLE_NAME = tableName;
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  process.env.UNSUBSCRIBE_BASE_URL = 'http://localhost';
  process.env.WINBACK_ADMIN_TOKEN = randomUUID() + randomUUID();
  const client = createDocumentClient();
  await ensureTable(client, tableName);
  await applyCampaignConfig(defaultCampaignConfig, 'loadtest', { configs: new DynamoCampaignConfigStore(client, tableName), clock: systemClock });
  const port = await findFreePort();
  const server = await startLocalServer({ port });
  base = `http://127.0.0.1:${port}`;
  const repository = new DynamoCustomerRepository(client, tableName);
  readOrderCount = async (email) => {
    const customerId = await repository.customerIdForEmail(hashEmail(email));
    return customerId ? (await repository.get(customerId))?.summary.orderCount : undefined;
  };
  stop = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await stack.stop();
  };
}

interface Delivery {
  readonly body: string;
  readonly signature: string;
  readonly webhookId: string;
  readonly kind: 'valid' | 'duplicate' | 'forgery';
}

const deliveries: Delivery[] = [];
const expected = new Map<string, number>();
for (let c = 0; c < customers; c += 1) {
  const customerId = `${9007199254740993n + BigInt(c) * 101n + BigInt(parseInt(runId, 16)) * 1_000_000n}`;
  const email = `load.${runId}.${c}@example.org`;
  expected.set(email, ordersPerCustomer);
  for (let o = 0; o < ordersPerCustomer; o += 1) {
    const body = shopifyOrderCreatedBody({
      orderId: `${9100000000000000000n + BigInt(parseInt(runId, 16)) * 10_000_000n + BigInt(c * 1000 + o)}`,
      orderNumber: c * 1000 + o,
      placedAt: new Date(Date.UTC(2026, 9, 1 + o, 10, c % 60)),
      timeZone: 'Europe/Amsterdam',
      currency: 'EUR',
      customer: { id: customerId, email, firstName: 'Load' },
      lineItems: [{ id: `${9200000000000000000n + BigInt(c * 1000 + o)}`, title: 'Wool Scarf', quantity: 1, priceMinor: 4250 }],
    });
    deliveries.push({
      body,
      signature: signShopify(body, process.env.SHOPIFY_WEBHOOK_SECRET ?? localSecrets.SHOPIFY_WEBHOOK_SECRET),
      webhookId: randomUUID(),
      kind: 'valid',
    });
  }
}
const valid = [...deliveries];
// Platform retries (the same delivery again) and forgeries (a changed body under the original signature).
const duplicates = Math.min(argument('duplicates', Math.ceil(valid.length / 5)), valid.length);
const forgeries = Math.min(argument('forgeries', Math.ceil(valid.length / 8)), valid.length);
for (let index = 0; index < duplicates; index += 1) deliveries.push({ ...valid[index]!, kind: 'duplicate' });
for (let index = 0; index < forgeries; index += 1) {
  const original = valid[valid.length - 1 - index]!;
  deliveries.push({ ...original, body: original.body.replace('"42.50"', '"0.01"'), webhookId: randomUUID(), kind: 'forgery' });
}
// Shuffle deterministically so duplicates and forgeries interleave with the originals.
deliveries.sort((a, b) => (hashEmail(a.webhookId + a.kind) < hashEmail(b.webhookId + b.kind) ? -1 : 1));

const limit = pLimit(concurrency);
const statuses = new Map<string, number>();
const latencies: number[] = [];
const problems: string[] = [];
const started = performance.now();
await Promise.all(
  deliveries.map((delivery) =>
    limit(async () => {
      const sent = performance.now();
      const response = await fetch(`${base}/webhooks/shopify`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-shopify-topic': 'orders/create',
          'x-shopify-webhook-id': delivery.webhookId,
          'x-shopify-hmac-sha256': delivery.signature,
        },
        body: delivery.body,
      });
      await response.arrayBuffer();
      latencies.push(performance.now() - sent);
      statuses.set(`${delivery.kind} ${response.status}`, (statuses.get(`${delivery.kind} ${response.status}`) ?? 0) + 1);
      if (response.status >= 500) problems.push(`${delivery.kind}: ${response.status}`);
      if (delivery.kind === 'forgery' && response.status !== 401) problems.push(`forgery answered ${response.status}`);
      if (delivery.kind !== 'forgery' && response.status !== 200) problems.push(`${delivery.kind} answered ${response.status}`);
    }),
  ),
);
const seconds = (performance.now() - started) / 1000;

for (const [email, orders] of expected) {
  const stored = await readOrderCount(email);
  if (stored !== orders) problems.push(`${email}: ${stored ?? 'missing'} orders stored, ${orders} sent`);
}

latencies.sort((a, b) => a - b);
const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1);
console.log(
  `${deliveries.length} deliveries at concurrency ${concurrency} in ${seconds.toFixed(1)} s: ${(deliveries.length / seconds).toFixed(0)}/s, p50 ${p(0.5)} ms, p99 ${p(0.99)} ms`,
);
console.log(
  [...statuses.entries()]
    .sort()
    .map(([key, count]) => `  ${key}: ${count}`)
    .join('\n'),
);
console.log(
  problems.length === 0
    ? `every valid order stored exactly once for ${customers} customers; every forgery refused; no 5xx`
    : `${problems.length} problems:\n  ${problems.slice(0, 20).join('\n  ')}`,
);

await stop();
process.exitCode = problems.length === 0 ? 0 : 1;
