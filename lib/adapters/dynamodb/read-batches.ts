import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetItems, itemKey } from './client.js';

type ItemKey = { readonly pk: string; readonly sk: string };

/**
 * Coalesces the strongly consistent reads by key that concurrent callers issue in the same turn of the event loop
 * into BatchGetItem requests (see `batchGetItems`): a batch of the send queue reads its entries and its profiles
 * through different repositories, and each went out as its own request. A lone read is sent as the plain GetItem.
 * Should a request fail, every read in it fails: callers that need one bad key to fail alone read again per key.
 */
export class ReadBatcher {
  private pending: { key: ItemKey; resolve: (item: Record<string, unknown> | undefined) => void; reject: (error: unknown) => void }[] = [];
  private scheduled = false;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The items of these keys, in their order (undefined where there is none). */
  getMany(keys: readonly ItemKey[]): Promise<(Record<string, unknown> | undefined)[]> {
    return Promise.all(keys.map((key) => this.get(key)));
  }

  get(key: ItemKey): Promise<Record<string, unknown> | undefined> {
    return new Promise((resolve, reject) => {
      this.pending.push({ key: { pk: key.pk, sk: key.sk }, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const reads = this.pending;
    this.pending = [];
    if (reads.length === 1) {
      const [read] = reads;
      this.client
        .send(new GetCommand({ TableName: this.tableName, Key: read!.key, ConsistentRead: true }))
        .then(({ Item }) => read!.resolve(Item), read!.reject);
      return;
    }
    batchGetItems(
      this.client,
      this.tableName,
      reads.map((read) => read.key),
      'reading items',
    ).then(
      (found) => {
        for (const read of reads) read.resolve(found.get(itemKey(read.key)));
      },
      (error: unknown) => {
        for (const read of reads) read.reject(error);
      },
    );
  }
}

const readBatchers = new WeakMap<DynamoDBDocumentClient, Map<string, ReadBatcher>>();

/** The one read batcher of a client and table: the ledger, the customers and the suppressions share it. */
export function readBatcherFor(client: DynamoDBDocumentClient, tableName: string): ReadBatcher {
  let byTable = readBatchers.get(client);
  if (!byTable) readBatchers.set(client, (byTable = new Map()));
  let batcher = byTable.get(tableName);
  if (!batcher) byTable.set(tableName, (batcher = new ReadBatcher(client, tableName)));
  return batcher;
}
