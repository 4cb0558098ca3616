import { writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import Table from 'cli-table3';
import pLimit from 'p-limit';
import { DynamoCustomerRepository } from '../adapters/dynamodb/customers.js';
import { DynamoSendLedger } from '../adapters/dynamodb/send-ledger.js';
import type { Customer } from '../domain/customer.js';
import { addDays, type CalendarDate } from '../domain/dates.js';
import { platformCustomerIdOf } from '../domain/identity.js';
import { formatMoney } from '../domain/money.js';
import { shopifyHeaders } from '../domain/orders/shopify.js';
import { shopifySignatureHeader, signShopify } from '../domain/webhooks/signatures.js';
import type { ResponseType } from '../local/response-types.js';
import { localEventsHeaders, startLocalServer } from '../local/server.js';
import { type SimulatedEvent, sesEventEnvelope } from '../local/ses-event-envelopes.js';
import { shopifyOrderCreatedBody } from '../local/shopify-order-payload.js';
import {
  type Cohort,
  type EmailedCustomer,
  emailLinks,
  type NightPlan,
  nightCohorts,
  type PlannedOrder,
  planNight,
  simulatedResponseType,
} from '../local/simulation.js';
import type { NightSummary } from '../ports/runs.js';
import { openLocalSession, runLocalNight, say } from './start.js';

export interface SimulateOptions {
  readonly from: CalendarDate;
  readonly nights: number;
  readonly reset?: boolean;
  readonly customers?: number;
  readonly port: number;
  readonly seed: number;
  readonly report?: string;
}

export const defaultSimulationSeed = 20261122;

/** What one night and the day after it came to; the `--report` file holds one of these per night. */
export interface NightFigures {
  night: CalendarDate;
  emailsSent: number;
  /** The night's emails found in the local SES store and matched to their ledger entries: the ones reacted to. */
  emailsPlayed: number;
  delivered: number;
  bouncedPermanent: number;
  bouncedTransient: number;
  complained: number;
  opened: number;
  clicked: number;
  unsubscribed: number;
  feedbackAnswers: number;
  sesEventsPosted: number;
  ordersPosted: Record<Cohort, number>;
  ordersWithCoupon: number;
  /** Orders the webhook answered 2xx for but did not store as new (a duplicate delivery, an order seen before). */
  ordersNotStored: number;
  wonBack: number;
  wonBackRevenueMinor: number;
  /** Comparable customers who were not emailed, first drawn this night. */
  comparableCustomers: number;
  requests: number;
  errors: number;
}

interface RequestError {
  readonly night: CalendarDate;
  readonly request: string;
  readonly status: number | 'no answer';
  readonly detail: string;
}

/** One local SES message as `GET /store` returns it (the fields used here). */
interface StoredEmail {
  readonly messageId: string;
  readonly destination: { readonly to: readonly string[] };
  readonly headers?: readonly { name: string; value: string }[];
  readonly body?: { readonly text?: string };
}

/** Requests in flight at once; DynamoDB Local behind the handlers is what limits the pace. */
const concurrency = 16;
const maxErrorsPrinted = 20;
/** No colour codes: the output is also read in CI logs and files. */
const plain = { head: [], border: [] };
const number = new Intl.NumberFormat('en-IE');

/**
 * `winback simulate`: night after night on the local stack, the real nightly handler, then the day's responses
 * through the real HTTP endpoints (SES events as EventBridge envelopes, one-click unsubscribes, feedback answers,
 * signed Shopify orders). Everything a day brings is posted before the next night runs.
 */
export async function simulate(options: SimulateOptions): Promise<void> {
  const startedAt = Date.now();
  const session = await openLocalSession({
    asOf: options.from,
    port: options.port,
    ...(options.reset ? { reset: true } : {}),
    ...(options.customers !== undefined ? { customers: options.customers } : {}),
  });
  let server: Server | undefined;
  try {
    let latest: NightSummary | undefined;
    server = await startLocalServer({ port: options.port, latestSummary: () => latest ?? null });
    const run = new SimulationRun(session, options);
    const nightsStartedAt = Date.now();
    say(
      `Simulating ${options.nights} night${options.nights === 1 ? '' : 's'} from ${options.from} (seed ${options.seed}), responses through http://127.0.0.1:${options.port} ...`,
    );
    for (let index = 0; index < options.nights; index += 1) {
      const night = addDays(options.from, index);
      const sentSince = Math.floor(Date.now() / 1000);
      latest = await runLocalNight(night);
      const figures = await run.playDay(latest, sentSince);
      say(nightLine(figures));
      if (figures.emailsPlayed !== figures.emailsSent) {
        say(
          `  note: ${figures.emailsSent - figures.emailsPlayed} of the night's ${figures.emailsSent} emails were not found in the local SES store or the ledger; nobody reacted to them`,
        );
      }
    }
    say('');
    say(run.totalsReport());
    const durationMs = Date.now() - nightsStartedAt;
    say(
      `Simulated ${options.nights} night${options.nights === 1 ? '' : 's'} in ${(durationMs / 1000).toFixed(1)} s (${((Date.now() - startedAt) / 1000).toFixed(1)} s with start-up and seeding).`,
    );
    if (options.report) {
      await writeFile(options.report, `${JSON.stringify(run.report(durationMs), null, 2)}\n`);
      say(`Figures written to ${options.report}`);
    }
    if (run.errors.length > 0) {
      for (const error of run.errors.slice(0, maxErrorsPrinted)) {
        process.stderr.write(`  ${error.night}  ${error.request} -> ${error.status}: ${error.detail}\n`);
      }
      if (run.errors.length > maxErrorsPrinted) process.stderr.write(`  ... and ${run.errors.length - maxErrorsPrinted} more\n`);
      throw new Error(`${run.errors.length} simulated response${run.errors.length === 1 ? '' : 's'} did not get a 2xx answer (listed above)`);
    }
  } finally {
    if (server) await new Promise<void>((resolveClose) => server!.close(() => resolveClose()));
    await session.stop();
  }
}

type LocalSession = Awaited<ReturnType<typeof openLocalSession>>;

class SimulationRun {
  readonly errors: RequestError[] = [];
  private readonly nights: NightFigures[] = [];
  private readonly customers: DynamoCustomerRepository;
  private readonly ledger: DynamoSendLedger;
  private readonly base: string;
  /** Everyone emailed during the simulation, and who of them bought through an email. */
  private readonly emailed = new Set<string>();
  /** The emailed customers by their known response (response-types.ts), so uplift targeting can be judged on the truth. */
  private readonly emailedByResponse: Record<ResponseType, number> = { persuadable: 0, sure_thing: 0, lost_cause: 0, do_not_disturb: 0 };
  private readonly emailedBuyers = new Set<string>();
  /** The comparison group: at-risk and lost customers never emailed, each drawn once. */
  private readonly comparable = new Set<string>();
  private readonly comparableBuyers = new Set<string>();
  private readonly seenMessages = new Set<string>();
  private orderNumber = 5001;

  constructor(
    private readonly session: LocalSession,
    private readonly options: SimulateOptions,
  ) {
    this.customers = new DynamoCustomerRepository(session.client, session.tableName);
    this.ledger = new DynamoSendLedger(session.client, session.tableName);
    this.base = `http://127.0.0.1:${options.port}`;
  }

  async playDay(summary: NightSummary, sentSince: number): Promise<NightFigures> {
    const night = summary.asOf;
    const figures = emptyFigures(night, summary.emailsSent);
    const profiles = await this.allCustomers();
    const emailed = await this.emailedTonight(sentSince, profiles);
    for (const email of emailed) {
      if (!this.emailed.has(email.customer.customerId)) this.emailedByResponse[simulatedResponseType(email.customer, night)] += 1;
      this.emailed.add(email.customer.customerId);
    }
    figures.emailsPlayed = emailed.length;
    const alreadyDrawn = new Set([...this.emailed, ...this.comparable]);
    const emailedTonight = new Set(emailed.map((email) => email.customer.customerId));
    const cohorts = nightCohorts([...profiles.values()], night, summary.shopPace, this.session.config, alreadyDrawn, emailedTonight);
    for (const customer of cohorts.comparable) this.comparable.add(customer.customerId);
    figures.comparableCustomers = cohorts.comparable.length;
    const plan = planNight({
      night,
      seed: this.options.seed,
      shopTimeZone: this.session.config.shop.timeZone,
      currency: this.session.config.shop.currency,
      emailed,
      comparable: cohorts.comparable,
      active: cohorts.active,
    });
    await this.postSesEvents(plan, figures);
    await this.postUnsubscribesAndFeedback(plan, figures);
    await this.postOrders(plan, figures);
    this.nights.push(figures);
    return figures;
  }

  /** The emails that went out tonight, from the local SES, matched to their ledger entries (customer, campaign, coupon). */
  private async emailedTonight(sentSince: number, profiles: ReadonlyMap<string, Customer>): Promise<EmailedCustomer[]> {
    const response = await fetch(`${this.session.stack.sesEndpoint}/store?since=${sentSince}`);
    if (!response.ok) throw new Error(`the local SES store answered ${response.status}`);
    const { emails } = (await response.json()) as { emails: StoredEmail[] };
    const fresh = emails.filter((email) => !this.seenMessages.has(email.messageId));
    const limit = pLimit(concurrency);
    const matched = await Promise.all(
      fresh.map((email) =>
        limit(async (): Promise<EmailedCustomer | undefined> => {
          // Not filtered by the ledger's asOf: a send held for quiet hours goes out on a later night and is read then.
          const send = await this.ledger.findByMessageId(email.messageId);
          if (!send || send.status !== 'sent') return undefined;
          this.seenMessages.add(email.messageId);
          const customer = profiles.get(send.customerId);
          const recipient = email.destination.to[0];
          if (!customer || !recipient) return undefined;
          const links = emailLinks(email);
          return {
            customer,
            messageId: email.messageId,
            recipient,
            campaignId: send.campaignId,
            ...(send.offerCode ? { offerCode: send.offerCode } : {}),
            tags: { campaign: send.campaignId, step: String(send.step), night: send.asOf },
            ...links,
          };
        }),
      ),
    );
    return matched.filter((email): email is EmailedCustomer => email !== undefined).sort((a, b) => (a.customer.customerId < b.customer.customerId ? -1 : 1));
  }

  private async allCustomers(): Promise<Map<string, Customer>> {
    const customers = new Map<string, Customer>();
    let cursor: string | undefined;
    do {
      const page = await this.customers.scanPage({ segment: 0, totalSegments: 1, ...(cursor ? { cursor } : {}) });
      for (const customer of page.customers) customers.set(customer.customerId, customer);
      cursor = page.nextCursor;
    } while (cursor);
    return customers;
  }

  /** Each message's events in time order; messages side by side. */
  private async postSesEvents(plan: NightPlan, figures: NightFigures): Promise<void> {
    const byMessage = groupBy(plan.sesEvents, (event) => event.messageId);
    const limit = pLimit(concurrency);
    await Promise.all(
      [...byMessage.values()].map((events) =>
        limit(async () => {
          for (const event of events) {
            const answer = await this.request(
              figures,
              `SES ${event.type}${event.bounceType ? ` (${event.bounceType})` : ''} ${event.messageId}`,
              `${this.base}/local/ses-events`,
              {
                body: JSON.stringify(sesEventEnvelope(event)),
                headers: { ...localEventsHeaders },
              },
            );
            if (!answer) continue;
            // The endpoint answers 200 for an envelope it could not read or a message it does not know: for our own
            // events either is a failure.
            const outcome = parseJson(answer) as { ignored?: string; matchedSend?: boolean } | undefined;
            if (outcome?.ignored !== undefined || outcome?.matchedSend !== true) {
              this.fail(figures, `SES ${event.type} ${event.messageId}`, 200, answer.slice(0, 300));
              continue;
            }
            figures.sesEventsPosted += 1;
            countEvent(figures, event);
          }
        }),
      ),
    );
  }

  private async postUnsubscribesAndFeedback(plan: NightPlan, figures: NightFigures): Promise<void> {
    const limit = pLimit(concurrency);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    await Promise.all([
      ...plan.unsubscribes.map((unsubscribe) =>
        limit(async () => {
          // RFC 8058: the mail client POSTs exactly this body to the List-Unsubscribe URL.
          if (await this.request(figures, `unsubscribe ${unsubscribe.customerId}`, unsubscribe.url, { body: 'List-Unsubscribe=One-Click', headers: form }))
            figures.unsubscribed += 1;
        }),
      ),
      ...plan.feedback.map((answer) =>
        limit(async () => {
          const body = new URLSearchParams({ answer: answer.answer, comment: answer.comment ?? '' }).toString();
          if (await this.request(figures, `feedback ${answer.answer} ${answer.customerId}`, answer.url, { body, headers: form })) figures.feedbackAnswers += 1;
        }),
      ),
    ]);
  }

  /** One customer's orders in time order (each changes their summary); customers side by side. */
  private async postOrders(plan: NightPlan, figures: NightFigures): Promise<void> {
    const numbered = plan.orders.map((order) => ({ order, orderNumber: this.orderNumber++ }));
    const byCustomer = groupBy(numbered, ({ order }) => order.customer.customerId);
    const limit = pLimit(concurrency);
    await Promise.all(
      [...byCustomer.values()].map((orders) =>
        limit(async () => {
          for (const { order, orderNumber } of orders) await this.postOrder(order, orderNumber, figures);
        }),
      ),
    );
  }

  private async postOrder(order: PlannedOrder, orderNumber: number, figures: NightFigures): Promise<void> {
    const { customer } = order;
    const body = shopifyOrderCreatedBody({
      orderId: order.orderId,
      orderNumber,
      placedAt: order.placedAt,
      timeZone: this.session.config.shop.timeZone,
      currency: this.session.config.shop.currency,
      customer: {
        // Profiles stored before ids were namespaced carry the bare platform id.
        id: platformCustomerIdOf(customer.customerId, 'shopify') ?? customer.customerId,
        ...(customer.email ? { email: customer.email } : {}),
        ...(customer.firstName ? { firstName: customer.firstName } : {}),
        ...(customer.lastName ? { lastName: customer.lastName } : {}),
        ...(customer.country ? { country: customer.country } : {}),
        consent: customer.consent,
        createdAt: customer.createdAt,
      },
      lineItems: order.lineItems,
      ...(order.discount ? { discount: order.discount } : {}),
    });
    const answer = await this.request(figures, `order ${order.orderId} (${order.cohort}) for ${customer.customerId}`, `${this.base}/webhooks/shopify`, {
      body,
      headers: {
        'content-type': 'application/json',
        [shopifyHeaders.topic]: 'orders/create',
        [shopifySignatureHeader]: signShopify(body, process.env.SHOPIFY_WEBHOOK_SECRET ?? ''),
        [shopifyHeaders.webhookId]: order.webhookId,
        [shopifyHeaders.shopDomain]: 'alder-and-finch.myshopify.com',
        'X-Shopify-API-Version': '2025-10',
        'X-Shopify-Triggered-At': order.placedAt.toISOString(),
      },
    });
    if (answer === undefined) return;
    figures.ordersPosted[order.cohort] += 1;
    if (order.discount) figures.ordersWithCoupon += 1;
    if (order.cohort === 'emailed') this.emailedBuyers.add(customer.customerId);
    if (order.cohort === 'comparable') this.comparableBuyers.add(customer.customerId);
    if ((parseJson(answer) as { outcome?: string } | undefined)?.outcome !== 'stored') figures.ordersNotStored += 1;
    // The webhook's answer does not say whether the order won the customer back; the send it was credited to does.
    const credited = (await this.ledger.sendsOf(customer.customerId)).find((send) => send.attribution?.orderId === order.orderId);
    if (credited?.attribution) {
      figures.wonBack += 1;
      figures.wonBackRevenueMinor += credited.attribution.revenueMinor;
    }
  }

  /** POSTs and answers the body text for a 2xx; anything else is recorded as an error and answers undefined. */
  private async request(
    figures: NightFigures,
    what: string,
    url: string,
    init: { body: string; headers: Record<string, string> },
  ): Promise<string | undefined> {
    figures.requests += 1;
    try {
      const response = await fetch(url, { method: 'POST', body: init.body, headers: init.headers, redirect: 'manual' });
      const text = await response.text();
      if (response.status >= 200 && response.status < 300) return text;
      this.fail(figures, what, response.status, text.slice(0, 300));
    } catch (error) {
      this.fail(figures, what, 'no answer', (error as Error).message);
    }
    return undefined;
  }

  private fail(figures: NightFigures, request: string, status: RequestError['status'], detail: string): void {
    figures.errors += 1;
    this.errors.push({ night: figures.night, request, status, detail });
  }

  totals(): Omit<NightFigures, 'night'> {
    const { night: _night, ...sum } = emptyFigures('', 0);
    for (const figures of this.nights) {
      for (const key of Object.keys(sum) as (keyof typeof sum)[]) {
        if (key === 'ordersPosted') for (const cohort of cohorts) sum.ordersPosted[cohort] += figures.ordersPosted[cohort];
        else sum[key] += figures[key];
      }
    }
    return sum;
  }

  conversion() {
    const rate = (buyers: number, customers: number) => (customers > 0 ? buyers / customers : 0);
    return {
      emailed: { customers: this.emailed.size, bought: this.emailedBuyers.size, rate: rate(this.emailedBuyers.size, this.emailed.size) },
      comparableNotEmailed: {
        customers: this.comparable.size,
        bought: this.comparableBuyers.size,
        rate: rate(this.comparableBuyers.size, this.comparable.size),
      },
      emailedByResponse: { ...this.emailedByResponse },
    };
  }

  report(durationMs: number) {
    return {
      from: this.options.from,
      nights: this.options.nights,
      seed: this.options.seed,
      durationMs,
      perNight: this.nights,
      totals: this.totals(),
      conversion: this.conversion(),
      errors: this.errors,
    };
  }

  totalsReport(): string {
    const totals = this.totals();
    const money = (minor: number) => formatMoney({ minor, currency: this.session.config.shop.currency }, this.session.config.shop.locale);
    const table = new Table({
      head: [`Totals, ${this.nights.length} night${this.nights.length === 1 ? '' : 's'}`, 'count'],
      colAligns: ['left', 'right'],
      style: plain,
    });
    const count = (...values: number[]) => values.map((value) => number.format(value)).join(' / ');
    const rows: [string, string][] = [
      ['emails sent', count(totals.emailsSent)],
      ['delivered / opened / clicked', count(totals.delivered, totals.opened, totals.clicked)],
      ['bounced: permanent (suppressed) / transient', count(totals.bouncedPermanent, totals.bouncedTransient)],
      ['complaints', count(totals.complained)],
      ['unsubscribed (one-click)', count(totals.unsubscribed)],
      ['feedback answers', count(totals.feedbackAnswers)],
      ['SES events posted', count(totals.sesEventsPosted)],
      ['orders: emailed / comparable not emailed / active', count(totals.ordersPosted.emailed, totals.ordersPosted.comparable, totals.ordersPosted.active)],
      ['orders with the campaign coupon', count(totals.ordersWithCoupon)],
      ...(totals.ordersNotStored > 0 ? [['orders answered 2xx but not stored as new', count(totals.ordersNotStored)] as [string, string]] : []),
      ['won back (orders attributed)', count(totals.wonBack)],
      ['revenue attributed', money(totals.wonBackRevenueMinor)],
      ['requests / errors (not 2xx)', count(totals.requests, totals.errors)],
    ];
    for (const row of rows) table.push(row);
    const { emailed, comparableNotEmailed } = this.conversion();
    const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;
    const conversion = new Table({
      head: ['Bought again within 6 days', 'customers', 'bought', 'rate'],
      colAligns: ['left', 'right', 'right', 'right'],
      style: plain,
    });
    conversion.push(['emailed', number.format(emailed.customers), number.format(emailed.bought), percent(emailed.rate)]);
    conversion.push([
      'comparable, not emailed',
      number.format(comparableNotEmailed.customers),
      number.format(comparableNotEmailed.bought),
      percent(comparableNotEmailed.rate),
    ]);
    const lift =
      comparableNotEmailed.rate > 0
        ? `Emailed customers bought ${(emailed.rate / comparableNotEmailed.rate).toFixed(1)}x as often as comparable customers who were not emailed.`
        : '';
    const kinds = this.emailedByResponse;
    const known = `Emailed customers by their known response: ${number.format(kinds.persuadable)} persuadable, ${number.format(kinds.sure_thing)} sure things, ${number.format(kinds.lost_cause)} lost causes, ${number.format(kinds.do_not_disturb)} do-not-disturb (docs/uplift.md).`;
    return [table.toString(), conversion.toString(), lift, known].filter(Boolean).join('\n');
  }
}

const cohorts: readonly Cohort[] = ['emailed', 'comparable', 'active'];

function emptyFigures(night: CalendarDate, emailsSent: number): NightFigures {
  return {
    night,
    emailsSent,
    emailsPlayed: 0,
    delivered: 0,
    bouncedPermanent: 0,
    bouncedTransient: 0,
    complained: 0,
    opened: 0,
    clicked: 0,
    unsubscribed: 0,
    feedbackAnswers: 0,
    sesEventsPosted: 0,
    ordersPosted: { emailed: 0, comparable: 0, active: 0 },
    ordersWithCoupon: 0,
    ordersNotStored: 0,
    wonBack: 0,
    wonBackRevenueMinor: 0,
    comparableCustomers: 0,
    requests: 0,
    errors: 0,
  };
}

function countEvent(figures: NightFigures, event: SimulatedEvent): void {
  switch (event.type) {
    case 'Delivery':
      figures.delivered += 1;
      break;
    case 'Bounce':
      if (event.bounceType === 'Transient') figures.bouncedTransient += 1;
      else figures.bouncedPermanent += 1;
      break;
    case 'Complaint':
      figures.complained += 1;
      break;
    case 'Open':
      figures.opened += 1;
      break;
    case 'Click':
      figures.clicked += 1;
      break;
  }
}

function nightLine(figures: NightFigures): string {
  const notEmailed = figures.ordersPosted.comparable + figures.ordersPosted.active;
  const orders = figures.ordersPosted.emailed + notEmailed;
  return [
    `${figures.night}  sent ${figures.emailsSent}`,
    `delivered ${figures.delivered}`,
    `bounced ${figures.bouncedPermanent + figures.bouncedTransient} (${figures.bouncedPermanent} permanent)`,
    `complained ${figures.complained}`,
    `opened ${figures.opened}`,
    `clicked ${figures.clicked}`,
    `unsubscribed ${figures.unsubscribed}`,
    `feedback ${figures.feedbackAnswers}`,
    `orders ${orders} (emailed ${figures.ordersPosted.emailed} / not emailed ${notEmailed})`,
    `won back ${figures.wonBack}${figures.errors > 0 ? `  ERRORS ${figures.errors}` : ''}`,
  ].join(' · ');
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const name = key(item);
    const group = groups.get(name);
    if (group) group.push(item);
    else groups.set(name, [item]);
  }
  return groups;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
