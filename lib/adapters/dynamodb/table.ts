import { unitHash } from '../../domain/assignment.js';

/**
 * The single table. Every item has a partition key `pk` and a sort key `sk`:
 *
 * | item                  | pk                      | sk                                        |
 * |-----------------------|-------------------------|-------------------------------------------|
 * | customer profile      | CUST#<customerId>       | PROFILE                                   |
 * | order                 | CUST#<customerId>       | ORDER#<placedAt>#<orderId>                |
 * | send ledger entry     | CUST#<customerId>       | SEND#<campaignId>#<episode>#<step>        |
 * | decision (180 days)   | CUST#<customerId>       | DECISION#<asOf>#<runId>                   |
 * | scheduled send, due   | DUE#<UTC hour>#<shard>  | <notBefore>#<customerId>#<campaign>#...   |
 * | suppression           | SUPPRESS#<sha256(email)>| SUPPRESSION                               |
 * | campaign config       | CONFIG#campaigns        | V#<version, 10 digits>                    |
 * | deliverability pause  | PAUSE                   | SHOP or CAMPAIGN#<campaignId>             |
 * | run record            | RUN#<asOf>              | <startedAt>#<runId>                       |
 * | latest finished run   | RUN#latest              | LATEST                                    |
 * | shop metadata         | SHOP                    | META                                      |
 * | email -> customer     | EMAIL#<sha256(email)>   | CUSTOMER                                  |
 * | platform order id     | ORDER#<source>#<orderId>| ORDER                                     |
 * | webhook delivery seen | DELIVERY#<source>#<id>  | DELIVERY  (expires after 30 days)         |
 * | fanned-out night      | NIGHT#<runId>           | PLAN, TALLY#<segment>#<start>             |
 * | night's cap, a shard  | NIGHT#<runId>#BUDGET#<n>| BUDGET                                    |
 * | report snapshot part  | REPORT#<snapshotId>     | PART#<n, 4 digits>  (expires after 35 days)|
 * | latest report         | REPORT#latest           | LATEST                                    |
 * | sent-nights coverage  | SHOP                    | SENT_NIGHTS                               |
 *
 * The sparse GSI `customers` holds only profiles (only they carry `customerScanKey`), so the night's parallel
 * scan reads customers and none of their orders or ledger entries. The sparse GSI `nights` holds only sent ledger
 * entries, filed by their night and a shard of the customer id, so the deliverability guard reads its window's
 * emails and not the shop's whole history.
 */
export const tableKeys = { partition: 'pk', sort: 'sk' } as const;
export const customerScanIndex = { name: 'customers', partitionKey: 'customerScanKey' } as const;
/** Sparse GSI over sent ledger entries: SES events name the message, and this finds its send. */
export const messageIndex = { name: 'messages', partitionKey: 'messageId' } as const;
/**
 * Sparse GSI over sent ledger entries by night: `sentNight` is `<asOf>#<shard>`, set when an entry is marked sent.
 * The shard (a hash of the customer id) spreads a night's writes over `sentNightShards` partitions of the index, so
 * a night that sends fast is not throttled by one hot key. It projects only what the guard measures.
 */
export const sentNightIndex = {
  name: 'nights',
  partitionKey: 'sentNight',
  projected: ['customerId', 'campaignId', 'episode', 'step', 'asOf', 'status', 'completedAt', 'messageId', 'events'],
} as const;
export const sentNightShards = 16;

/** `<asOf>#<shard>`: the sent-nights index key of a customer's email of that night. */
export function sentNightKey(asOf: string, customerId: string): string {
  return sentNightPartition(asOf, Math.floor(unitHash(`sent-night.${customerId}`) * sentNightShards));
}

/** One partition of the sent-nights index: a night's share of its emails. */
export function sentNightPartition(asOf: string, shard: number): string {
  return `${asOf}#${String(shard).padStart(2, '0')}`;
}

/** Epoch seconds; DynamoDB's TTL deletes items past it. Enabled now for the items that expire in later issues (webhook dedupe keys, old decision logs). */
export const ttlAttribute = 'expiresAt';

export const keys = {
  customer: (customerId: string) => ({ pk: `CUST#${customerId}`, sk: 'PROFILE' }),
  order: (customerId: string, placedAt: string, orderId: string) => ({ pk: `CUST#${customerId}`, sk: `ORDER#${placedAt}#${orderId}` }),
  send: (customerId: string, campaignId: string, episode: string, step: number) => ({
    pk: `CUST#${customerId}`,
    sk: `SEND#${campaignId}#${episode}#${step}`,
  }),
  suppression: (emailHash: string) => ({ pk: `SUPPRESS#${emailHash}`, sk: 'SUPPRESSION' }),
  campaignConfigPartition: 'CONFIG#campaigns',
  campaignConfig: (version: number) => ({ pk: 'CONFIG#campaigns', sk: `V#${String(version).padStart(10, '0')}` }),
  /** One partition, so the night reads every pause record with one query. */
  pausePartition: 'PAUSE',
  pause: (scopeKey: string) => ({ pk: 'PAUSE', sk: scopeKey }),
  run: (asOf: string, startedAt: string, runId: string) => ({ pk: `RUN#${asOf}`, sk: `${startedAt}#${runId}` }),
  latestRun: { pk: 'RUN#latest', sk: 'LATEST' },
  shopMeta: { pk: 'SHOP', sk: 'META' },
  decision: (customerId: string, asOf: string, runId: string) => ({ pk: `CUST#${customerId}`, sk: `DECISION#${asOf}#${runId}` }),
  emailPointer: (emailHash: string) => ({ pk: `EMAIL#${emailHash}`, sk: 'CUSTOMER' }),
  orderPointer: (source: string, orderId: string) => ({ pk: `ORDER#${source}#${orderId}`, sk: 'ORDER' }),
  delivery: (source: string, deliveryId: string) => ({ pk: `DELIVERY#${source}#${deliveryId}`, sk: 'DELIVERY' }),
  nightPlan: (runId: string) => ({ pk: `NIGHT#${runId}`, sk: 'PLAN' }),
  /** One shard of the night's daily cap: in its own partition, so the workers' takes spread over several. */
  nightBudget: (runId: string, shard: number) => ({ pk: `NIGHT#${runId}#BUDGET#${String(shard).padStart(2, '0')}`, sk: 'BUDGET' }),
  nightTally: (runId: string, segment: number, start: string) => ({ pk: `NIGHT#${runId}`, sk: `TALLY#${String(segment).padStart(5, '0')}#${start}` }),
  reportSnapshotPartition: (snapshotId: string) => `REPORT#${snapshotId}`,
  reportSnapshotPart: (snapshotId: string, part: number) => ({ pk: `REPORT#${snapshotId}`, sk: `PART#${String(part).padStart(4, '0')}` }),
  latestReport: { pk: 'REPORT#latest', sk: 'LATEST' },
  /** Since which night every sent entry carries `sentNight` (tables older than the index lack it before then). */
  sentNightsCoverage: { pk: 'SHOP', sk: 'SENT_NIGHTS' },
} as const;
