import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { ConsentState } from '../../domain/customer.js';
import { isDeliverableAddress, normalizeEmail } from '../../domain/email.js';
import type { IncomingOrder } from '../../domain/orders/incoming-order.js';
import { shopifyConsentState, unknownConsentTime } from '../../domain/orders/shopify.js';
import { notAfter } from '../../domain/unreadable-record.js';
import { minorUnitsAt, parseJsonText, plausibleTimeAt } from '../../domain/webhooks/raw-json.js';
import { type ImportRecord, invalidRecord, noEmailReason, RowProblem } from '../../import/records.js';
import { type ShopifyAdminClient, ShopifyApiError } from './admin-client.js';

/**
 * A shop's whole order history through the GraphQL Admin API's bulk operations (shopify.dev, "Perform bulk
 * operations with the GraphQL Admin API"): `bulkOperationRunQuery` starts one (one at a time per shop and app), the
 * operation is polled by id until COMPLETED, and its JSONL result is downloaded from `url` and streamed. Nested
 * connections come as lines of their own carrying `__parentId`, after their parent: each order's line items are
 * gathered until the next order starts. Orders are read like their webhooks are (lib/domain/orders/shopify.ts).
 */
export const bulkOrdersQuery = `{
  orders {
    edges {
      node {
        id
        createdAt
        updatedAt
        cancelledAt
        test
        displayFinancialStatus
        email
        discountCodes
        totalPriceSet { shopMoney { amount currencyCode } }
        billingAddress { firstName lastName countryCodeV2 }
        customer {
          id
          email
          firstName
          lastName
          createdAt
          emailMarketingConsent { marketingState consentUpdatedAt }
        }
        lineItems {
          edges { node { id title quantity sku originalUnitPriceSet { shopMoney { amount } } } }
        }
      }
    }
  }
}`;

const runMutation = `mutation RunOrdersExport($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message }
  }
}`;

const pollQuery = `query BulkOperationStatus($id: ID!) {
  node(id: $id) { ... on BulkOperation { id status errorCode objectCount url partialDataUrl } }
}`;

export interface BulkOrdersOptions {
  readonly receivedAt: Date;
  /** Between polls (default 2 s; Shopify suggests polling no more than every few seconds). */
  readonly pollMs?: number;
  /** How long the operation may take (default 6 hours). */
  readonly patienceMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly fetch?: typeof fetch;
  readonly onStatus?: (status: { status: string; objectCount?: string }) => void;
}

interface BulkOperation {
  readonly id: string;
  readonly status: string;
  readonly errorCode?: string | null;
  readonly objectCount?: string | null;
  readonly url?: string | null;
}

export async function* shopifyBulkOrders(client: ShopifyAdminClient, options: BulkOrdersOptions): AsyncGenerator<ImportRecord> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = await client.request<{
    bulkOperationRunQuery: { bulkOperation: BulkOperation | null; userErrors: { field?: string[] | null; message: string }[] };
  }>(runMutation, { query: bulkOrdersQuery });
  const { bulkOperation, userErrors } = started.bulkOperationRunQuery;
  if (userErrors.length > 0 || !bulkOperation) {
    throw new ShopifyApiError(
      `Shopify did not start the export: ${userErrors.map((error) => error.message).join('; ') || 'no operation returned'}`,
      'bulk_not_started',
      false,
    );
  }
  const deadline = Date.now() + (options.patienceMs ?? 6 * 3_600_000);
  let operation = bulkOperation;
  while (operation.status === 'CREATED' || operation.status === 'RUNNING' || operation.status === 'CANCELING') {
    if (Date.now() > deadline)
      throw new ShopifyApiError(`the bulk operation ${operation.id} is still ${operation.status}; it keeps running at Shopify`, 'bulk_timeout', false);
    await sleep(options.pollMs ?? 2_000);
    const polled = await client.request<{ node: BulkOperation | null }>(pollQuery, { id: operation.id }, 1);
    if (!polled.node) throw new ShopifyApiError(`the bulk operation ${operation.id} is gone`, 'bulk_missing', false);
    operation = polled.node;
    options.onStatus?.({ status: operation.status, ...(operation.objectCount ? { objectCount: operation.objectCount } : {}) });
  }
  if (operation.status !== 'COMPLETED') {
    throw new ShopifyApiError(
      `the bulk operation ended ${operation.status}${operation.errorCode ? ` (${operation.errorCode})` : ''}`,
      `bulk_${operation.status.toLowerCase()}`,
      false,
    );
  }
  // No url: the query matched nothing (a shop without orders).
  if (!operation.url) return;
  const response = await (options.fetch ?? fetch)(operation.url);
  if (!response.ok || !response.body) throw new ShopifyApiError(`downloading the export failed: HTTP ${response.status}`, `http_${response.status}`, false);
  yield* bulkOrderRecords(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), options.receivedAt);
}

/** The records of a bulk operation's JSONL: parents (orders) with their children (line items) gathered by `__parentId`. */
export async function* bulkOrderRecords(input: Readable, receivedAt: Date): AsyncGenerator<ImportRecord> {
  let current: { line: number; order: Record<string, unknown>; lineItems: Record<string, unknown>[] } | undefined;
  let line = 0;
  const done = (): ImportRecord => {
    const group = current!;
    current = undefined;
    try {
      const order = toIncomingOrder(group.order, group.lineItems, receivedAt);
      if (!order.customer.email) return { kind: 'skipped', line: group.line, rows: 1 + group.lineItems.length, reason: noEmailReason };
      return { kind: 'order', line: group.line, rows: 1 + group.lineItems.length, order };
    } catch (error) {
      return invalidRecord(error, group.line, 1 + group.lineItems.length);
    }
  };
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line += 1;
    if (text.trim() === '') continue;
    let value: Record<string, unknown>;
    try {
      value = parseJsonText(text) as Record<string, unknown>;
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('expected an object');
    } catch (error) {
      yield { kind: 'invalid', line, rows: 1, field: 'json', problem: (error as Error).message };
      continue;
    }
    const parentId = value.__parentId;
    if (typeof parentId === 'string') {
      if (current && current.order.id === parentId) current.lineItems.push(value);
      else yield { kind: 'invalid', line, rows: 1, field: '__parentId', problem: `a line item of ${parentId}, which is not the order before it` };
      continue;
    }
    if (current) yield done();
    current = { line, order: value, lineItems: [] };
  }
  if (current) yield done();
}

const orderGid = /^gid:\/\/shopify\/Order\/(\d{1,40})$/;
const customerGid = /^gid:\/\/shopify\/Customer\/(\d{1,40})$/;

function toIncomingOrder(order: Record<string, any>, lineItems: Record<string, any>[], receivedAt: Date): IncomingOrder {
  const orderId = orderGid.exec(String(order.id ?? ''))?.[1];
  if (!orderId) throw new RowProblem('id', 'expected gid://shopify/Order/<id>');
  const text = (field: string, value: unknown) => {
    if (typeof value !== 'string') throw new RowProblem(field, 'required');
    return value;
  };
  const time = (field: string, value: unknown) => {
    const parsed = new Date(text(field, value));
    if (Number.isNaN(parsed.getTime())) throw new RowProblem(field, 'expected an ISO-8601 time');
    return plausibleTimeAt(field, parsed.toISOString(), receivedAt);
  };
  const placedAt = time('createdAt', order.createdAt);
  const updatedAt = order.updatedAt ? time('updatedAt', order.updatedAt) : placedAt;
  const cancelledAt = order.cancelledAt ? time('cancelledAt', order.cancelledAt) : undefined;
  const money = order.totalPriceSet?.shopMoney;
  const currency = text('totalPriceSet.shopMoney.currencyCode', money?.currencyCode);
  if (!/^[A-Z]{3}$/.test(currency)) throw new RowProblem('totalPriceSet.shopMoney.currencyCode', 'expected an ISO 4217 code');
  const status = typeof order.displayFinancialStatus === 'string' ? order.displayFinancialStatus.toLowerCase() : undefined;
  const notCountedBecause =
    order.test === true ? 'test' : cancelledAt ? 'cancelled' : status === 'voided' ? 'voided' : status === 'refunded' ? 'refunded' : undefined;
  const customer = order.customer && typeof order.customer === 'object' ? order.customer : undefined;
  const platformCustomerId = customer ? customerGid.exec(String(customer.id ?? ''))?.[1] : undefined;
  const emailText = [customer?.email, order.email].find((candidate) => typeof candidate === 'string' && isDeliverableAddress(candidate)) as string | undefined;
  const consent = customer?.emailMarketingConsent;
  const consentState: ConsentState | undefined =
    typeof consent?.marketingState === 'string' ? shopifyConsentState(consent.marketingState.toLowerCase()) : undefined;
  const consentTime =
    typeof consent?.consentUpdatedAt === 'string'
      ? consent.consentUpdatedAt
      : typeof customer?.createdAt === 'string'
        ? customer.createdAt
        : unknownConsentTime;
  const billing = order.billingAddress ?? {};
  const firstName = present(customer?.firstName) ?? present(billing.firstName);
  const lastName = present(customer?.lastName) ?? present(billing.lastName);
  const country = typeof billing.countryCodeV2 === 'string' && /^[A-Z]{2}$/.test(billing.countryCodeV2) ? billing.countryCodeV2 : undefined;
  return {
    source: 'shopify',
    orderId,
    placedAt,
    updatedAt,
    totalMinor: minorUnitsAt('totalPriceSet.shopMoney.amount', text('totalPriceSet.shopMoney.amount', money?.amount), currency),
    currency,
    lineItems: lineItems.slice(0, 500).map((item, index) => ({
      title: String(item.title ?? '').slice(0, 500),
      quantity: Number.isSafeInteger(item.quantity) && item.quantity > 0 ? Math.min(item.quantity, 10_000) : 1,
      priceMinor: minorUnitsAt(
        `lineItems[${index}].originalUnitPriceSet.shopMoney.amount`,
        String(item.originalUnitPriceSet?.shopMoney?.amount ?? '0'),
        currency,
      ),
      ...(present(item.sku) ? { sku: present(item.sku)!.slice(0, 255) } : {}),
    })),
    couponCodes: Array.isArray(order.discountCodes)
      ? order.discountCodes
          .filter((code: unknown): code is string => typeof code === 'string' && code.trim() !== '')
          .map((code: string) => code.trim())
          .slice(0, 100)
      : [],
    counts: notCountedBecause === undefined,
    ...(notCountedBecause ? { notCountedBecause } : {}),
    customer: {
      ...(platformCustomerId ? { platformCustomerId } : {}),
      ...(emailText ? { email: normalizeEmail(emailText) } : {}),
      ...(firstName ? { firstName } : {}),
      ...(lastName ? { lastName } : {}),
      ...(country ? { country } : {}),
      ...(consentState ? { consent: { state: consentState, updatedAt: notAfter(validTime(consentTime), receivedAt) } } : {}),
    },
  };
}

function validTime(text: string): string {
  const time = new Date(text);
  return Number.isNaN(time.getTime()) ? unknownConsentTime : time.toISOString();
}

function present(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, 255) : undefined;
}
