import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Suppression, SuppressionList } from '../../ports/suppressions.js';
import { readBatcherFor } from './read-batches.js';
import { keys } from './table.js';

export class DynamoSuppressionList implements SuppressionList {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async suppressedAmong(emailHashes: readonly string[]): Promise<ReadonlySet<string>> {
    // With the other reads of this turn (a send queue batch's entries and profiles), in as few requests as they fit.
    const unique = [...new Set(emailHashes)];
    const items = await readBatcherFor(this.client, this.tableName).getMany(unique.map((hash) => keys.suppression(hash)));
    return new Set(unique.filter((_, index) => items[index] !== undefined));
  }

  async add(suppression: Suppression): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.suppression(suppression.emailHash), entity: 'suppression', ...suppression } }),
    );
  }
}
