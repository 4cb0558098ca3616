import { daysBetweenInstants } from './dates.js';

/**
 * Products to show in a win-back email, from the shop's own orders: what other customers bought together with what
 * this customer bought, then the shop's best sellers of the last 90 days, never a product the customer already
 * bought. The night learns the shop's products from the customers it reads anyway (each summary keeps its latest
 * order's lines), so recommending costs no extra read: a sample of tens of thousands of latest orders is plenty to
 * rank a catalogue's best sellers and the pairs bought together.
 */

/** A line of an order as the customer summary keeps it. */
export interface ProductLine {
  readonly title: string;
  readonly sku?: string;
  readonly priceMinor: number;
  readonly quantity?: number;
}

/** A product as an email shows it, before the feed adds its image and page. */
export interface RecommendedProduct {
  readonly title: string;
  readonly sku?: string;
  readonly priceMinor: number;
}

export interface ProductStats {
  /** The products seen, most bought first, at most {@link productStatsLimits}.products. */
  readonly products: readonly (RecommendedProduct & { readonly key: string; readonly together: readonly string[] })[];
  /** Keys of the best sellers of the last `bestSellerDays`, best first. */
  readonly bestSellers: readonly string[];
}

export const productStatsLimits = {
  products: 200,
  togetherPerProduct: 5,
  bestSellers: 20,
  bestSellerDays: 90,
} as const;

/** One product, whatever the line calls it: by SKU when it has one, else by its title, ignoring case and spacing. */
export function productKey(line: Pick<ProductLine, 'title' | 'sku'>): string {
  return line.sku?.trim() ? `sku:${line.sku.trim()}` : `title:${line.title.trim().replace(/\s+/g, ' ').toLowerCase()}`;
}

function sameInstantFirst(a: RecommendedProduct, b: RecommendedProduct): boolean {
  return a.title < b.title || (a.title === b.title && a.priceMinor < b.priceMinor);
}

/** Builds the stats one latest order at a time; memory is bounded by the number of distinct products and pairs. */
export class ProductStatsBuilder {
  private readonly seen = new Map<string, { product: RecommendedProduct; orders: number; recent: number; latestAt: string }>();
  private readonly pairs = new Map<string, Map<string, number>>();

  constructor(private readonly asOf: Date) {}

  /** One customer's latest order: its lines and when it was placed. */
  add(lines: readonly ProductLine[] | undefined, placedAt: string | undefined): void {
    if (!lines || lines.length === 0 || !placedAt) return;
    const recent = daysBetweenInstants(placedAt, this.asOf.toISOString()) <= productStatsLimits.bestSellerDays;
    const keys = new Set<string>();
    for (const line of lines) {
      if (typeof line?.title !== 'string' || line.title.trim() === '' || !Number.isFinite(line.priceMinor)) continue;
      const key = productKey(line);
      if (keys.has(key)) continue;
      keys.add(key);
      const entry = this.seen.get(key);
      const product: RecommendedProduct = { title: line.title.trim(), ...(line.sku?.trim() ? { sku: line.sku.trim() } : {}), priceMinor: line.priceMinor };
      const quantity = Math.max(1, Math.min(1000, Math.trunc(line.quantity ?? 1)));
      if (!entry) this.seen.set(key, { product, orders: 1, recent: recent ? quantity : 0, latestAt: placedAt });
      else {
        entry.orders += 1;
        if (recent) entry.recent += quantity;
        // The latest order's title and price are the current ones; of two orders placed at the same instant, the one
        // ordered first by title and price, so the stats do not depend on the order the orders were added in.
        if (placedAt > entry.latestAt || (placedAt === entry.latestAt && sameInstantFirst(product, entry.product)))
          Object.assign(entry, { product, latestAt: placedAt });
      }
    }
    for (const a of keys) {
      for (const b of keys) {
        if (a === b) continue;
        const counts = this.pairs.get(a) ?? new Map<string, number>();
        counts.set(b, (counts.get(b) ?? 0) + 1);
        this.pairs.set(a, counts);
      }
    }
  }

  build(): ProductStats {
    // Ties are broken by key, so two nights over the same orders recommend the same products.
    const byOrders = [...this.seen.entries()].sort(([ka, a], [kb, b]) => b.orders - a.orders || (ka < kb ? -1 : 1)).slice(0, productStatsLimits.products);
    const kept = new Set(byOrders.map(([key]) => key));
    const products = byOrders.map(([key, entry]) => {
      const together = [...(this.pairs.get(key) ?? new Map<string, number>()).entries()]
        .filter(([other]) => kept.has(other))
        .sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : 1))
        .slice(0, productStatsLimits.togetherPerProduct)
        .map(([other]) => other);
      return { key, ...entry.product, together };
    });
    const bestSellers = byOrders
      .filter(([, entry]) => entry.recent > 0)
      .sort(([ka, a], [kb, b]) => b.recent - a.recent || (ka < kb ? -1 : 1))
      .slice(0, productStatsLimits.bestSellers)
      .map(([key]) => key);
    return { products, bestSellers };
  }
}

/**
 * Up to `count` products for one customer: first those most often bought together with what they bought (their
 * latest order's products first), then the best sellers; never a product in `bought`.
 */
export function recommendFor(stats: ProductStats | undefined, bought: readonly Pick<ProductLine, 'title' | 'sku'>[], count = 3): RecommendedProduct[] {
  if (!stats || count <= 0) return [];
  const byKey = new Map(stats.products.map((product) => [product.key, product]));
  const owned = new Set(bought.map(productKey));
  // A line item named by title in one order and by SKU in another is still the same product: match titles too.
  const ownedTitles = new Set(bought.map((line) => productKey({ title: line.title })));
  const chosen: RecommendedProduct[] = [];
  const taken = new Set<string>();
  const consider = (key: string) => {
    const product = byKey.get(key);
    if (!product || taken.has(key) || owned.has(key) || ownedTitles.has(productKey({ title: product.title })) || chosen.length >= count) return;
    taken.add(key);
    chosen.push({ title: product.title, ...(product.sku ? { sku: product.sku } : {}), priceMinor: product.priceMinor });
  };
  const seeds = bought.map(productKey);
  // Round-robin over the seeds' lists, so three products bought together with three different items all get a turn.
  for (let rank = 0; rank < productStatsLimits.togetherPerProduct && chosen.length < count; rank += 1) {
    for (const seed of seeds) {
      const together = byKey.get(seed)?.together[rank];
      if (together) consider(together);
    }
  }
  for (const key of stats.bestSellers) consider(key);
  return chosen;
}
