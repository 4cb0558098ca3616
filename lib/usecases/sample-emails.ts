import { randomBytes } from 'node:crypto';
import type { Campaign, CampaignConfig, Variant } from '../config/campaign-config.js';
import { type Customer, emptySummary } from '../domain/customer.js';
import { addDays, type CalendarDate, calendarDateIn } from '../domain/dates.js';
import { resolveOffer } from '../domain/offers.js';
import type { Clock } from '../ports/clock.js';
import type { EmailSender, OutgoingEmail } from '../ports/email-sender.js';
import { composeEmail } from './send-step.js';

/** One step of one variant, rendered for the sample customer: what a marketer previews and test-sends. */
export interface SampleEmail {
  readonly step: number;
  readonly variant: string;
  readonly delayDays: number;
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

/**
 * The sample customer every preview and test send is written for: never a real customer, so a test email carries no
 * one's data and its links act on no one.
 */
const sampleCustomer: Customer & { readonly email: string } = {
  customerId: 'sample',
  email: 'sam@winback.invalid',
  firstName: 'Sam',
  consent: { state: 'subscribed', source: 'sample', updatedAt: '2026-01-01T00:00:00.000Z' },
  summary: { ...emptySummary, lastProducts: ['Linen Shirt', 'Canvas Tote'] },
  createdAt: '2026-01-01T00:00:00.000Z',
};

/**
 * Links in a sample point at a host that does not exist and carry tokens signed with a key thrown away at once: a
 * tester who clicks "unsubscribe" in a test email unsubscribes no one.
 */
const inertLinks = () => ({ baseUrl: 'https://winback.invalid', secret: randomBytes(32).toString('base64') });

/** One step of one variant for the sample customer, as the night's own composer writes it. */
function composeSample(
  config: CampaignConfig,
  campaign: Campaign,
  variant: Variant,
  step: number,
  asOf: CalendarDate,
  links: ReturnType<typeof inertLinks>,
): OutgoingEmail {
  const offer = resolveOffer(campaign.steps[step]!.offer, variant, 0);
  const personalisation = {
    arm: variant.id,
    offer,
    offerCode: offer.kind === 'none' ? '' : `${campaign.coupon?.prefix ?? 'CODE'}-SAMPLE`,
    offerExpiresOn: campaign.coupon ? addDays(asOf, campaign.coupon.expiresInDays) : '',
  };
  return composeEmail(
    sampleCustomer,
    campaign,
    { customerId: sampleCustomer.customerId, campaignId: campaign.id, episode: 'sample', step },
    personalisation,
    config,
    links,
  );
}

/** Every step of every variant of a campaign, rendered for the sample customer. */
export function sampleEmails(config: CampaignConfig, campaign: Campaign, clock: Clock): SampleEmail[] {
  const asOf = calendarDateIn(clock.now(), config.shop.timeZone);
  const links = inertLinks();
  return campaign.experiment.variants.flatMap((variant) =>
    campaign.steps.map((step, index) => {
      const email = composeSample(config, campaign, variant, index, asOf, links);
      return { step: index, variant: variant.id, delayDays: step.delayDays, subject: email.subject, html: email.html, text: email.text };
    }),
  );
}

export interface TestSendRequest {
  readonly config: CampaignConfig;
  readonly campaign: Campaign;
  readonly step: number;
  readonly variant: string;
  readonly to: string;
}

/**
 * Sends one sample email to a marketer's address, marked as a test in its subject. Nothing is reserved or recorded:
 * a test is no send of the campaign's. Undefined when the step or variant does not exist.
 */
export async function sendTestEmail(
  request: TestSendRequest,
  deps: { readonly email: EmailSender; readonly clock: Clock },
): Promise<{ readonly messageId: string; readonly subject: string } | undefined> {
  const variant = request.campaign.experiment.variants.find((candidate) => candidate.id === request.variant);
  if (!variant || !request.campaign.steps[request.step]) return undefined;
  const email = composeSample(
    request.config,
    request.campaign,
    variant,
    request.step,
    calendarDateIn(deps.clock.now(), request.config.shop.timeZone),
    inertLinks(),
  );
  const subject = `[Test] ${email.subject}`;
  // No List-Unsubscribe: a test goes to the marketer, not to a list. The tags mark it, so its events match no send.
  const messageId = await deps.email.send({ ...email, to: request.to, subject, headers: [], tags: { campaign: request.campaign.id, kind: 'test' } });
  return { messageId, subject };
}
