import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CampaignConfigStore, StoredCampaignConfig } from '../../ports/campaign-configs.js';
import { isConditionalCheckFailure } from './client.js';
import { keys } from './table.js';

export class DynamoCampaignConfigStore implements CampaignConfigStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async latest() {
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
    const item = Items?.[0];
    if (!item) return undefined;
    return { version: Number(item.version), raw: item.config as unknown, appliedAt: String(item.appliedAt), appliedBy: String(item.appliedBy) };
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
}
