/**
 * The single table. Every item has a partition key `pk` and a sort key `sk`:
 *
 * | item                  | pk                      | sk                                        |
 * |-----------------------|-------------------------|-------------------------------------------|
 * | customer profile      | CUST#<customerId>       | PROFILE                                   |
 * | order                 | CUST#<customerId>       | ORDER#<placedAt>#<orderId>                |
 * | send ledger entry     | CUST#<customerId>       | SEND#<campaignId>#<episode>#<step>        |
 * | decision (180 days)   | CUST#<customerId>       | DECISION#<asOf>#<runId>                   |
 * | scheduled send, due   | DUE#<UTC hour>          | <notBefore>#<customerId>#<campaign>#...   |
 * | suppression           | SUPPRESS#<sha256(email)>| SUPPRESSION                               |
 * | campaign config       | CONFIG#campaigns        | V#<version, 10 digits>                    |
 * | deliverability pause  | PAUSE                   | SHOP or CAMPAIGN#<campaignId>             |
 * | run record            | RUN#<asOf>              | <startedAt>#<runId>                       |
 * | latest finished run   | RUN#latest              | LATEST                                    |
 * | shop metadata         | SHOP                    | META                                      |
 * | email -> customer     | EMAIL#<sha256(email)>   | CUSTOMER                                  |
 * | platform order id     | ORDER#<source>#<orderId>| ORDER                                     |
 * | webhook delivery seen | DELIVERY#<source>#<id>  | DELIVERY  (expires after 30 days)         |
 * | fanned-out night      | NIGHT#<runId>           | PLAN, BUDGET, TALLY#<segment>#<start>     |
 * | report snapshot part  | REPORT#<snapshotId>     | PART#<n, 4 digits>  (expires after 35 days)|
 * | latest report         | REPORT#latest           | LATEST                                    |
 *
 * The sparse GSI `customers` holds only profiles (only they carry `customerScanKey`), so the night's parallel
 * scan reads customers and none of their orders or ledger entries.
 */
export const tableKeys = { partition: 'pk', sort: 'sk' } as const;
export const customerScanIndex = { name: 'customers', partitionKey: 'customerScanKey' } as const;
/** Sparse GSI over sent ledger entries: SES events name the message, and this finds its send. */
export const messageIndex = { name: 'messages', partitionKey: 'messageId' } as const;
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
  nightBudget: (runId: string) => ({ pk: `NIGHT#${runId}`, sk: 'BUDGET' }),
  nightTally: (runId: string, segment: number, start: string) => ({ pk: `NIGHT#${runId}`, sk: `TALLY#${String(segment).padStart(5, '0')}#${start}` }),
  reportSnapshotPartition: (snapshotId: string) => `REPORT#${snapshotId}`,
  reportSnapshotPart: (snapshotId: string, part: number) => ({ pk: `REPORT#${snapshotId}`, sk: `PART#${String(part).padStart(4, '0')}` }),
  latestReport: { pk: 'REPORT#latest', sk: 'LATEST' },
} as const;
