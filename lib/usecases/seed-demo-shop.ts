import pLimit from 'p-limit';
import { type DemoCustomer, type DemoShopOptions, generateDemoShop } from '../domain/demo-shop.js';
import { hashEmail } from '../domain/email.js';
import type { Clock } from '../ports/clock.js';
import type { CustomerRepository } from '../ports/customers.js';
import type { SuppressionList } from '../ports/suppressions.js';

const customersPerWrite = 50;
const writesInFlight = 4;

export interface SeedResult {
  readonly customers: number;
  readonly orders: number;
  readonly suppressions: number;
}

/** Writes the demo shop in chunks as it is generated, so seeding a large shop does not hold it in memory. */
export async function seedDemoShop(
  options: DemoShopOptions,
  deps: { customers: CustomerRepository; suppressions: SuppressionList; clock: Clock },
  onProgress: (customersWritten: number) => void = () => {},
): Promise<SeedResult> {
  const limit = pLimit(writesInFlight);
  const writes = new Set<Promise<void>>();
  const result = { customers: 0, orders: 0, suppressions: 0 };
  let chunk: DemoCustomer[] = [];
  let failure: unknown;
  const track = (write: Promise<void>) => {
    writes.add(write);
    write.then(
      () => writes.delete(write),
      (error: unknown) => {
        failure ??= error;
        writes.delete(write);
      },
    );
  };

  const flush = async (entries: DemoCustomer[]) => {
    await deps.customers.putMany(entries);
    for (const entry of entries) {
      if (entry.bounced && entry.customer.email) {
        await deps.suppressions.add({ emailHash: hashEmail(entry.customer.email), reason: 'bounced', source: 'demo-shop', at: deps.clock.now().toISOString() });
        result.suppressions += 1;
      }
    }
    result.customers += entries.length;
    onProgress(result.customers);
  };

  for (const entry of generateDemoShop(options)) {
    chunk.push(entry);
    result.orders += entry.orders.length;
    if (chunk.length < customersPerWrite) continue;
    const entries = chunk;
    chunk = [];
    track(limit(() => flush(entries)));
    // Back-pressure: the generator waits while the writes in flight are full.
    while (writes.size >= writesInFlight * 2) await Promise.race(writes).catch(() => {});
    if (failure) throw failure;
  }
  if (chunk.length > 0) {
    const entries = chunk;
    track(limit(() => flush(entries)));
  }
  await Promise.allSettled([...writes]);
  if (failure) throw failure;
  return result;
}
