import { type DynamoDBDocumentClient, QueryCommand, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Customer } from '../../domain/customer.js';
import type { ReportOrder } from '../../domain/report.js';
import type { LoggedDecision, NightRecord } from '../../domain/report-churn.js';
import type { ReportedSend } from '../../domain/sends.js';
import type { RecordsOptions, ReportRecords, ReportSource } from '../../ports/report-source.js';
import { parallelScan } from './client.js';
import { toCustomer } from './customers.js';
import { OrderGathering } from './order-gathering.js';
import { sendRecordOf } from './send-ledger.js';
import { customerScanIndex, keys, ttlAttribute } from './table.js';

/** Parallel scan segments for the report's read of the table. */
const scanSegments = 4;

export class DynamoReportSource implements ReportSource {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * One parallel Scan of the base table, filtered to ledger entries, decision log entries and run records in range.
   * Ledger and decision entries live under each customer's partition, and holdouts carry no message id, so no index
   * holds them all: the scan reads the whole table (DynamoDB charges for what it reads, not what the filter keeps).
   * Acceptable for an on-demand report, not for anything that runs per event; an index by night would make the ledger
   * a query if reports get frequent. With `ordersSince`, the scan also returns the orders it passes (placed after that
   * instant), and those of the customers with an entry in range are kept: the report then reads no customer's orders
   * on their own, where a query per customer cost more than the whole scan (see OrderGathering).
   */
  async records(from: string, to: string, options: RecordsOptions = {}): Promise<ReportRecords> {
    const sends: ReportedSend[] = [];
    const decisions: LoggedDecision[] = [];
    const runs: NightRecord[] = [];
    let latestRun: NightRecord | undefined;
    const since = options.ordersSince;
    const gathering = since === undefined ? undefined : new OrderGathering(since || undefined);
    const orders = since === undefined ? '' : since ? ' OR (entity = :order AND placedAt > :since)' : ' OR entity = :order';
    await this.scan(
      {
        TableName: this.tableName,
        FilterExpression: `(entity IN (:send, :decision, :run) AND asOf BETWEEN :from AND :to) OR pk = :latest${orders}`,
        ExpressionAttributeValues: {
          ':send': 'send',
          ':decision': 'decision',
          ':run': 'run',
          ':latest': keys.latestRun.pk,
          ':from': from,
          ':to': to,
          ...(gathering ? { ':order': 'order' } : {}),
          ...(since ? { ':since': since } : {}),
        },
      },
      (items, segment) => {
        // Ledger entries are most of what this reads: each is copied once, by reportedSendOf, and by nothing else.
        for (const item of items) {
          const { pk, entity } = item;
          const customerId = typeof pk === 'string' && pk.startsWith(customerPrefix) ? pk.slice(customerPrefix.length) : undefined;
          if (gathering) {
            if (customerId === undefined) gathering.close(segment);
            else gathering.item(segment, customerId, entity === 'order' ? reportOrderOf(item) : undefined);
          }
          if (pk === keys.latestRun.pk) latestRun = storedFieldsOf(item) as unknown as NightRecord;
          else if (entity === 'send') sends.push(reportedSendOf(item));
          else if (entity === 'decision')
            decisions.push({ ...(storedFieldsOf(item) as unknown as Omit<LoggedDecision, 'customerId'>), customerId: customerId! });
          else if (entity === 'run') runs.push(storedFieldsOf(item) as unknown as NightRecord);
        }
      },
    );
    if (gathering) for (let segment = 0; segment < scanSegments; segment++) gathering.close(segment);
    return { sends, decisions, runs, ...(latestRun ? { latestRun } : {}), ...(gathering ? { orders: gathering } : {}) };
  }

  /**
   * A second parallel Scan, of the sparse `customers` index, which holds only profiles: a profile can only be judged
   * once the nights (their models, the latest of record) and the ledger are known, and the base table's scan returns
   * them in any order, so reading the profiles in that same pass would mean holding every one until it ends. The price
   * is one more read of the profiles alone (not of orders or ledger entries), about 125,000 read units per million
   * profiles of 1 KB.
   */
  async forEachCustomer(visit: (customers: readonly Customer[]) => void | Promise<void>): Promise<void> {
    await this.scan({ TableName: this.tableName, IndexName: customerScanIndex.name }, async (items) => {
      const customers: Customer[] = [];
      for (const item of items) {
        // A damaged profile is skipped here as the night skips it.
        const customer = toCustomer(item);
        if (customer) customers.push(customer);
      }
      await visit(customers);
    });
  }

  private scan(
    input: Omit<ScanCommandInput, 'Segment' | 'TotalSegments' | 'ExclusiveStartKey'>,
    handle: (items: Record<string, unknown>[], segment: number) => void | Promise<void>,
  ): Promise<void> {
    return parallelScan(this.client, input, scanSegments, handle);
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

const customerPrefix = 'CUST#';

/** An order as the report reads it (what `ordersOf` projects). */
function reportOrderOf(item: Record<string, unknown>): ReportOrder {
  const { customerId, orderId, placedAt, totalMinor, currency, counts, couponCodes } = item as unknown as ReportOrder;
  return {
    customerId,
    orderId,
    placedAt,
    totalMinor,
    currency,
    ...(counts === undefined ? {} : { counts }),
    ...(couponCodes === undefined ? {} : { couponCodes }),
  };
}

/** A ledger entry as the report reads it: what it does not read stays behind, as it holds every entry at once. */
function reportedSendOf(item: Record<string, unknown>): ReportedSend {
  const { runId: _runId, heldSince: _heldSince, notBefore: _notBefore, offerExpiresOn: _offerExpiresOn, messageId: _messageId, ...send } = sendRecordOf(item);
  return send;
}

/** A decision log entry or run record without the table's own attributes. */
function storedFieldsOf(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, entity: _entity, [ttlAttribute]: _ttl, ...record } = item;
  return record;
}
