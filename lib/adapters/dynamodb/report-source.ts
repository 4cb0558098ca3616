import { QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ReportOrder } from '../../domain/report.js';
import type { SendRecord } from '../../domain/sends.js';
import type { ReportSource } from '../../ports/report-source.js';
import { keys } from './table.js';

/** Parallel scan segments for the report's read of the ledger. */
const scanSegments = 4;

export class DynamoReportSource implements ReportSource {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * A parallel Scan of the base table filtered to ledger entries (`entity = 'send'`). Ledger entries live under each
   * customer's partition, and holdouts carry no message id, so no index holds them all: the scan reads the whole table
   * (DynamoDB charges for what it reads, not what the filter keeps), which is acceptable for an on-demand report but
   * not for anything that runs per event. A ledger index by night would make this a query if reports get frequent.
   */
  async ledgerEntries(from: string, to: string): Promise<SendRecord[]> {
    const segments = await Promise.all(
      Array.from({ length: scanSegments }, async (_, segment) => {
        const found: SendRecord[] = [];
        let start: Record<string, unknown> | undefined;
        do {
          const page = await this.client.send(
            new ScanCommand({
              TableName: this.tableName,
              Segment: segment,
              TotalSegments: scanSegments,
              FilterExpression: 'entity = :send AND asOf BETWEEN :from AND :to',
              ExpressionAttributeValues: { ':send': 'send', ':from': from, ':to': to },
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          );
          for (const { pk: _pk, sk: _sk, entity: _entity, ...record } of page.Items ?? []) found.push(record as unknown as SendRecord);
          start = page.LastEvaluatedKey;
        } while (start);
        return found;
      }),
    );
    return segments.flat();
  }

  /** A key-range query: orders sort by placedAt under the customer's partition. */
  async ordersOf(customerId: string, since: string, until: string): Promise<ReportOrder[]> {
    const orders: ReportOrder[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :since AND :until',
          // '~' sorts after the '#<orderId>' that follows placedAt in the key.
          ExpressionAttributeValues: { ':pk': keys.customer(customerId).pk, ':since': `ORDER#${since}`, ':until': `ORDER#${until}~` },
          ProjectionExpression: 'customerId, orderId, placedAt, totalMinor, currency, #counts, couponCodes',
          ExpressionAttributeNames: { '#counts': 'counts' },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const order = item as unknown as ReportOrder;
        if (order.placedAt > since && order.placedAt <= until) orders.push(order);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return orders;
  }
}
