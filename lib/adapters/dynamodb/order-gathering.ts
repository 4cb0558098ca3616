import type { ReportOrder } from '../../domain/report.js';
import type { GatheredOrders } from '../../ports/report-source.js';

/**
 * The orders a scan of the base table passes on its way to the ledger, kept for the customers whose ledger or
 * decision entries the same scan returns, and let go for the rest as soon as their items have passed. A customer's
 * items share a partition key and reach a segment one after the other (DynamoDB stores an item collection together,
 * in sort key order), so whether their orders are wanted is known when the next customer's items begin. Should a
 * customer's items ever come apart, the orders let go are remembered by a hash of the customer id, and such a customer
 * is not vouched for (their orders are read on their own): the order of the scan changes how much is read, never what.
 */
export class OrderGathering implements GatheredOrders {
  private readonly kept = new Map<string, ReportOrder[]>();
  private readonly letGo = new Set<number>();
  private readonly open = new Map<number, { customerId: string; orders: ReportOrder[]; named: boolean }>();

  constructor(readonly since?: string) {}

  /** The segment's next item of a customer: one of their orders, or (no order) an entry the records keep. */
  item(segment: number, customerId: string, order?: ReportOrder): void {
    let group = this.open.get(segment);
    if (group?.customerId !== customerId) {
      this.close(segment);
      group = { customerId, orders: [], named: false };
      this.open.set(segment, group);
    }
    if (order) group.orders.push(order);
    else group.named = true;
  }

  /** The segment has no more items, or the next one belongs to no customer. */
  close(segment: number): void {
    const group = this.open.get(segment);
    if (!group) return;
    this.open.delete(segment);
    if (group.named) {
      const kept = this.kept.get(group.customerId);
      if (kept) kept.push(...group.orders);
      else this.kept.set(group.customerId, group.orders);
    } else if (group.orders.length > 0) this.letGo.add(idHash(group.customerId));
  }

  /** Valid once every segment is closed. */
  of(customerId: string): readonly ReportOrder[] | undefined {
    if (this.letGo.has(idHash(customerId))) return undefined;
    return this.kept.get(customerId) ?? [];
  }
}

/** FNV-1a, 32 bits: a collision only sends one more customer's orders to be read on their own. */
function idHash(id: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < id.length; index++) hash = Math.imul(hash ^ id.charCodeAt(index), 0x01000193);
  return hash >>> 0;
}
