import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NightSummary, RunRecorder } from '../../ports/runs.js';
import { keys } from './table.js';

export class DynamoRunRecorder implements RunRecorder {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async started(run: { runId: string; asOf: string; startedAt: string; configVersion: number }): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.run(run.asOf, run.startedAt, run.runId), entity: 'run', status: 'running', ...run } }),
    );
  }

  async finished(night: NightSummary): Promise<void> {
    const status = night.stoppedBy ? 'stopped' : 'finished';
    // A model's standard errors can be NaN (a flat likelihood); DynamoDB stores no NaN, JSON makes them null.
    const summary = JSON.parse(JSON.stringify(night)) as NightSummary;
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.run(summary.asOf, summary.startedAt, summary.runId), entity: 'run', status, ...summary } }),
    );
    // The read API and console classify customers between nights with the pace the latest night measured.
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.latestRun, entity: 'run', status, ...summary } }));
  }

  async latest(): Promise<NightSummary | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.latestRun }));
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, entity: _entity, status: _status, ...summary } = Item;
    return summary as unknown as NightSummary;
  }

  async failed(run: { runId: string; asOf: string; startedAt: string; error: string }): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.run(run.asOf, run.startedAt, run.runId),
        UpdateExpression: 'SET #status = :failed, #error = :error, entity = :entity, runId = :runId, asOf = :asOf, startedAt = :startedAt',
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
        ExpressionAttributeValues: {
          ':failed': 'failed',
          ':error': run.error,
          ':entity': 'run',
          ':runId': run.runId,
          ':asOf': run.asOf,
          ':startedAt': run.startedAt,
        },
      }),
    );
  }

  /** The runs of one night, newest first. */
  async runsOf(asOf: string): Promise<Record<string, unknown>[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.run(asOf, '', '').pk },
        ScanIndexForward: false,
      }),
    );
    return Items ?? [];
  }
}
