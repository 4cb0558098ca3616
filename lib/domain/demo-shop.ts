import { en, Faker } from '@faker-js/faker';
import { applyOrder, type Consent, type Customer, emptySummary, type LineItem, type Order } from './customer.js';
import { type CalendarDate, fromEpochDay, instantAt, isCalendarDate, isTimeZone, toEpochDay } from './dates.js';
import { customerKey } from './identity.js';
import { minorDigits } from './money.js';

export interface DemoShopOptions {
  customers: number;
  /** Default 20261122. */
  seed?: number;
  /** The last day with orders, in the shop's time zone. */
  endDate: CalendarDate;
  shopTimeZone: string;
  currency: string;
  /** Default 730. */
  historyDays?: number;
}

export interface DemoCustomer {
  customer: Customer;
  orders: Order[];
  /** true for the ~0.5% whose address hard-bounced in the past: the seeder writes a suppression entry */
  bounced: boolean;
}

/** The purchase process in one place, so the generator and the README text cannot disagree. */
const purchaseProcess = {
  oneTimeBuyerShare: 0.33,
  recentNewCustomerShare: 0.04,
  recentWindowDays: 60,
  /** Below 1 pulls acquisition dates towards the end of the window: a growing shop. */
  acquisitionRecencyExponent: 0.9,
  cadenceDays: { min: 14, max: 150 },
  /** Erlang shape of the gaps: 3 gives gaps spread around the cadence (coefficient of variation ~0.58). */
  gapShape: 3,
  dropoutPerPurchase: { min: 0.02, max: 0.25 },
  noEmailShare: 0.01,
  bouncedShare: 0.005,
  /** Order ids are derived from customer index x this, so the id ranges of two customers never overlap. */
  maxOrdersPerCustomer: 1000,
} as const;

const consentMix: ReadonlyArray<{ weight: number; value: Pick<Consent, 'state' | 'source'> }> = [
  { weight: 88, value: { state: 'subscribed', source: 'checkout' } },
  { weight: 5, value: { state: 'unsubscribed', source: 'unsubscribe_link' } },
  { weight: 4, value: { state: 'not_subscribed', source: 'checkout' } },
  { weight: 2, value: { state: 'pending', source: 'double_opt_in' } },
  { weight: 1, value: { state: 'soft_opt_in', source: 'purchase' } },
];

// Weighted towards the Dutch and German customers of a shop run from the Netherlands.
const countryMix = (
  [
    ['NL', 'Europe/Amsterdam', 34],
    ['DE', 'Europe/Berlin', 24],
    ['BE', 'Europe/Brussels', 10],
    ['FR', 'Europe/Paris', 8],
    ['GB', 'Europe/London', 7],
    ['IE', 'Europe/Dublin', 3],
    ['ES', 'Europe/Madrid', 4],
    ['AT', 'Europe/Vienna', 3],
    ['US', 'America/New_York', 7],
  ] as const
).map(([country, timeZone, weight]) => ({ weight, value: { country, timeZone } }));

/** Shop-local hour of an order: quiet mornings, a lunch bump and an evening peak. */
const orderHourMix = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22].map((hour) => ({
  value: hour,
  weight: hour >= 19 && hour <= 21 ? 10 : hour === 12 || hour === 13 ? 7 : hour < 9 ? 2 : 5,
}));

const emailDomains = ['example.com', 'example.net', 'example.org'] as const;
const defaultSeed = 20261122;
const defaultHistoryDays = 730;
const catalogueSize = 40;
const firstCustomerId = 9007199254740993n; // 2^53 + 1: ids that break anyone who parses them as a Number
const customerIdStep = 17n;
const firstOrderId = 1_000_000_000_000_000_000n; // far above any customer id, so the two ranges never meet
// Different seed shapes give the catalogue and each customer independent random streams.
const catalogueStream = 0;
const customerStream = 1;
const dayMs = 86_400_000;

const percent = (share: number): string => `${Math.round(share * 1000) / 10}%`;
const { cadenceDays, dropoutPerPurchase } = purchaseProcess;

export const demoProcess = `**How the demo shop buys** (deterministic per seed; customer *i* is the same however many are generated)

- **Acquisition**: the first order falls in the \`historyDays\` window ending at \`endDate\`, slightly weighted towards recent days; ${percent(purchaseProcess.recentNewCustomerShare)} of customers are recent new customers whose first order is in the last ${purchaseProcess.recentWindowDays} days.
- **One-time buyers**: ${percent(purchaseProcess.oneTimeBuyerShare)} never come back; with early dropouts and customers acquired too recently for a second order, about half of all customers end up with exactly one order.
- **Repeat buyers**: each has a personal cadence, log-uniform between ${cadenceDays.min} and ${cadenceDays.max} days; the gaps are Gamma (shape ${purchaseProcess.gapShape}) around that cadence, at least one day.
- **Dropout**: after each purchase a repeat buyer stops for good with a personal probability between ${percent(dropoutPerPurchase.min)} and ${percent(dropoutPerPurchase.max)}, so customers lapse at different times. No order falls after \`endDate\`.
- **Orders**: 1–3 different products from a fixed catalogue of ${catalogueSize} (prices 8.95–149.99, shop-style .95/.99 endings), quantity 1 (75%) or 2 (25%), placed between 07:00 and 23:00 shop time with an evening peak.
- **Customers**: countries weighted towards NL (${countryMix[0]?.weight}%) and DE (${countryMix[1]?.weight}%); consent ${consentMix.map(({ weight, value }) => `${weight}% ${value.state}`).join(', ')}; ${percent(purchaseProcess.noEmailShare)} have no email (in-store); ${percent(purchaseProcess.bouncedShare)} of those with an email hard-bounced before and are suppressed.
`;

type Product = Required<Pick<LineItem, 'title' | 'sku' | 'priceMinor'>>;

interface Generation {
  readonly seed: number;
  readonly firstDay: number;
  readonly lastDay: number;
  readonly shopTimeZone: string;
  readonly currency: string;
  readonly catalogue: readonly Product[];
}

export function* generateDemoShop(options: DemoShopOptions): Generator<DemoCustomer> {
  const { customers, endDate, shopTimeZone, currency, seed = defaultSeed, historyDays = defaultHistoryDays } = options;
  if (!Number.isSafeInteger(customers) || customers < 0) throw new RangeError(`customers must be a whole number >= 0, got ${customers}`);
  if (!Number.isSafeInteger(historyDays) || historyDays < 1) throw new RangeError(`historyDays must be a whole number >= 1, got ${historyDays}`);
  if (!isCalendarDate(endDate)) throw new RangeError(`endDate must be a YYYY-MM-DD date, got ${JSON.stringify(endDate)}`);
  if (!isTimeZone(shopTimeZone)) throw new RangeError(`unknown time zone ${JSON.stringify(shopTimeZone)}`);
  const faker = new Faker({ locale: [en] });
  const lastDay = toEpochDay(endDate);
  const generation: Generation = {
    seed,
    firstDay: lastDay - historyDays + 1,
    lastDay,
    shopTimeZone,
    currency,
    catalogue: buildCatalogue(faker, seed, currency),
  };
  for (let index = 0; index < customers; index += 1) yield demoCustomer(faker, generation, index);
}

function buildCatalogue(faker: Faker, seed: number, currency: string): Product[] {
  faker.seed([seed, catalogueStream]);
  const digits = minorDigits(currency);
  const titles = new Set<string>();
  while (titles.size < catalogueSize) titles.add(faker.commerce.productName());
  return [...titles].map((title, position) => {
    const wholeUnits = Math.round(logUniform(faker, 9, 150));
    // Shop prices end in .95 or .99; currencies without cents keep whole units.
    const centsBelow = digits >= 2 ? faker.helpers.arrayElement([1, 5]) * 10 ** (digits - 2) : 0;
    return { title, sku: `DEMO-${String(position + 1).padStart(3, '0')}`, priceMinor: wholeUnits * 10 ** digits - centsBelow };
  });
}

function demoCustomer(faker: Faker, generation: Generation, index: number): DemoCustomer {
  faker.seed([generation.seed, customerStream, index]);
  // The demo shop plays a Shopify shop (the simulator posts its orders as Shopify webhooks): its customers are Shopify's.
  const customerId = customerKey('shopify', (firstCustomerId + BigInt(index) * customerIdStep).toString());
  const firstName = faker.person.firstName();
  const lastName = faker.person.lastName();
  const { country, timeZone } = faker.helpers.weightedArrayElement(countryMix);
  const hasEmail = !chance(faker, purchaseProcess.noEmailShare);
  const email = hasEmail ? `${asciiPart(firstName)}.${asciiPart(lastName)}.${index}@${faker.helpers.arrayElement(emailDomains)}` : undefined;
  const bounced = hasEmail && chance(faker, purchaseProcess.bouncedShare);
  const consentChoice = faker.helpers.weightedArrayElement(consentMix);
  const orders = purchaseDays(faker, generation).map((day, orderNumber) =>
    demoOrder(faker, generation, customerId, BigInt(index) * BigInt(purchaseProcess.maxOrdersPerCustomer) + BigInt(orderNumber), day),
  );
  const summary = orders.reduce((folded, order) => applyOrder(folded, order, generation.shopTimeZone), emptySummary);
  const createdAt = orders[0]!.placedAt; // every demo customer has at least the acquisition order
  const customer: Customer = {
    customerId,
    email,
    firstName,
    lastName,
    country,
    timeZone,
    consent: { ...consentChoice, updatedAt: createdAt },
    summary,
    createdAt,
  };
  return { customer, orders, bounced };
}

/** Epoch days with an order, ascending and distinct, all inside the window. */
function purchaseDays(faker: Faker, generation: Generation): number[] {
  const { firstDay, lastDay } = generation;
  const windowDays = lastDay - firstDay + 1;
  const acquisitionDay = chance(faker, purchaseProcess.recentNewCustomerShare)
    ? lastDay - faker.number.int({ min: 0, max: Math.min(purchaseProcess.recentWindowDays, windowDays) - 1 })
    : firstDay + Math.floor(windowDays * faker.number.float() ** purchaseProcess.acquisitionRecencyExponent);
  const days = [acquisitionDay];
  if (chance(faker, purchaseProcess.oneTimeBuyerShare)) return days;
  const cadence = logUniform(faker, cadenceDays.min, cadenceDays.max);
  const dropout = faker.number.float({ min: dropoutPerPurchase.min, max: dropoutPerPurchase.max });
  let day = acquisitionDay;
  while (days.length < purchaseProcess.maxOrdersPerCustomer && !chance(faker, dropout)) {
    day += Math.max(1, Math.round(gammaGap(faker, cadence)));
    if (day > lastDay) break;
    days.push(day);
  }
  return days;
}

function demoOrder(faker: Faker, generation: Generation, customerId: string, orderOffset: bigint, epochDay: number): Order {
  const minuteOfDay = faker.helpers.weightedArrayElement(orderHourMix) * 60 + faker.number.int({ min: 0, max: 59 });
  const lineItems: LineItem[] = faker.helpers
    .arrayElements(generation.catalogue, { min: 1, max: 3 })
    .map(({ title, sku, priceMinor }) => ({ title, sku, priceMinor, quantity: chance(faker, 0.25) ? 2 : 1 }));
  return {
    orderId: (firstOrderId + orderOffset).toString(),
    customerId,
    placedAt: instantAt(fromEpochDay(epochDay), minuteOfDay, generation.shopTimeZone).toISOString(),
    totalMinor: lineItems.reduce((total, item) => total + item.priceMinor * item.quantity, 0),
    currency: generation.currency,
    lineItems,
    source: 'demo',
  };
}

function chance(faker: Faker, probability: number): boolean {
  return faker.number.float() < probability;
}

function logUniform(faker: Faker, min: number, max: number): number {
  return Math.exp(faker.number.float({ min: Math.log(min), max: Math.log(max) }));
}

/** Erlang draw with the given mean: the sum of `gapShape` exponentials, 1 - u keeps the logarithm finite. */
function gammaGap(faker: Faker, mean: number): number {
  let sum = 0;
  for (let draw = 0; draw < purchaseProcess.gapShape; draw += 1) sum -= Math.log(1 - faker.number.float());
  return (sum / purchaseProcess.gapShape) * mean;
}

/** Email local parts stay plain ASCII: accents are folded, anything else outside [a-z0-9] dropped. */
function asciiPart(name: string): string {
  return (
    name
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '') || 'customer'
  );
}
