import { applyOrder, type Customer, emptySummary } from '../domain/customer.js';
import { hashEmail, isDeliverableAddress, normalizeEmail } from '../domain/email.js';
import { InvalidInputError, MalformedJsonError } from '../domain/errors.js';
import { customerKey, guestCustomerKey, orderKey, profileForOrder } from '../domain/identity.js';
import { checkCustomerTotal, shopAmountOf } from '../domain/orders/amounts.js';
import type { IncomingCustomer, IncomingOrder, OrderSource } from '../domain/orders/incoming-order.js';
import { unknownConsentTime } from '../domain/orders/shopify.js';
import { type ImportRecord, invalidRecord } from '../import/records.js';
import type { Clock } from '../ports/clock.js';
import { type HistoryStore, maxOrdersPerHistoryWrite } from '../ports/history-store.js';
import type { OrderStore, StoredOrder, VersionedCustomer } from '../ports/orders.js';
import type { ActiveConfig } from './active-config.js';
import { ingestOrder, mergeProfile } from './ingest-order.js';

/** The figures `winback import --json` prints last. */
export interface ImportCounts {
  /** Data rows (CSV) or values (JSON) read. */
  rows: number;
  /** Orders read whole and valid. */
  orders: number;
  /** Customer profiles the import created. */
  customers: number;
  /** Orders (and customer rows) that changed the table. */
  stored: number;
  /** Orders already stored (by an earlier import or a webhook, or twice in the file), customer rows that changed nothing. */
  duplicates: number;
  /** Orders stored that are not purchases: cancelled, voided, fully refunded, test. */
  ignored: number;
  /** Records that could not be read: reported with line, field and problem, and skipped. */
  invalid: number;
  /** Records skipped on purpose, by reason. */
  skipped: Record<string, number>;
}

export interface ImportProblem {
  readonly line: number;
  readonly field: string;
  readonly problem: string;
}

export interface ImportHistoryDependencies {
  /** Absent in a dry run: nothing is read from or written to the table. */
  readonly store?: HistoryStore;
  /** For the customers the batched path must not touch alone (already emailed, so an order may earn a win-back credit). */
  readonly orders?: OrderStore;
  readonly clock: Clock;
  readonly config: ActiveConfig;
}

export interface ImportHistoryOptions {
  /** Records per round of reads and writes (default 500). */
  readonly chunkSize?: number;
  readonly onProblem?: (problem: ImportProblem) => void;
  readonly onProgress?: (counts: Readonly<ImportCounts>) => void;
}

type Entry = Extract<ImportRecord, { kind: 'order' | 'customer' }>;

const defaultChunkSize = 500;
const maxConflictRounds = 5;

/**
 * Stores a shop's history (lib/import's records) under the very identity the order webhooks use
 * (lib/domain/identity.ts): the same order is stored once whether it came by import, by webhook or both, in either
 * order; importing the same file again stores nothing; a webhook for an imported order finds its pointer and changes
 * nothing. Records are read a chunk at a time (constant memory): for each chunk the stored pointers, email owners and
 * profiles are read in batches, each customer's orders are folded into their summary, and every customer's change is
 * written as one conditional group (see HistoryStore). A group that lost a race is done again from fresh reads;
 * customers who were already emailed go through ingestOrder, order by order, so an order after an email is credited
 * to it. Bad records are reported and skipped; they never stop the import.
 */
export async function importHistory(
  records: AsyncIterable<ImportRecord>,
  deps: ImportHistoryDependencies,
  options: ImportHistoryOptions = {},
): Promise<ImportCounts> {
  const counts: ImportCounts = { rows: 0, orders: 0, customers: 0, stored: 0, duplicates: 0, ignored: 0, invalid: 0, skipped: {} };
  const config = await deps.config();
  const chunkSize = options.chunkSize ?? defaultChunkSize;
  const report = (problem: ImportProblem) => {
    counts.invalid += 1;
    options.onProblem?.(problem);
  };
  let chunk: Entry[] = [];
  const flush = async () => {
    const entries = chunk;
    chunk = [];
    if (entries.length > 0) await storeChunk(entries, deps, config, counts, report);
    options.onProgress?.(counts);
  };

  for await (const record of records) {
    counts.rows += record.rows;
    if (record.kind === 'invalid') {
      report({ line: record.line, field: record.field, problem: record.problem });
      continue;
    }
    if (record.kind === 'skipped') {
      counts.skipped[record.reason] = (counts.skipped[record.reason] ?? 0) + 1;
      continue;
    }
    if (record.kind === 'order') {
      // Refused before anything is read: an absurd amount, a currency that cannot be converted.
      try {
        shopAmountOf(record.order, config.shop);
      } catch (error) {
        const invalid = invalidRecord(error, record.line, record.rows) as Extract<ImportRecord, { kind: 'invalid' }>;
        report({ line: invalid.line, field: invalid.field, problem: invalid.problem });
        continue;
      }
      counts.orders += 1;
    }
    chunk.push(record);
    if (chunk.length >= chunkSize) await flush();
  }
  await flush();
  return counts;
}

type Shop = Awaited<ReturnType<ActiveConfig>>['shop'];

interface Working {
  readonly customerId: string;
  readonly before?: VersionedCustomer;
  customer: Customer;
  readonly orders: { order: StoredOrder; entry: Entry & { kind: 'order' } }[];
  readonly entries: Entry[];
  claimEmailHash?: string;
}

async function storeChunk(
  entries: Entry[],
  deps: ImportHistoryDependencies,
  config: Awaited<ReturnType<ActiveConfig>>,
  counts: ImportCounts,
  report: (problem: ImportProblem) => void,
  round = 1,
): Promise<void> {
  const { store } = deps;
  const now = deps.clock.now().toISOString();

  // Twice in the file: the first one stands.
  const seen = new Set<string>();
  const unique: Entry[] = [];
  for (const entry of entries) {
    if (entry.kind === 'order') {
      const key = orderKey(entry.order.source, entry.order.orderId);
      if (seen.has(key)) {
        counts.duplicates += 1;
        continue;
      }
      seen.add(key);
    }
    unique.push(entry);
  }

  const hashOf = (customer: IncomingCustomer) => (isDeliverableAddress(customer.email) ? hashEmail(customer.email) : undefined);
  const hashes = [...new Set(unique.map((entry) => hashOf(customerOf(entry))).filter((hash): hash is string => hash !== undefined))];
  const keyedIds = unique.flatMap((entry) => {
    const id = customerOf(entry).platformCustomerId;
    return id !== undefined ? [customerKey(sourceOf(entry), id)] : [];
  });
  // One round of reads: pointers, address owners and the profiles the chunk can name (its platform customers and the
  // guests its addresses would make); a second only for owners that are none of those (merged profiles).
  const guessed = [...new Set([...keyedIds, ...hashes.map(guestCustomerKey)])];
  const [stored, owners, profiles] = store
    ? await Promise.all([
        store.storedOrders(unique.flatMap((entry) => (entry.kind === 'order' ? [entry.order] : []))),
        store.emailOwners(hashes),
        store.profiles(guessed),
      ])
    : [new Set<string>(), new Map<string, string>(), new Map<string, VersionedCustomer>()];
  const missing = [...new Set(owners.values())].filter((id) => !profiles.has(id));
  if (store && missing.length > 0) for (const [id, profile] of await store.profiles(missing)) profiles.set(id, profile);

  const working = new Map<string, Working>();
  for (const entry of unique) {
    if (entry.kind === 'order' && stored.has(orderKey(entry.order.source, entry.order.orderId))) {
      counts.duplicates += 1;
      continue;
    }
    const incoming = customerOf(entry);
    const source = sourceOf(entry);
    const emailHash = hashOf(incoming);
    const keyedId = incoming.platformCustomerId !== undefined ? customerKey(source, incoming.platformCustomerId) : undefined;
    const keyedProfile = keyedId !== undefined ? (working.get(keyedId)?.customer ?? profiles.get(keyedId)?.customer) : undefined;
    const emailOwner = emailHash !== undefined ? owners.get(emailHash) : undefined;
    const customerId = profileForOrder({
      ...(keyedId !== undefined ? { keyed: { customerId: keyedId, ...(keyedProfile ? { profile: keyedProfile } : {}) } } : {}),
      ...(emailHash !== undefined ? { emailHash } : {}),
      ...(emailOwner !== undefined ? { emailOwner } : {}),
    });
    if (customerId === undefined) {
      counts.skipped['no customer and no email'] = (counts.skipped['no customer and no email'] ?? 0) + 1;
      continue;
    }
    let target = working.get(customerId);
    if (!target) {
      const before = profiles.get(customerId);
      const email = isDeliverableAddress(incoming.email) ? normalizeEmail(incoming.email) : undefined;
      target = {
        customerId,
        ...(before ? { before } : {}),
        customer: before?.customer ?? newProfile(customerId, incoming, email, source, now),
        orders: [],
        entries: [],
      };
      working.set(customerId, target);
    }
    // Later records of this chunk with this address find the profile, as they would once it is written.
    if (emailHash !== undefined && !owners.has(emailHash)) {
      owners.set(emailHash, customerId);
      if (!target.customer.email || normalizeEmail(target.customer.email) === normalizeEmail(incoming.email!)) target.claimEmailHash ??= emailHash;
    }
    target.entries.push(entry);
    if (entry.kind === 'order') target.orders.push({ order: storedOrder(entry.order, customerId), entry });
  }

  const again: Entry[] = [];
  await Promise.all(
    [...working.values()].map(async (target) => {
      if (target.before && (target.before.customer.lastSend || target.before.customer.journey) && store && deps.orders) {
        // Emailed before: an order now may be a win-back, which ingestOrder credits; these customers are few.
        for (const { entry } of target.orders) await ingestOne(entry, deps, counts, report);
        for (const entry of target.entries) if (entry.kind === 'customer') await storeCustomerOnly(target, entry, counts, store, now, again);
        return;
      }
      const outcome = await storeCustomer(target, config.shop, config.shop.timeZone, store, counts, report);
      if (outcome === 'conflict') again.push(...target.entries);
    }),
  );
  if (again.length > 0) {
    if (round >= maxConflictRounds)
      throw new Error(
        `the table kept changing under the import (${again.length} records, ${round} rounds); run the import again: it stores only what is missing`,
      );
    await storeChunk(again, deps, config, counts, report, round + 1);
  }
}

/** Folds a customer's new orders into the summary and writes them, at most {@link maxOrdersPerHistoryWrite} a group. */
async function storeCustomer(
  target: Working,
  shop: Shop,
  timeZone: string,
  store: HistoryStore | undefined,
  counts: ImportCounts,
  report: (problem: ImportProblem) => void,
): Promise<'done' | 'conflict'> {
  const ordered = [...target.orders].sort((a, b) => (a.order.placedAt < b.order.placedAt ? -1 : a.order.placedAt > b.order.placedAt ? 1 : 0));
  let customer = target.customer;
  const source = (entry: Entry) => `${sourceOf(entry)}_import`;
  for (const entry of target.entries) {
    if (entry.kind === 'customer') customer = mergeProfile(customer, entry.customer, normalized(entry.customer.email), source(entry));
  }
  const accepted: StoredOrder[] = [];
  for (const { order, entry } of ordered) {
    let summary = customer.summary;
    if (order.counts) {
      summary = applyOrder(customer.summary, order, timeZone, shop);
      try {
        checkCustomerTotal(summary, entry.order, shop);
      } catch (error) {
        const invalid = invalidRecord(error, entry.line, entry.rows) as Extract<ImportRecord, { kind: 'invalid' }>;
        report({ line: invalid.line, field: invalid.field, problem: invalid.problem });
        continue;
      }
    }
    customer = { ...mergeProfile(customer, entry.order.customer, normalized(entry.order.customer.email), source(entry)), summary };
    if (!order.counts && order.notCountedBecause && order.notCountedBecause !== 'test' && order.notCountedBecause !== 'pending') {
      if (!customer.lastOrderUndone || customer.lastOrderUndone.at <= order.updatedAt)
        customer = { ...customer, lastOrderUndone: { at: order.updatedAt, reason: order.notCountedBecause } };
    }
    accepted.push(order);
  }

  const changed = !target.before || accepted.length > 0 || JSON.stringify(customer) !== JSON.stringify(target.before.customer);
  const customerRows = target.entries.filter((entry) => entry.kind === 'customer').length;
  if (!changed) {
    counts.duplicates += customerRows;
    return 'done';
  }
  if (store) {
    let version: number | 'new' = target.before ? target.before.version : 'new';
    // A customer with many orders is written in slices; each slice moves the version on, so a racing webhook retries.
    const slices =
      accepted.length === 0
        ? [[]]
        : Array.from({ length: Math.ceil(accepted.length / maxOrdersPerHistoryWrite) }, (_, index) =>
            accepted.slice(index * maxOrdersPerHistoryWrite, (index + 1) * maxOrdersPerHistoryWrite),
          );
    for (const [index, slice] of slices.entries()) {
      const last = index === slices.length - 1;
      const written = await store.write({
        customer: last
          ? customer
          : { ...customer, summary: partialSummary(target.customer.summary, accepted.slice(0, (index + 1) * maxOrdersPerHistoryWrite), timeZone, shop) },
        expectedVersion: version,
        orders: slice,
        ...(index === 0 && target.claimEmailHash ? { claimEmailHash: target.claimEmailHash } : {}),
      });
      if (!written) {
        // Nothing of this slice was written; the slices before it were and are found as stored next round.
        return 'conflict';
      }
      version = version === 'new' ? 1 : version + 1;
    }
  }
  if (!target.before) counts.customers += 1;
  counts.stored += accepted.length + customerRows;
  counts.ignored += accepted.filter((order) => !order.counts).length;
  return 'done';
}

function partialSummary(start: Customer['summary'], orders: readonly StoredOrder[], timeZone: string, shop: Shop): Customer['summary'] {
  return orders.filter((order) => order.counts).reduce((summary, order) => applyOrder(summary, order, timeZone, shop), start);
}

async function ingestOne(
  entry: Entry & { kind: 'order' },
  deps: ImportHistoryDependencies,
  counts: ImportCounts,
  report: (problem: ImportProblem) => void,
): Promise<void> {
  try {
    const result = await ingestOrder(entry.order, `import:${orderKey(entry.order.source, entry.order.orderId)}`, {
      orders: deps.orders!,
      clock: deps.clock,
      config: deps.config,
    });
    if (result.outcome === 'stored') {
      counts.stored += 1;
      if (!result.counted) counts.ignored += 1;
    } else if (result.outcome === 'ignored') counts.skipped[result.reason] = (counts.skipped[result.reason] ?? 0) + 1;
    else counts.duplicates += 1;
  } catch (error) {
    if (error instanceof InvalidInputError || error instanceof MalformedJsonError) {
      const invalid = invalidRecord(error, entry.line, entry.rows) as Extract<ImportRecord, { kind: 'invalid' }>;
      report({ line: invalid.line, field: invalid.field, problem: invalid.problem });
      return;
    }
    throw error;
  }
}

/** A customer row for a profile that was emailed: only its profile fields, never its journey, change. */
async function storeCustomerOnly(
  target: Working,
  entry: Entry & { kind: 'customer' },
  counts: ImportCounts,
  store: HistoryStore,
  _now: string,
  again: Entry[],
): Promise<void> {
  const fresh = (await store.profiles([target.customerId])).get(target.customerId);
  if (!fresh) return void again.push(entry);
  const merged = mergeProfile(fresh.customer, entry.customer, normalized(entry.customer.email), `${entry.source}_import`);
  if (JSON.stringify(merged) === JSON.stringify(fresh.customer)) {
    counts.duplicates += 1;
    return;
  }
  if (await store.write({ customer: merged, expectedVersion: fresh.version, orders: [] })) counts.stored += 1;
  else again.push(entry);
}

function newProfile(customerId: string, incoming: IncomingCustomer, email: string | undefined, source: OrderSource, now: string): Customer {
  return {
    customerId,
    ...(email ? { email } : {}),
    // No consent in the data means we know nothing, dated never: any real statement later (a webhook) wins.
    consent: incoming.consent
      ? { state: incoming.consent.state, source: `${source}_import`, updatedAt: incoming.consent.updatedAt }
      : { state: 'unknown', source: `${source}_import`, updatedAt: unknownConsentTime },
    summary: emptySummary,
    createdAt: now,
  };
}

function storedOrder(order: IncomingOrder, customerId: string): StoredOrder {
  return {
    orderId: order.orderId,
    customerId,
    placedAt: order.placedAt,
    updatedAt: order.updatedAt,
    totalMinor: order.totalMinor,
    currency: order.currency,
    lineItems: order.lineItems,
    couponCodes: order.couponCodes,
    source: order.source,
    counts: order.counts,
    ...(order.notCountedBecause ? { notCountedBecause: order.notCountedBecause } : {}),
  };
}

function customerOf(entry: Entry): IncomingCustomer {
  return entry.kind === 'order' ? entry.order.customer : entry.customer;
}

function sourceOf(entry: Entry): OrderSource {
  return entry.kind === 'order' ? entry.order.source : entry.source;
}

function normalized(email: string | undefined): string | undefined {
  return isDeliverableAddress(email) ? normalizeEmail(email) : undefined;
}
