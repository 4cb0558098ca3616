import { randomUUID } from 'node:crypto';
import { type CampaignConfig, parseCampaignConfig } from '../../lib/config/campaign-config.js';
import defaultCampaignConfig from '../../lib/config/default-campaign-config.json' with { type: 'json' };
import { applyOrder, type ConsentState, type Customer, emptySummary, type Order } from '../../lib/domain/customer.js';
import { parseDecimalAmount } from '../../lib/domain/money.js';

export const shopTimeZone = 'Europe/Amsterdam';

export type RawConfig = typeof defaultCampaignConfig;

/**
 * The shipped default config with the value thresholds, quiet hours and holdouts off, so tests choose who
 * qualifies by dates alone and emails go out at once; a test that is about one of those turns it back on.
 */
export function testConfig(change: (config: RawConfig) => void = () => {}): CampaignConfig {
  const raw = structuredClone(defaultCampaignConfig) as RawConfig;
  for (const campaign of raw.campaigns) {
    campaign.audience.minValueAtStakeMinor = 0;
    campaign.experiment.holdoutPercent = 0;
  }
  delete (raw.guardrails as { quietHours?: unknown }).quietHours;
  // Tests of the cadence rule's edges use the rule; the scoring tests switch the policy back on.
  raw.classification.policy = 'rule';
  change(raw);
  return parseCampaignConfig(raw);
}

export interface CustomerSpec {
  readonly name: string;
  /** Order days, YYYY-MM-DD, placed at noon UTC. */
  readonly orderDays: readonly string[];
  readonly consent?: ConsentState;
  readonly email?: string | null;
  readonly amount?: string;
  readonly lastEmailedAt?: string;
}

/** A customer whose summary is built the way the product builds it: by folding real orders. */
export function customerFrom(spec: CustomerSpec, tag = randomUUID().slice(0, 8)): { customer: Customer; orders: Order[] } {
  const customerId = `${9007199254740993n + BigInt(Math.floor(Math.random() * 1e9))}`;
  const orders: Order[] = spec.orderDays.map((day, index) => ({
    orderId: `${customerId}${index}`,
    customerId,
    placedAt: `${day}T12:00:00.000Z`,
    totalMinor: parseDecimalAmount(spec.amount ?? '60.00', 'EUR'),
    currency: 'EUR',
    lineItems: [{ title: 'Linen Shirt', quantity: 1, priceMinor: parseDecimalAmount(spec.amount ?? '60.00', 'EUR') }],
    source: 'test',
  }));
  const summary = orders.reduce((current, order) => applyOrder(current, order, shopTimeZone), emptySummary);
  const email = spec.email === null ? undefined : (spec.email ?? `${spec.name.toLowerCase()}.${tag}@example.org`);
  const customer: Customer = {
    customerId,
    ...(email ? { email } : {}),
    firstName: spec.name,
    consent: { state: spec.consent ?? 'subscribed', source: 'checkout', updatedAt: '2025-01-01T00:00:00.000Z' },
    summary,
    createdAt: orders[0]?.placedAt ?? '2025-01-01T00:00:00.000Z',
    ...(spec.lastEmailedAt ? { lastEmailedAt: spec.lastEmailedAt } : {}),
  };
  return { customer, orders };
}
