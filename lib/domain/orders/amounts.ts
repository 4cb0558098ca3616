import type { PurchaseSummary } from '../customer.js';
import { invalidInput } from '../errors.js';
import { ceilingMinor, inShopCurrency, maxCustomerTotalMajorUnits, maxOrderMajorUnits, type ShopMoney, toDecimalString } from '../money.js';
import type { IncomingOrder, OrderSource } from './incoming-order.js';

/** Where each platform writes an order's total, for the 400 that names it. */
export const orderTotalFields: Readonly<Record<OrderSource, string>> = { shopify: 'total_price', woocommerce: 'total', generic: 'order.total' };

/**
 * The order's total in the shop's currency: converted at the config's rate, or undefined for another currency the
 * config has no rate for (the order is still a purchase; a refused webhook would be retried, then disabled). A total
 * above {@link maxOrderMajorUnits} of the shop's currency is a 400 naming the field, before anything is written.
 */
export function shopAmountOf(order: IncomingOrder, shop: ShopMoney): number | undefined {
  const field = orderTotalFields[order.source];
  let amount: number | undefined;
  try {
    amount = inShopCurrency(order.totalMinor, order.currency, shop);
  } catch (error) {
    throw invalidInput(field, `cannot be converted into ${shop.currency}: ${(error as Error).message}`, error);
  }
  const ceiling = ceilingMinor(maxOrderMajorUnits, shop.currency);
  if (amount !== undefined && amount > ceiling) {
    throw invalidInput(field, `above ${toDecimalString(ceiling, shop.currency)} ${shop.currency}, more than one order can be`);
  }
  return amount;
}

/** A customer whose total would pass {@link maxCustomerTotalMajorUnits} of the shop's currency: a 400 naming the order's total. */
export function checkCustomerTotal(summary: PurchaseSummary, order: IncomingOrder, shop: ShopMoney): void {
  const ceiling = ceilingMinor(maxCustomerTotalMajorUnits, shop.currency);
  if (summary.totalSpendMinor > ceiling) {
    throw invalidInput(
      orderTotalFields[order.source],
      `would take the customer's total spend above ${toDecimalString(ceiling, shop.currency)} ${shop.currency}`,
    );
  }
}
