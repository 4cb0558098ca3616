import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { keys } from '../../lib/adapters/dynamodb/table.js';
import { signShopify } from '../../lib/domain/webhooks/signatures.js';
import { localSecrets } from '../../lib/local/defaults.js';
import { shopifyOrderCreatedBody } from '../../lib/local/shopify-order-payload.js';
import { useLocalCredentials } from '../../lib/local/stack.js';
import { freshMachineEnv, type ServingCli, startServing, threeFreePorts } from '../support/cli.js';

const cli = fileURLToPath(new URL('../../bin/winback.js', import.meta.url));
/** Shopify admin's "Export orders" CSV: one row per line item, order fields on the first row, a POS order, a bad total. */
const shopifyExport = fileURLToPath(new URL('../fixtures/import/shopify-orders.csv', import.meta.url));

interface ImportFigures {
  readonly rows: number;
  readonly orders: number;
  readonly customers: number;
  readonly stored: number;
  readonly duplicates: number;
  readonly ignored: number;
  readonly invalid: number;
}

interface CustomerView {
  readonly customerId: string;
  readonly orderCount: number;
  readonly totalSpent: string;
  readonly consent: { readonly state: string };
  readonly status: string;
}

/**
 * Issue 22's first acceptance point, as a merchant lives it on a clean clone: the shop's Shopify export imported into
 * an empty local shop (twice), then `npm start` serving while Shopify delivers a signed orders/create for an order of
 * that export, then `npm start -- --once --as-of DATE`. Every step is the real CLI in a child process, on one data
 * folder of its own; the local stack lives only as long as each command.
 */
describe('a real shop: import its Shopify export, take its webhooks, run its nights', { timeout: 300_000 }, () => {
  let workDir: string;
  let dataDir: string;
  let port: number;
  // As on a fresh machine: nothing of the test run's own settings (its log level, a table) reaches the CLI.
  const winback = (...args: string[]) => promisify(execFile)(process.execPath, [cli, ...args], { env: freshMachineEnv(dataDir), timeout: 300_000 });
  const lastJsonLine = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as ImportFigures;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'winback-import-e2e-'));
    dataDir = join(workDir, 'data');
    port = await threeFreePorts();
  });
  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('imports the export into an empty local shop, and stores nothing when it is imported again', async () => {
    // Act
    const first = await winback('import', shopifyExport, '--format', 'shopify-orders', '--json', '--port', String(port));
    const second = await winback('import', shopifyExport, '--format', 'shopify-orders', '--json', '--port', String(port));
    // Assess: 7 orders of 3 customers (3 of them not purchases: voided, refunded, a Bogus Gateway test); the
    // point-of-sale order without an email is skipped, the row with a comma in its total is reported by line and field.
    expect(lastJsonLine(first.stdout)).toMatchObject({ rows: 10, orders: 7, customers: 3, stored: 7, duplicates: 0, ignored: 3, invalid: 1 });
    expect(first.stderr).toContain('shopify-orders.csv:10: Total:');
    expect(lastJsonLine(second.stdout)).toMatchObject({ rows: 10, orders: 7, customers: 0, stored: 0, duplicates: 7 });
  });

  describe('then npm start, serving', () => {
    let serving: ServingCli;
    const view = async (email: string) => {
      const response = await fetch(`http://127.0.0.1:${port}/api/customers?email=${encodeURIComponent(email)}`, {
        headers: { authorization: `Bearer ${serving.token}` },
      });
      expect(response.status).toBe(200);
      return (await response.json()) as CustomerView;
    };
    /** Every item stored under the customer: the profile, its orders, its decisions. */
    const storedUnder = async (customerId: string) => {
      useLocalCredentials();
      const client = createDocumentClient({ endpoint: `http://127.0.0.1:${port + 2}` });
      const { Items } = await client.send(
        new QueryCommand({
          TableName: 'winback',
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.customer(customerId).pk },
          ConsistentRead: true,
        }),
      );
      return Items ?? [];
    };

    beforeAll(async () => {
      serving = await startServing(['--as-of', '2026-01-19', '--port', String(port)], { dataDir });
    }, 600_000);
    afterAll(async () => {
      await serving?.stop();
    });

    it('did not seed the demo shop on top of the imported customers', () => {
      // Assess
      expect(serving.output()).not.toContain('Seeding');
      expect(serving.output()).toMatch(/\b3 customers in \d+ segments/);
    });

    it('gives each customer of the export the right order count, spend and consent', async () => {
      // Act
      const ana = await view('ana.lopes@example.org');
      const bo = await view('bo@example.org');
      const carla = await view('carla@example.org');
      // Assess: Ana's two orders (the second partially refunded, at the total charged) under two spellings of her address
      expect(ana).toMatchObject({ orderCount: 2, totalSpent: '84.90', consent: { state: 'subscribed' } });
      // Bo's paid and pending orders count; the voided and the refunded one do not
      expect(bo).toMatchObject({ orderCount: 2, totalSpent: '41.99', consent: { state: 'not_subscribed' } });
      // Carla's only order was a test (Bogus Gateway)
      expect(carla).toMatchObject({ orderCount: 0, totalSpent: '0.00' });
    });

    it('leaves the customer unchanged when a signed orders/create arrives for an order of the export', async () => {
      // Prepare: order #1001 as Shopify delivers it, with Ana's Shopify customer id (the export has none)
      const ana = await view('ana.lopes@example.org');
      const before = await storedUnder(ana.customerId);
      const body = shopifyOrderCreatedBody({
        orderId: '5624365672583728497',
        orderNumber: 1001,
        placedAt: new Date('2025-03-02T09:14:31Z'),
        timeZone: 'Europe/Lisbon',
        currency: 'EUR',
        customer: {
          id: '7390512578625',
          email: 'Ana.Lopes@Example.org',
          firstName: 'Ana',
          lastName: 'Lopes',
          country: 'PT',
          consent: { state: 'subscribed', updatedAt: '2025-03-02T09:14:31Z' },
        },
        lineItems: [
          { id: '14207413977153', title: 'Espresso beans 1 kg', sku: 'BEAN-1KG', quantity: 2, priceMinor: 2495 },
          { id: '14207413977154', title: 'Paper filters', sku: 'FILT-100', quantity: 1, priceMinor: 500 },
        ],
      });
      // Act
      const response = await fetch(`http://127.0.0.1:${port}/webhooks/shopify`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-shopify-topic': 'orders/create',
          'x-shopify-hmac-sha256': signShopify(body, localSecrets.SHOPIFY_WEBHOOK_SECRET),
          'x-shopify-shop-domain': 'winback-coffee.myshopify.com',
          'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
          'x-shopify-triggered-at': '2026-01-19T15:15:03.123456Z',
          'x-shopify-api-version': '2025-10',
        },
      });
      // Assess
      expect(response.status).toBeLessThan(300);
      expect(await view('ana.lopes@example.org')).toMatchObject({ customerId: ana.customerId, orderCount: 2, totalSpent: '84.90', consent: ana.consent });
      expect(await storedUnder(ana.customerId)).toEqual(before);
    });

    it('stops on SIGTERM', async () => {
      // Act
      const code = await serving.stop();
      // Assess
      expect(code).toBe(0);
    });
  });

  it('then `npm start -- --once --as-of DATE` classifies the imported customers, not the demo shop', async () => {
    // Act
    const night = await winback('start', '--once', '--as-of', '2026-01-20', '--port', String(port), '--report', join(workDir, 'night.json'));
    // Assess
    const summary = JSON.parse(await readFile(join(workDir, 'night.json'), 'utf8'));
    expect(night.stdout).not.toContain('Seeding');
    expect(night.stdout).toMatch(/\b3 customers in \d+ segments/);
    expect(summary).toMatchObject({ asOf: '2026-01-20', customersScanned: 3 });
    // Carla has no purchase to be classified by. Ana's last order is 214 days old after a gap of 110 days between
    // her two: she is slipping away, whichever model classifies her.
    expect(summary.active + summary.atRisk + summary.lost).toBe(2);
    expect(summary.atRisk + summary.lost).toBeGreaterThanOrEqual(1);
  });
});
