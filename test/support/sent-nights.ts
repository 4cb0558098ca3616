import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoSendLedger } from '../../lib/adapters/dynamodb/send-ledger.js';
import type { SentEntry } from '../../lib/domain/sends.js';

export const tonight = '2026-11-22';

/** Every command the client sends, by name: tells a query of the nights index from a scan of the history. */
export function recordCommands(client: DynamoDBDocumentClient): { names: string[] } {
  const seen = { names: [] as string[] };
  client.middlewareStack.add((next, context) => (args) => (seen.names.push(context.commandName as string), next(args)), {
    step: 'initialize',
    name: `record-${randomUUID()}`,
  });
  return seen;
}

/** Reserves and settles one step of a customer on a night, as the sender does. */
export async function sendOn(ledger: DynamoSendLedger, customerId: string, night: string, outcome: 'sent' | 'failed' | 'held_out' = 'sent'): Promise<void> {
  const key = { customerId, campaignId: 'lost-winback', episode: night, step: 0 };
  await ledger.reserve({ ...key, runId: `run-${night}`, asOf: night, reservedAt: `${night}T02:00:00.000Z` }, outcome === 'held_out' ? 'held_out' : 'reserved');
  if (outcome === 'sent') await ledger.complete(key, { status: 'sent', messageId: `m-${customerId}-${night}`, at: `${night}T02:00:01.000Z`, night });
  if (outcome === 'failed') await ledger.complete(key, { status: 'failed', errorCode: 'MessageRejected', at: `${night}T02:00:01.000Z` });
}

export const byCustomer = (entries: readonly SentEntry[]) => entries.map((entry) => `${entry.customerId}@${entry.asOf}`).sort();
