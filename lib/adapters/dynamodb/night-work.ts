import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NightPlan, NightWork, SegmentTally, SendBudget } from '../../ports/night-work.js';
import { isConditionalCheckFailure, queryAll } from './client.js';
import { keys, ttlAttribute } from './table.js';

/** The plan and tallies explain a night in the report for as long as its decision log is kept. */
const keptDays = 180;

export class DynamoNightWork implements NightWork {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async savePlan(plan: NightPlan): Promise<void> {
    // A model's standard errors can be NaN (a flat likelihood); DynamoDB stores no NaN, JSON makes them null.
    const stored = JSON.parse(JSON.stringify(plan)) as NightPlan;
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.nightPlan(plan.runId), entity: 'night-plan', plan: stored, [ttlAttribute]: expiry() } }),
    );
  }

  async plan(runId: string): Promise<NightPlan | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.nightPlan(runId), ConsistentRead: true }));
    return Item?.plan as NightPlan | undefined;
  }

  async saveTally(runId: string, segment: number, startCursor: string | undefined, tally: SegmentTally): Promise<void> {
    // Cursors are DynamoDB keys and can be long; their digest names the invocation well enough to replace a retry.
    const start = startCursor === undefined ? 'start' : createHash('sha256').update(startCursor).digest('hex').slice(0, 16);
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.nightTally(runId, segment, start), entity: 'night-tally', tally, [ttlAttribute]: expiry() },
      }),
    );
  }

  async tallies(runId: string): Promise<SegmentTally[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :tally)',
      ExpressionAttributeValues: { ':pk': keys.nightPlan(runId).pk, ':tally': 'TALLY#' },
      ConsistentRead: true,
    });
    return items.map((item) => item.tally as SegmentTally);
  }

  /**
   * The cap split over up to `budgetShards` items in their own partitions (a 100,000-email night's takes would
   * queue behind one item's 1,000 writes a second): a take tries the shards from a random one until one has room,
   * so the cap is exact. A shard that refused is not asked again by this worker unless it gave one back to it.
   */
  budget(runId: string, cap: number): SendBudget {
    const shards = Math.max(1, Math.min(budgetShards, cap));
    const capOf = (shard: number) => Math.floor(cap / shards) + (shard < cap % shards ? 1 : 0);
    const full = new Set<number>();
    const takenFrom: number[] = [];
    const takeFrom = async (shard: number): Promise<boolean> => {
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.nightBudget(runId, shard),
            UpdateExpression: 'ADD taken :one SET entity = :entity, #ttl = if_not_exists(#ttl, :ttl)',
            ConditionExpression: 'attribute_not_exists(taken) OR taken < :cap',
            ExpressionAttributeNames: { '#ttl': ttlAttribute },
            ExpressionAttributeValues: { ':one': 1, ':cap': capOf(shard), ':entity': 'night-budget', ':ttl': expiry() },
          }),
        );
        return true;
      } catch (error) {
        // This shard's share is taken: an answer, not a failure.
        if (isConditionalCheckFailure(error)) return false;
        throw error;
      }
    };
    return {
      take: async () => {
        const first = Math.floor(Math.random() * shards);
        for (let step = 0; step < shards; step += 1) {
          const shard = (first + step) % shards;
          if (full.has(shard) || capOf(shard) === 0) continue;
          if (await takeFrom(shard)) {
            takenFrom.push(shard);
            return true;
          }
          full.add(shard);
        }
        return false;
      },
      giveBack: async () => {
        const shard = takenFrom.pop() ?? 0;
        full.delete(shard);
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.nightBudget(runId, shard),
            UpdateExpression: 'ADD taken :minusOne',
            ExpressionAttributeValues: { ':minusOne': -1 },
          }),
        );
      },
    };
  }
}

/** Items the night's daily cap is split over (never more than the cap itself). */
export const budgetShards = 16;

function expiry(): number {
  return Math.floor(Date.now() / 1000) + keptDays * 86_400;
}
