import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { withoutSdkLogging } from '../sdk-logging.js';

/**
 * One document client per process. The SDK honours AWS_ENDPOINT_URL_DYNAMODB, so the same code talks to
 * DynamoDB Local and to AWS. Adaptive retry mode backs off with jitter on throttling and transient errors.
 */
export function createDocumentClient(options: { endpoint?: string; region?: string; maxAttempts?: number } = {}): DynamoDBDocumentClient {
  const client = withoutSdkLogging(
    new DynamoDBClient({
      // The SDK's default chain otherwise (AWS_REGION in Lambda, the profile elsewhere): no region of ours.
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      maxAttempts: options.maxAttempts ?? 8,
      retryMode: 'adaptive',
    }),
  );
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function isConditionalCheckFailure(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
}

/** Batch calls can leave items unprocessed under load without throwing; this retries them with backoff and jitter. */
export async function retryUnprocessed<T>(attempt: (pending: T) => Promise<T | undefined>, initial: T, what: string, maxRounds = 10): Promise<void> {
  let pending: T | undefined = initial;
  for (let round = 0; pending !== undefined; round += 1) {
    if (round >= maxRounds) throw new Error(`${what}: items still unprocessed after ${maxRounds} rounds`);
    if (round > 0) await sleep(Math.random() * Math.min(2000, 50 * 2 ** round));
    pending = await attempt(pending);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type WriteRequest = { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Record<string, unknown> } };

/** Puts and deletes in batches of 25 (DynamoDB's limit), each batch retried until nothing is left unprocessed. */
export async function batchWrite(client: DynamoDBDocumentClient, tableName: string, requests: readonly WriteRequest[], what: string): Promise<void> {
  for (let start = 0; start < requests.length; start += 25) {
    await retryUnprocessed(
      async (pending) => {
        const result = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
        const left = result.UnprocessedItems?.[tableName];
        return left && left.length > 0 ? (left as WriteRequest[]) : undefined;
      },
      requests.slice(start, start + 25) as WriteRequest[],
      what,
    );
  }
}

/**
 * The items of these keys (strongly consistent), by `itemKey`: in requests of 100 keys (DynamoDB's limit), sent at
 * once, each retried until no key is left unprocessed. A key without an item is absent from the map.
 */
export async function batchGetItems(
  client: DynamoDBDocumentClient,
  tableName: string,
  wanted: readonly { pk: string; sk: string }[],
  what: string,
): Promise<Map<string, Record<string, unknown>>> {
  const unique = [...new Map(wanted.map((key) => [itemKey(key), key])).values()];
  const found = new Map<string, Record<string, unknown>>();
  const requests: Promise<void>[] = [];
  for (let start = 0; start < unique.length; start += 100) {
    requests.push(
      retryUnprocessed(
        async (pending: { pk: string; sk: string }[]) => {
          const result = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }));
          for (const item of result.Responses?.[tableName] ?? []) found.set(itemKey(item as { pk: string; sk: string }), item);
          const left = result.UnprocessedKeys?.[tableName]?.Keys;
          return left && left.length > 0 ? (left as typeof pending) : undefined;
        },
        unique.slice(start, start + 100),
        what,
      ),
    );
  }
  await Promise.all(requests);
  return found;
}

/** An item's key as one string, to find the items a batch read returned. */
export function itemKey(key: { readonly pk: unknown; readonly sk: unknown }): string {
  return `${String(key.pk)}\u0000${String(key.sk)}`;
}

/** Every item a query matches, page after page (DynamoDB stops each page at 1 MB). */
export async function queryAll(client: DynamoDBDocumentClient, input: Omit<QueryCommandInput, 'ExclusiveStartKey'>): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * A parallel Scan: `segments` readers over disjoint shares of the table or index, each reading its next page only once
 * `handle` has settled its last, so at most one page per segment is held. DynamoDB serves the segments at once, so a
 * long scan takes about 1/segments of its sequential time.
 */
export async function parallelScan(
  client: DynamoDBDocumentClient,
  input: Omit<ScanCommandInput, 'Segment' | 'TotalSegments' | 'ExclusiveStartKey'>,
  segments: number,
  handle: (items: Record<string, unknown>[], segment: number) => void | Promise<void>,
): Promise<void> {
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({ ...input, Segment: segment, TotalSegments: segments, ...(start ? { ExclusiveStartKey: start } : {}) }),
        );
        await handle(page.Items ?? [], segment);
        start = page.LastEvaluatedKey;
      } while (start);
    }),
  );
}
