import { BatchGetCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Suppression, SuppressionList } from '../../ports/suppressions.js';
import { retryUnprocessed } from './client.js';
import { keys } from './table.js';

const batchGetLimit = 100;

export class DynamoSuppressionList implements SuppressionList {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async suppressedAmong(emailHashes: readonly string[]): Promise<ReadonlySet<string>> {
    const found = new Set<string>();
    const unique = [...new Set(emailHashes)];
    for (let start = 0; start < unique.length; start += batchGetLimit) {
      const requestKeys = unique.slice(start, start + batchGetLimit).map((hash) => keys.suppression(hash));
      await retryUnprocessed(
        async (pending) => {
          const result = await this.client.send(
            new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ProjectionExpression: 'emailHash' } } }),
          );
          for (const item of result.Responses?.[this.tableName] ?? []) found.add(String(item.emailHash));
          const left = result.UnprocessedKeys?.[this.tableName]?.Keys;
          return left && left.length > 0 ? (left as typeof pending) : undefined;
        },
        requestKeys,
        'reading suppressions',
      );
    }
    return found;
  }

  async add(suppression: Suppression): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.suppression(suppression.emailHash), entity: 'suppression', ...suppression } }),
    );
  }
}
