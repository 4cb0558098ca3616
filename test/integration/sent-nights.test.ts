import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoSendLedger } from '../../lib/adapters/dynamodb/send-ledger.js';
import { keys } from '../../lib/adapters/dynamodb/table.js';
import { addDays } from '../../lib/domain/dates.js';
import type { SentEntry } from '../../lib/domain/sends.js';
import { localShop } from '../support/local-aws.js';
import { byCustomer, recordCommands, sendOn, tonight } from '../support/sent-nights.js';

describe('the sent-nights index: the deliverability guard reads its window, not the history', () => {
  it('files every sent email by its night and answers a window from the index alone', async () => {
    // Prepare: a new table; sends on nights inside and outside a 7-night window, spread over many customers (shards)
    const { client, tableName } = await localShop();
    const ledger = new DynamoSendLedger(client, tableName);
    const window = { first: addDays(tonight, -7), last: addDays(tonight, -1) };
    const inside = Array.from({ length: 40 }, (_, i) => ({ customerId: `9007199254740${String(i).padStart(3, '0')}`, night: addDays(tonight, -1 - (i % 7)) }));
    for (const { customerId, night } of inside) await sendOn(ledger, customerId, night);
    await sendOn(ledger, 'before-window', addDays(tonight, -8));
    await sendOn(ledger, 'tonight', tonight);
    await sendOn(ledger, 'rejected', addDays(tonight, -2), 'failed');
    await sendOn(ledger, 'holdout', addDays(tonight, -2), 'held_out');
    await ledger.recordEvent(
      { customerId: inside[0]!.customerId, campaignId: 'lost-winback', episode: inside[0]!.night, step: 0 },
      'bounced',
      `${tonight}T01:00:00.000Z`,
    );
    const commands = recordCommands(client);
    // Act
    const entries = await ledger.sentOnNights(window.first, window.last);
    // Assess: exactly the window's sent emails, with their events, and no scan
    expect(byCustomer(entries)).toEqual(byCustomer(inside.map(({ customerId, night }) => ({ customerId, asOf: night }) as SentEntry)));
    expect(entries.every((entry) => entry.status === 'sent' && entry.completedAt !== undefined && entry.campaignId === 'lost-winback')).toBe(true);
    expect(entries.find((entry) => entry.customerId === inside[0]!.customerId)!.events).toEqual({ bounced: `${tonight}T01:00:00.000Z` });
    expect(commands.names).not.toContain('ScanCommand');
    expect(commands.names.filter((name) => name === 'QueryCommand')).toHaveLength(7 * 16);
  });

  it('covers a new table from its first send', async () => {
    // Prepare
    const { client, tableName } = await localShop();
    // Act
    const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: keys.sentNightsCoverage, ConsistentRead: true }));
    await new DynamoSendLedger(client, tableName).beginNight(tonight);
    const { Item: after } = await client.send(new GetCommand({ TableName: tableName, Key: keys.sentNightsCoverage, ConsistentRead: true }));
    // Assess
    expect(Item).toMatchObject({ since: '' });
    expect(after).toMatchObject({ since: '' });
  });
});
