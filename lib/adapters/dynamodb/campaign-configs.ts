import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type PauseRecord, type PauseScope, scopeKey } from '../../domain/deliverability.js';
import type { CampaignConfigStore, StoredCampaignConfig, StoredVersion } from '../../ports/campaign-configs.js';
import { isConditionalCheckFailure, queryAll } from './client.js';
import { keys } from './table.js';

export class DynamoCampaignConfigStore implements CampaignConfigStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async latest(): Promise<StoredVersion | undefined> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.campaignConfigPartition },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    return Items?.[0] ? toStoredVersion(Items[0]) : undefined;
  }

  async version(version: number): Promise<StoredVersion | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.campaignConfig(version), ConsistentRead: true }));
    return Item ? toStoredVersion(Item) : undefined;
  }

  async history(): Promise<StoredVersion[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.campaignConfigPartition },
      ScanIndexForward: false,
      ConsistentRead: true,
    });
    return items.map(toStoredVersion);
  }

  async putVersion(entry: StoredCampaignConfig): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.campaignConfig(entry.version), entity: 'campaign-config', ...entry },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  async pauses(): Promise<PauseRecord[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.pausePartition },
      ConsistentRead: true,
    });
    return items.map(({ pk: _pk, sk: _sk, entity: _entity, ...record }) => record as unknown as PauseRecord);
  }

  async pause(record: PauseRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.pause(scopeKey(record.scope)), entity: 'pause', ...record },
          // A resumed record is replaced by the new pause; a pause in force keeps its first reason.
          ConditionExpression: 'attribute_not_exists(pk) OR #state = :resumed',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':resumed': 'resumed' },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  async resume(scope: PauseScope, by: string, at: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.pause(scopeKey(scope)),
          UpdateExpression: 'SET #state = :resumed, resumedAt = :at, resumedBy = :by',
          ConditionExpression: '#state = :paused',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':resumed': 'resumed', ':paused': 'paused', ':at': at, ':by': by },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }
}

function toStoredVersion(item: Record<string, unknown>): StoredVersion {
  return {
    version: Number(item.version),
    raw: item.config,
    appliedAt: String(item.appliedAt),
    appliedBy: String(item.appliedBy),
    ...(typeof item.note === 'string' ? { note: item.note } : {}),
  };
}
