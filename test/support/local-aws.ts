import { randomUUID } from 'node:crypto';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { inject, vi } from 'vitest';
import { LocalCouponProvider } from '../../lib/adapters/coupons/local.js';
import { ensureTable } from '../../lib/adapters/dynamodb/admin.js';
import { DynamoCampaignConfigStore } from '../../lib/adapters/dynamodb/campaign-configs.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { DynamoCustomerRepository } from '../../lib/adapters/dynamodb/customers.js';
import { DynamoRunRecorder } from '../../lib/adapters/dynamodb/runs.js';
import { DynamoSendLedger } from '../../lib/adapters/dynamodb/send-ledger.js';
import { DynamoSuppressionList } from '../../lib/adapters/dynamodb/suppressions.js';
import { SesEmailSender } from '../../lib/adapters/ses/email-sender.js';
import { useLocalCredentials } from '../../lib/local/stack.js';
import type { Clock } from '../../lib/ports/clock.js';
import type { NightDependencies } from '../../lib/usecases/run-night.js';

export const testUnsubscribeSecret = 'test-unsubscribe-signing-key-0123456789abcdef';

/** A fresh table on the shared DynamoDB Local, and adapters wired to it and to the local SES. */
export async function localShop(options: { clock?: Clock; email?: NightDependencies['email'] } = {}) {
  useLocalCredentials();
  const dynamoEndpoint = inject('dynamoEndpoint');
  const sesEndpoint = inject('sesEndpoint');
  const client = createDocumentClient({ endpoint: dynamoEndpoint });
  const tableName = `winback-test-${randomUUID().slice(0, 8)}`;
  await ensureTable(client, tableName);
  const deps: NightDependencies = {
    customers: new DynamoCustomerRepository(client, tableName),
    ledger: new DynamoSendLedger(client, tableName),
    suppressions: new DynamoSuppressionList(client, tableName),
    configs: new DynamoCampaignConfigStore(client, tableName),
    runs: new DynamoRunRecorder(client, tableName),
    email: options.email ?? new SesEmailSender(new SESv2Client({ endpoint: sesEndpoint, region: 'eu-west-1' })),
    coupons: new LocalCouponProvider(testUnsubscribeSecret),
    clock: options.clock ?? { now: () => new Date() },
    unsubscribe: { baseUrl: 'https://shop.example/winback', secret: testUnsubscribeSecret },
  };
  return { client, tableName, deps, dynamoEndpoint, sesEndpoint };
}

export interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
  headers?: { name: string; value: string }[];
}

/**
 * When this test file started, in whole seconds (the local SES stamps each email so). One local SES serves the whole
 * run, and its store grows with every file's emails: reading only what was sent since this file began keeps each
 * look at an inbox small instead of parsing the run's every email (megabytes by the end) each time.
 */
const fileStartedAt = Math.floor(Date.now() / 1000) - 1;

/** What the local SES keeps, read through its /store API, filtered to one recipient. */
export async function inboxOf(sesEndpoint: string, address: string): Promise<StoredEmail[]> {
  const response = await fetch(`${sesEndpoint}/store?since=${fileStartedAt}`);
  const { emails } = (await response.json()) as { emails: StoredEmail[] };
  return emails.filter((email) => email.destination.to.includes(address));
}

/**
 * The environment a handler reads at cold start, pointed at this shop's table and the local SES: what the local
 * runner sets, with `extra` for the secrets a test's handlers need (each unstubbed by `vi.unstubAllEnvs`).
 */
export function useShopEnvironment(shop: { tableName: string; dynamoEndpoint: string; sesEndpoint: string }, extra: Record<string, string> = {}): void {
  const environment: Record<string, string> = {
    TABLE_NAME: shop.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: shop.dynamoEndpoint,
    AWS_ENDPOINT_URL_SESV2: shop.sesEndpoint,
    UNSUBSCRIBE_SECRET: testUnsubscribeSecret,
    UNSUBSCRIBE_BASE_URL: 'https://shop.example/winback',
    ...extra,
  };
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
}
