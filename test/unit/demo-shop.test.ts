import { describe, expect, it } from 'vitest';
import { addDays, calendarDateIn, daysBetween } from '../../lib/domain/dates.js';
import { type DemoCustomer, type DemoShopOptions, generateDemoShop } from '../../lib/domain/demo-shop.js';

const shopTimeZone = 'Europe/Amsterdam';
const endDate = '2026-11-22';
const baseOptions: DemoShopOptions = { customers: 0, endDate, shopTimeZone, currency: 'EUR' };
const maxSafeInteger = 2n ** 53n;

let largeShop: DemoCustomer[] | undefined;
/** 2,000 customers are enough for the shares to settle; generated once because every test only reads them. */
function twoThousandCustomers(): DemoCustomer[] {
  largeShop ??= [...generateDemoShop({ ...baseOptions, customers: 2000 })];
  return largeShop;
}

function share(customers: readonly DemoCustomer[], predicate: (customer: DemoCustomer) => boolean): number {
  return customers.filter(predicate).length / customers.length;
}

function shopDay(instant: string): string {
  return calendarDateIn(instant, shopTimeZone);
}

describe('generateDemoShop', () => {
  it('gives byte-identical output for the same options', () => {
    // Prepare
    const options = { ...baseOptions, customers: 50, seed: 7 };
    // Act
    const first = JSON.stringify([...generateDemoShop(options)]);
    const second = JSON.stringify([...generateDemoShop(options)]);
    // Assess
    expect(second).toBe(first);
  });

  it('gives customer 10 the same orders however many customers are requested', () => {
    // Prepare
    const fewer = [...generateDemoShop({ ...baseOptions, customers: 20 })];
    const more = [...generateDemoShop({ ...baseOptions, customers: 200 })];
    // Act
    const fromFewer = fewer[10];
    const fromMore = more[10];
    // Assess
    expect(fromFewer).toBeDefined();
    expect(fromMore).toEqual(fromFewer);
  });

  it('gives a different shop for a different seed', () => {
    // Act
    const [withDefaultSeed] = [...generateDemoShop({ ...baseOptions, customers: 1 })];
    const [withOtherSeed] = [...generateDemoShop({ ...baseOptions, customers: 1, seed: 1 })];
    // Assess
    expect(`${withOtherSeed?.customer.firstName} ${withOtherSeed?.customer.lastName}`).not.toBe(
      `${withDefaultSeed?.customer.firstName} ${withDefaultSeed?.customer.lastName}`,
    );
  });

  it.each([730, 90])('keeps every order inside a %i-day history ending at endDate', (historyDays) => {
    // Prepare
    const firstAllowedDay = addDays(endDate, -historyDays);
    // Act
    const customers = historyDays === 730 ? twoThousandCustomers() : [...generateDemoShop({ ...baseOptions, customers: 500, historyDays })];
    // Assess
    const orderDays = customers.flatMap(({ orders }) => orders.map((order) => shopDay(order.placedAt)));
    expect(orderDays.filter((day) => day > endDate)).toEqual([]);
    expect(orderDays.filter((day) => day < firstAllowedDay)).toEqual([]);
    expect(orderDays).toContain(endDate);
  });

  it('builds each summary from its own orders', () => {
    // Act
    const customers = twoThousandCustomers();
    // Assess
    for (const { customer, orders } of customers) {
      const placed = orders.map((order) => order.placedAt);
      expect(placed).toEqual([...placed].sort());
      expect(customer.summary.orderCount).toBe(orders.length);
      expect(customer.summary.totalSpendMinor).toBe(orders.reduce((total, order) => total + order.totalMinor, 0));
      expect(customer.summary.firstOrderAt).toBe(placed[0]);
      expect(customer.summary.lastOrderAt).toBe(placed.at(-1));
      expect(customer.createdAt).toBe(placed[0]);
      expect(customer.consent.updatedAt).toBe(placed[0]);
      for (const order of orders) {
        expect(order.customerId).toBe(customer.customerId);
        expect(order.lineItems.length).toBeGreaterThanOrEqual(1);
        expect(order.lineItems.length).toBeLessThanOrEqual(3);
        expect(order.totalMinor).toBe(order.lineItems.reduce((total, item) => total + item.priceMinor * item.quantity, 0));
        expect(order.placedAt).toBe(new Date(order.placedAt).toISOString());
      }
    }
  });

  it('mixes one-time buyers, lapsed and active repeat buyers, and the awkward cases a real shop has', () => {
    // Act
    const customers = twoThousandCustomers();
    // Assess
    const daysSinceLastOrder = ({ customer }: DemoCustomer): number => daysBetween(shopDay(customer.summary.lastOrderAt ?? ''), endDate);
    const isRepeatBuyer = ({ orders }: DemoCustomer): boolean => orders.length > 1;
    const oneTimeShare = share(customers, ({ orders }) => orders.length === 1);
    expect(oneTimeShare).toBeGreaterThanOrEqual(0.35);
    expect(oneTimeShare).toBeLessThanOrEqual(0.65);
    expect(share(customers, ({ customer }) => customer.consent.state === 'unsubscribed')).toBeGreaterThan(0);
    expect(share(customers, ({ customer }) => customer.email === undefined)).toBeGreaterThan(0);
    expect(share(customers, ({ bounced }) => bounced)).toBeGreaterThan(0);
    expect(share(customers, (entry) => isRepeatBuyer(entry) && daysSinceLastOrder(entry) > 180)).toBeGreaterThan(0);
    expect(share(customers, (entry) => isRepeatBuyer(entry) && daysSinceLastOrder(entry) <= 30)).toBeGreaterThan(0);
    expect(customers.filter(({ bounced, customer }) => bounced && customer.email === undefined)).toEqual([]);
  });

  it("uses digit-string ids above 2^53 for customers (namespaced as Shopify's) and orders, never twice", () => {
    // Act
    const customers = twoThousandCustomers();
    // Assess
    expect(customers.every(({ customer }) => customer.customerId.startsWith('shopify:'))).toBe(true);
    const ids = customers.flatMap(({ customer, orders }) => [customer.customerId.slice('shopify:'.length), ...orders.map((order) => order.orderId)]);
    for (const id of ids) {
      expect(id).toMatch(/^\d+$/);
      expect(BigInt(id) > maxSafeInteger).toBe(true);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives every customer with an email a unique plain-ASCII address on a reserved example domain', () => {
    // Act
    const emails = twoThousandCustomers().flatMap(({ customer }) => (customer.email === undefined ? [] : [customer.email]));
    // Assess
    for (const email of emails) expect(email).toMatch(/^[a-z0-9]+\.[a-z0-9]+\.\d+@example\.(com|net|org)$/);
    expect(new Set(emails).size).toBe(emails.length);
  });

  it('rejects options it cannot honour', () => {
    // Act
    const generate = (options: Partial<DemoShopOptions>) => () => [...generateDemoShop({ ...baseOptions, customers: 1, ...options })];
    // Assess
    expect(generate({ endDate: '2026-02-30' })).toThrow(RangeError);
    expect(generate({ shopTimeZone: 'Mars/Olympus' })).toThrow(RangeError);
    expect(generate({ customers: -1 })).toThrow(RangeError);
  });
});
