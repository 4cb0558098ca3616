import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { budgetShards, DynamoNightWork } from '../../lib/adapters/dynamodb/night-work.js';
import { DynamoSendLedger, dueShards } from '../../lib/adapters/dynamodb/send-ledger.js';
import { keys } from '../../lib/adapters/dynamodb/table.js';
import { localShop } from '../support/local-aws.js';

const morning = '2026-11-23T07:00:00.000Z';
const scheduledSend = (customerId: string) => ({
  customerId,
  campaignId: 'lapsed',
  episode: '2026-11-22',
  step: 0,
  runId: 'run-hot-keys-1',
  asOf: '2026-11-22',
  reservedAt: '2026-11-22T02:00:00.000Z',
  notBefore: morning,
});

describe('hot keys are sharded, so a 100,000-email night does not queue behind one partition', () => {
  it("spreads the night's daily cap over several items and still never exceeds it", async () => {
    // Prepare: eight workers, each with its own view of the budget, as the segment workers have
    const shop = await localShop();
    const work = new DynamoNightWork(shop.client, shop.tableName);
    const cap = 37;
    const workers = Array.from({ length: 8 }, () => work.budget('run-hot-keys-1', cap));

    // Act: 100 takes at once, then one given back (a send that did not happen) and taken again
    const taken = await Promise.all(Array.from({ length: 100 }, (_, index) => workers[index % workers.length]!.take()));
    await workers[0]!.giveBack();
    const again = await workers[0]!.take();
    const more = await workers[0]!.take();

    // Assess
    expect(taken.filter(Boolean)).toHaveLength(cap);
    expect([again, more]).toEqual([true, false]);
    const shares = await Promise.all(
      Array.from({ length: budgetShards }, async (_, shard) => {
        const { Item } = await shop.client.send(new GetCommand({ TableName: shop.tableName, Key: keys.nightBudget('run-hot-keys-1', shard) }));
        return (Item?.taken as number | undefined) ?? 0;
      }),
    );
    expect(shares.reduce((sum, share) => sum + share, 0)).toBe(cap);
    expect(Math.max(...shares)).toBe(Math.ceil(cap / budgetShards));
  });

  it("files one hour's due sends under several partitions, and reads them back oldest first, the unsharded ones too", async () => {
    // Prepare: 40 sends due the same minute, and one on the due list as the version before sharding filed it
    const shop = await localShop();
    const ledger = new DynamoSendLedger(shop.client, shop.tableName);
    for (let index = 0; index < 40; index += 1) await ledger.reserve(scheduledSend(`90071992547409${String(index).padStart(2, '0')}`), 'scheduled');
    const legacy = scheduledSend('9007199254740999');
    await ledger.reserve({ ...legacy, notBefore: '2026-11-23T06:59:00.000Z' }, 'scheduled');
    const sk = `2026-11-23T06:59:00.000Z#${legacy.customerId}#lapsed#2026-11-22#0`;
    await shop.client.send(
      new PutCommand({
        TableName: shop.tableName,
        Item: { pk: 'DUE#2026-11-23T06', sk, entity: 'due', key: { customerId: legacy.customerId, campaignId: 'lapsed', episode: '2026-11-22', step: 0 } },
      }),
    );

    // Act
    const due = await ledger.due(new Date('2026-11-23T07:30:00.000Z'), 200);

    // Assess
    const filled = await Promise.all(
      Array.from({ length: dueShards }, async (_, shard) => {
        const { Items } = await shop.client.send(
          new QueryCommand({
            TableName: shop.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `DUE#2026-11-23T07#${shard}` },
          }),
        );
        return Items?.length ?? 0;
      }),
    );
    expect(filled.filter((count) => count > 0).length).toBeGreaterThan(dueShards / 2);
    expect(filled.reduce((sum, count) => sum + count, 0)).toBe(40);
    expect(due).toHaveLength(41);
    expect(due[0]!.customerId).toBe(legacy.customerId);
  });

  it('reads an hour again when stale pointers filled a batch, so a short batch means nothing else was due', async () => {
    // Prepare: five pointers left behind in the unsharded bucket (their sends were taken long ago), filed before five
    // sends that are due the same hour
    const shop = await localShop();
    const ledger = new DynamoSendLedger(shop.client, shop.tableName);
    for (let index = 0; index < 5; index += 1) {
      const customerId = `900719925474100${index}`;
      await shop.client.send(
        new PutCommand({
          TableName: shop.tableName,
          Item: {
            pk: 'DUE#2026-11-23T06',
            sk: `2026-11-23T06:5${index}:00.000Z#${customerId}#lapsed#2026-11-22#0`,
            entity: 'due',
            key: { customerId, campaignId: 'lapsed', episode: '2026-11-22', step: 0 },
          },
        }),
      );
    }
    for (let index = 0; index < 5; index += 1)
      await ledger.reserve({ ...scheduledSend(`900719925474200${index}`), notBefore: '2026-11-23T06:58:00.000Z' }, 'scheduled');
    const upTo = new Date('2026-11-23T07:30:00.000Z');

    // Act
    const firstThree = await ledger.due(upTo, 3);
    const all = await ledger.due(upTo, 10);

    // Assess: the batch is full although the first pointers it met were stale; a short batch holds every due send
    expect(firstThree.map((entry) => entry.customerId)).toHaveLength(3);
    expect(new Set(all.map((entry) => entry.customerId))).toEqual(new Set(Array.from({ length: 5 }, (_, index) => `900719925474200${index}`)));
    const { Items } = await shop.client.send(
      new QueryCommand({ TableName: shop.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'DUE#2026-11-23T06' } }),
    );
    expect(Items).toEqual([]);
  });
});
