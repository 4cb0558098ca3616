import { applyOrder, type Customer, emptySummary, type PurchaseSummary } from '../domain/customer.js';
import { hashEmail, isDeliverableAddress, normalizeEmail } from '../domain/email.js';
import { customerKey, guestCustomerKey, profileForOrder } from '../domain/identity.js';
import { checkCustomerTotal, shopAmountOf } from '../domain/orders/amounts.js';
import type { IncomingCustomer, IncomingOrder } from '../domain/orders/incoming-order.js';
import { attributeOrder, type SendKey } from '../domain/sends.js';
import type { Clock } from '../ports/clock.js';
import type { OrderCommit, OrderIngestView, OrderStore, StoredOrder } from '../ports/orders.js';
import type { ActiveConfig } from './active-config.js';

type ActiveShop = Awaited<ReturnType<ActiveConfig>>['shop'];

export interface IngestDependencies {
  readonly orders: OrderStore;
  readonly clock: Clock;
  readonly config: ActiveConfig;
}

export type IngestResult =
  | { readonly outcome: 'stored'; readonly customerId: string; readonly counted: boolean; readonly wonBackBy?: { campaignId: string; rule: string } }
  | { readonly outcome: 'duplicate' | 'unchanged' | 'stale'; readonly customerId: string }
  | { readonly outcome: 'ignored'; readonly reason: string };

const maxAttempts = 10;

/** Between attempts after a conflict: a short random wait, so deliveries racing for one customer fall out of step. */
const conflictBackoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 10 * 2 ** attempt)));

/**
 * Records one platform order, exactly once: the order, its idempotency pointer, the customer's purchase summary,
 * the delivery marker and any win-back credit are written in one transaction, retried on a concurrent change.
 */
export async function ingestOrder(order: IncomingOrder, deliveryId: string, deps: IngestDependencies): Promise<IngestResult> {
  const config = await deps.config();
  // Checked before anything is read or written: an absurd amount is refused, another currency kept out of totals.
  const shopAmount = shopAmountOf(order, config.shop);
  const email = isDeliverableAddress(order.customer.email) ? normalizeEmail(order.customer.email) : undefined;
  const emailHash = email ? hashEmail(email) : undefined;
  if (!order.customer.platformCustomerId && !emailHash) return { outcome: 'ignored', reason: 'the order names no customer and no email' };

  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    if (attempt > 1) await conflictBackoff(attempt);
    const { customerId, view } = await locate(order, deliveryId, emailHash, deps.orders);
    if (view.deliverySeen) return { outcome: 'duplicate', customerId };
    const pointer = view.pointer;
    if (pointer && pointer.updatedAt > order.updatedAt) {
      await deps.orders.markDelivery(order.source, deliveryId);
      return { outcome: 'stale', customerId };
    }
    if (pointer && pointer.counts === order.counts) {
      await deps.orders.markDelivery(order.source, deliveryId);
      return { outcome: 'unchanged', customerId };
    }

    const now = deps.clock.now().toISOString();
    const before = view.customer?.customer ?? newCustomer(customerId, order.customer, email, order.source, now);
    const stored: StoredOrder = {
      orderId: order.orderId,
      customerId,
      placedAt: pointer?.placedAt ?? order.placedAt,
      updatedAt: order.updatedAt,
      totalMinor: order.totalMinor,
      currency: order.currency,
      lineItems: order.lineItems,
      couponCodes: order.couponCodes,
      source: order.source,
      counts: order.counts,
      ...(order.notCountedBecause ? { notCountedBecause: order.notCountedBecause } : {}),
    };
    const takenBack = !order.counts && pointer?.counts === true;
    const summary = order.counts
      ? applyOrder(before.summary, stored, config.shop.timeZone, config.shop)
      : takenBack
        ? await summaryWithout(order.orderId, customerId, deps.orders, config.shop)
        : before.summary;
    if (order.counts) checkCustomerTotal(summary, order, config.shop);

    const credit = order.counts ? attributeOrder(stored, view.sends, config.attribution.windowDays) : undefined;
    const uncredit: SendKey[] = takenBack ? view.sends.filter((send) => send.attribution?.orderId === order.orderId) : [];
    let customer: Customer = { ...mergeProfile(before, order.customer, email, order.source), summary };
    if (!order.counts && order.notCountedBecause && order.notCountedBecause !== 'test' && order.notCountedBecause !== 'pending') {
      customer = { ...customer, lastOrderUndone: { at: order.updatedAt, reason: order.notCountedBecause } };
    }
    if (credit) {
      customer = {
        ...customer,
        wonBack: {
          at: stored.placedAt,
          campaignId: credit.send.campaignId,
          orderId: stored.orderId,
          revenueMinor: shopAmount ?? 0,
          currency: config.shop.currency,
        },
      };
    } else if (takenBack && customer.wonBack?.orderId === order.orderId) {
      const { wonBack: _removed, ...rest } = customer;
      customer = rest;
    }

    const change: OrderCommit = {
      source: order.source,
      deliveryId,
      customer,
      expectedVersion: view.customer ? view.customer.version : 'new',
      order: stored,
      pointerBefore: pointer ? { counts: pointer.counts } : 'absent',
      ...(emailHash && (!view.customer || before.email !== email) ? { emailHash } : {}),
      ...(credit
        ? {
            credit: {
              send: credit.send,
              attribution: { orderId: stored.orderId, revenueMinor: shopAmount ?? 0, currency: config.shop.currency, placedAt: stored.placedAt, by: credit.by },
            },
          }
        : {}),
      ...(uncredit.length > 0 ? { uncredit } : {}),
    };
    if (await deps.orders.commit(change)) {
      return {
        outcome: 'stored',
        customerId,
        counted: order.counts,
        ...(credit ? { wonBackBy: { campaignId: credit.send.campaignId, rule: credit.by } } : {}),
      };
    }
  }
  throw new Error(`order ${order.source}/${order.orderId}: the customer kept changing under ${maxAttempts} attempts; the platform will retry`);
}

/**
 * The customer an order belongs to (see `profileForOrder`): the platform customer's profile under its source-namespaced
 * key when the order's address is theirs, else whoever holds that address, else a profile of its own.
 */
async function locate(
  order: IncomingOrder,
  deliveryId: string,
  emailHash: string | undefined,
  orders: OrderStore,
): Promise<{ customerId: string; view: OrderIngestView }> {
  const platformId = order.customer.platformCustomerId;
  const keyedId = platformId !== undefined ? customerKey(order.source, platformId) : undefined;
  // The first read is of the profile most orders belong to (the platform customer's, else the address's guest
  // profile), and asks in the same request who holds the address: one read for most orders.
  const firstId = keyedId ?? guestCustomerKey(emailHash!);
  const firstView = await orders.view(firstId, order.source, order.orderId, deliveryId, emailHash);
  const emailOwner = firstView.emailOwner;
  const keyed = keyedId !== undefined ? { customerId: keyedId, ...(firstView.customer ? { profile: firstView.customer.customer } : {}) } : undefined;
  let customerId = profileForOrder({
    ...(keyed ? { keyed } : {}),
    ...(emailHash !== undefined ? { emailHash } : {}),
    ...(emailOwner !== undefined ? { emailOwner } : {}),
  })!;
  let view = customerId === firstId ? firstView : await orders.view(customerId, order.source, order.orderId, deliveryId);
  if (view.pointer && view.pointer.customerId !== customerId) {
    // The order was filed under another customer before (a guest who registered since): it stays where it is.
    customerId = view.pointer.customerId;
    view = await orders.view(customerId, order.source, order.orderId, deliveryId);
  }
  return { customerId, view };
}

/** Guests have no platform id; the email's hash names them, so their next order finds them again. */
export function guestCustomerId(emailHash: string): string {
  return guestCustomerKey(emailHash);
}

async function summaryWithout(orderId: string, customerId: string, orders: OrderStore, shop: ActiveShop): Promise<PurchaseSummary> {
  const remaining = (await orders.countedOrders(customerId)).filter((order) => order.orderId !== orderId).sort((a, b) => (a.placedAt < b.placedAt ? -1 : 1));
  return remaining.reduce((summary, order) => applyOrder(summary, order, shop.timeZone, shop), emptySummary);
}

function newCustomer(customerId: string, incoming: IncomingCustomer, email: string | undefined, source: string, now: string): Customer {
  return {
    customerId,
    ...(email ? { email } : {}),
    consent: incoming.consent
      ? { state: incoming.consent.state, source, updatedAt: incoming.consent.updatedAt }
      : { state: 'unknown', source: `${source}_order`, updatedAt: now },
    summary: emptySummary,
    createdAt: now,
  };
}

/** Fills what the profile lacks and takes a consent change only when it is newer than what is stored. */
export function mergeProfile(customer: Customer, incoming: IncomingCustomer, email: string | undefined, source: string): Customer {
  const consentIsNewer = incoming.consent !== undefined && incoming.consent.updatedAt > customer.consent.updatedAt;
  return {
    ...customer,
    ...(email && !customer.email ? { email } : {}),
    ...(incoming.firstName && !customer.firstName ? { firstName: incoming.firstName } : {}),
    ...(incoming.lastName && !customer.lastName ? { lastName: incoming.lastName } : {}),
    ...(incoming.country && !customer.country ? { country: incoming.country } : {}),
    // A re-subscription on the platform changes the consent state, but a Winback suppression entry stays: an address
    // that unsubscribed through our link is only emailed again once someone removes that entry on purpose.
    ...(consentIsNewer ? { consent: { state: incoming.consent!.state, source, updatedAt: incoming.consent!.updatedAt } } : {}),
  };
}
