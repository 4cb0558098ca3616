import type { Campaign, CampaignConfig } from '../config/campaign-config.js';
import { type Customer, type DecisionRecord, recentEmailsKept } from '../domain/customer.js';
import { addDays, nextAllowedInstant } from '../domain/dates.js';
import type { SkipReason } from '../domain/decisions.js';
import { formatMailbox, hashEmail, normalizeEmail } from '../domain/email.js';
import { formatMoney } from '../domain/money.js';
import { greetingName } from '../domain/names.js';
import { describeOffer, type ResolvedOffer, resolveOffer } from '../domain/offers.js';
import { type ProductStats, productKey, type RecommendedProduct, recommendFor } from '../domain/recommendations.js';
import { RenderBreaker } from '../domain/render-breaker.js';
import type { SendReservation } from '../domain/sends.js';
import { callToActionUrl, productSearchUrl, tagShopLinks, type UtmTags, utmTags, withUtm } from '../domain/shop-links.js';
import { feedbackVariables, renderEmail, type TemplateVariables } from '../domain/templating.js';
import { signFeedbackToken, signUnsubscribeToken } from '../domain/unsubscribe-token.js';
import { type CouponProvider, CouponUnavailableError } from '../ports/coupons.js';
import type { CustomerRepository } from '../ports/customers.js';
import { EmailSendError, type OutgoingEmail } from '../ports/email-sender.js';
import type { Reservation, SendKey } from '../ports/send-ledger.js';
import { couponContext, waitForCoupon } from './coupon-wait.js';
import type { SendDependencies, StepRequest, StepResult } from './step-types.js';

/** What an email needs beyond the customer and the step: decided once, kept in the ledger, reused by a scheduled send. */
export interface Personalisation {
  readonly arm: string;
  readonly offer: ResolvedOffer;
  readonly offerCode: string;
  readonly offerExpiresOn: string;
  /** Chosen by the night (it knows the shop's products) and kept in the ledger, so a scheduled send shows the same. */
  readonly recommendations?: readonly RecommendedProduct[];
}

/** How long the queue's sender has before the due sender treats a queued send as lost and sends it itself. */
export const queuedSendGraceMs = 30 * 60_000;

/**
 * One step for one customer. Never twice: the ledger entry for (customer, campaign, episode, step) is written,
 * conditionally, before anything goes out. A holdout customer gets the same entry marked held_out and no email; a
 * customer inside their quiet hours gets it marked scheduled, and the sender sends it when their morning comes.
 */
export async function runStep(request: StepRequest, config: CampaignConfig, deps: SendDependencies): Promise<StepResult> {
  const key: SendKey = { customerId: request.customer.customerId, campaignId: request.campaign.id, episode: request.episode, step: request.step };
  // Times are the night's: a replayed or simulated night records when it happened in its own calendar.
  const at = request.nightAt.toISOString();
  const base = {
    ...key,
    runId: request.runId,
    asOf: request.asOf,
    reservedAt: at,
    heldSince: deps.clock.now().toISOString(),
    arm: request.arm,
    ...(request.features ? { features: request.features } : {}),
  };
  const exit = request.journey.nextStep >= request.campaign.steps.length ? { campaignId: request.campaign.id, at: request.journey.lastStepAt } : undefined;
  const breaker = deps.renderBreaker ?? nightBreaker(request.runId);
  // Holdouts stop too: a holdout that keeps growing while nobody is emailed would skew the lift.
  if (breaker.isOpen(key.campaignId)) return { outcome: 'skipped', reason: 'render_paused' };

  if (request.kind === 'hold') {
    const held = await deps.ledger.reserve(base, 'held_out');
    if (!held.reserved) return { outcome: 'skipped', reason: 'already_sent' };
    deps.settled?.();
    await deps.customers.recordStep(key.customerId, { journey: request.journey, lastDecision: decisionOf(request, 'held_out'), ...(exit ? { exit } : {}) });
    return { outcome: 'held_out' };
  }

  let personalisation: Personalisation;
  try {
    personalisation = await personalise(request, config, deps.coupons);
  } catch (error) {
    // Never a dead code: the platform did not confirm it, so the email waits for it (see coupon-wait.ts).
    if (!(error instanceof CouponUnavailableError)) throw error;
    const step = request.campaign.steps[request.step]!;
    const variant = request.campaign.experiment.variants.find((candidate) => candidate.id === request.arm) ?? request.campaign.experiment.variants[0]!;
    return waitForCoupon(request, config, deps, base, resolveOffer(step.offer, variant, request.valueAtStakeMinor), error, exit);
  }
  // Again after the wait for a coupon: the steps in flight meanwhile may have stopped the campaign.
  if (breaker.isOpen(key.campaignId)) return { outcome: 'skipped', reason: 'render_paused' };
  let email: OutgoingEmail;
  try {
    email = composeEmail(request.customer, request.campaign, key, personalisation, config, deps.unsubscribe);
  } catch (error) {
    deps.log?.warn('email did not render', { campaignId: key.campaignId, customerId: key.customerId, error: (error as Error).message });
    if (breaker.failed(key.campaignId)) {
      deps.log?.error('campaign stopped for the rest of the night: its emails keep failing to render', {
        campaignId: key.campaignId,
        runId: request.runId,
        error: (error as Error).message,
      });
    }
    return { outcome: 'skipped', reason: 'render_failed' };
  }
  breaker.rendered(key.campaignId);
  const reservation: SendReservation = {
    ...base,
    offer: personalisation.offer,
    ...(personalisation.offerCode ? { offerCode: personalisation.offerCode, offerExpiresOn: personalisation.offerExpiresOn } : {}),
    ...(personalisation.recommendations?.length ? { recommendations: personalisation.recommendations } : {}),
  };
  const notBefore = nextAllowedInstant(request.nightAt, request.customer.timeZone ?? config.shop.timeZone, config.guardrails.quietHours);
  const recentEmails = [...(request.customer.recentEmails ?? []), notBefore.toISOString()].slice(-recentEmailsKept);

  const waits = notBefore.getTime() > request.nightAt.getTime();
  if (waits || deps.queue) {
    // A queued send goes on the due list too, a little later: should its queue message be lost, the due sender sends it.
    const dueAt = waits ? notBefore : new Date(request.nightAt.getTime() + queuedSendGraceMs);
    const scheduled = await deps.ledger.reserve({ ...reservation, notBefore: dueAt.toISOString() }, 'scheduled');
    if (!scheduled.reserved) return { outcome: 'skipped', reason: whyHeld(scheduled, request.runId, deps.clock.now()) };
    deps.settled?.();
    // lastSend is set now, at the time the email will go, so the sender needs no second write to the profile.
    const lastSend = { campaignId: key.campaignId, episode: key.episode, step: key.step, at: notBefore.toISOString() };
    await deps.customers.recordStep(key.customerId, {
      journey: request.journey,
      recentEmails,
      lastSend,
      lastDecision: decisionOf(request, waits ? 'scheduled' : 'sent'),
      ...(exit ? { exit } : {}),
    });
    if (waits) return { outcome: 'scheduled', notBefore: notBefore.toISOString() };
    try {
      await deps.queue!.enqueue(key);
    } catch (error) {
      deps.log?.warn('send not queued; the due sender will send it', {
        campaignId: key.campaignId,
        customerId: key.customerId,
        error: (error as Error).message,
      });
    }
    return { outcome: 'queued' };
  }

  const reserved = await deps.ledger.reserve(reservation);
  if (!reserved.reserved) return { outcome: 'skipped', reason: whyHeld(reserved, request.runId, deps.clock.now()) };
  const lastSend = { campaignId: key.campaignId, episode: key.episode, step: key.step, at };
  // The profile is updated alongside the ledger's "sent" (two items, so one request when batched), never before SES took it.
  return deliver({ ...key, asOf: request.asOf }, email, deps, request.nightAt, {
    onSent: () =>
      remember(deps, key, { journey: request.journey, recentEmails, lastSend, lastDecision: decisionOf(request, 'sent'), ...(exit ? { exit } : {}) }),
  });
}

/**
 * The night's render breaker in this process, by run id. The night's segments run in parallel, locally in one process
 * and on AWS in several workers, each of which may take several segments: each process counts its own renders, so a
 * broken campaign stops after the threshold in every worker that meets it rather than once for the whole night. That
 * still bounds the time spent to a few failed renders per worker instead of one per customer.
 */
export function nightBreaker(runId: string): RenderBreaker {
  let breaker = nightBreakers.get(runId);
  if (!breaker) {
    // A worker's container outlives its night: keep the latest few nights only.
    if (nightBreakers.size >= 8) nightBreakers.delete(nightBreakers.keys().next().value!);
    nightBreakers.set(runId, (breaker = new RenderBreaker()));
  }
  return breaker;
}

const nightBreakers = new Map<string, RenderBreaker>();

/**
 * Calls SES for a reserved entry and settles it. What happens when it fails:
 * - rejected by SES: the entry is marked failed and never retried;
 * - sending paused or throttled out: SES certainly did not take it, so the entry is released for a later night;
 * - anything else (a timeout, a crash): SES may have sent it, so the entry stays and nobody gets a second copy.
 */
export async function deliver(
  /** The entry's key and night. */
  key: SendKey & { readonly asOf: string },
  email: OutgoingEmail,
  deps: Pick<SendDependencies, 'ledger' | 'email' | 'clock' | 'log'>,
  sentAt: Date,
  /** A scheduled send keeps its entry when SES did not take it: the sender puts it back on the due list. */
  {
    releaseWhenNotTaken = true,
    onSent,
  }: { releaseWhenNotTaken?: boolean /** Runs once SES took the email, alongside marking it sent; must not throw. */; onSent?: () => Promise<void> } = {},
): Promise<StepResult> {
  let messageId: string;
  try {
    messageId = await deps.email.send(email);
  } catch (error) {
    const failure = error instanceof EmailSendError ? error : new EmailSendError('unknown', (error as Error).name ?? 'Error', { cause: error });
    const at = sentAt.toISOString();
    if (failure.kind === 'paused' || failure.kind === 'throttled') {
      if (releaseWhenNotTaken) await deps.ledger.release(key);
      return failure.kind === 'paused' ? { outcome: 'paused', errorCode: failure.code } : { outcome: 'skipped', reason: 'send_failed' };
    }
    await deps.ledger.complete(key, { status: 'failed', errorCode: failure.kind === 'rejected' ? failure.code : `unconfirmed:${failure.code}`, at });
    return { outcome: 'skipped', reason: failure.kind === 'rejected' ? 'send_failed' : 'send_unconfirmed' };
  }
  const recording = deps.ledger.complete(key, { status: 'sent', messageId, at: sentAt.toISOString(), night: key.asOf }).catch((error: unknown) => {
    // The email went out; the reservation alone already keeps it from going twice, so the night carries on.
    deps.log?.error('sent, but recording it failed', { campaignId: key.campaignId, customerId: key.customerId, messageId, error: (error as Error).message });
  });
  await Promise.all([recording, onSent?.()]);
  return { outcome: 'sent', messageId };
}

/** Longer than any send takes (SES answers in seconds; the SDK gives up within a minute). */
const sendTimeoutMs = 15 * 60_000;

/**
 * Why a step someone else holds is skipped. An entry still `reserved` by another run long after it was taken was
 * left by a run that died between reserving and SES's answer: SES may have sent it, so it is never sent again,
 * but it is counted as unconfirmed, not as sent. One taken moments ago belongs to a run still sending.
 */
function whyHeld(held: Extract<Reservation, { reserved: false }>, runId: string, now: Date): SkipReason {
  if (held.heldAs === 'failed') return 'failed_before';
  const since = held.holder?.heldSince ? Date.parse(held.holder.heldSince) : Number.NaN;
  const abandoned = held.heldAs === 'reserved' && held.holder?.runId !== runId && now.getTime() - since > sendTimeoutMs;
  return abandoned ? 'send_unconfirmed' : 'already_sent';
}

function decisionOf(request: StepRequest, outcome: 'sent' | 'held_out' | 'scheduled'): DecisionRecord {
  return { asOf: request.asOf, outcome, campaignId: request.campaign.id, step: request.step, arm: request.arm };
}

async function remember(deps: SendDependencies, key: SendKey, step: Parameters<CustomerRepository['recordStep']>[1]): Promise<void> {
  try {
    await deps.customers.recordStep(key.customerId, step);
  } catch (error) {
    deps.log?.error('sent, but updating the customer failed', { campaignId: key.campaignId, customerId: key.customerId, error: (error as Error).message });
  }
}

async function personalise(request: StepRequest, config: CampaignConfig, coupons: CouponProvider): Promise<Personalisation> {
  const step = request.campaign.steps[request.step]!;
  const variant = request.campaign.experiment.variants.find((candidate) => candidate.id === request.arm) ?? request.campaign.experiment.variants[0]!;
  const offer = resolveOffer(step.offer, variant, request.valueAtStakeMinor);
  const coupon = request.campaign.coupon;
  const recommendations = recommendationsFor(request.customer, request.products);
  const chosen = recommendations.length > 0 ? { recommendations } : {};
  if (offer.kind === 'none' || !coupon) return { arm: request.arm, offer, offerCode: '', offerExpiresOn: '', ...chosen };
  const offerExpiresOn = addDays(request.asOf, coupon.expiresInDays);
  const send = { customerId: request.customer.customerId, campaignId: request.campaign.id, episode: request.episode, step: request.step };
  return {
    arm: request.arm,
    offer,
    offerCode: await coupons.issue({ send, prefix: coupon.prefix, offer, expiresOn: offerExpiresOn, ...couponContext(request, config) }),
    offerExpiresOn,
    ...chosen,
  };
}

/** How many products an email can show; the shipped design shows three. */
export const recommendationsPerEmail = 3;

/** The customer's recommendations: never a product they bought (their summary keeps the products of every order). */
export function recommendationsFor(customer: Customer, products: ProductStats | undefined): RecommendedProduct[] {
  const summary = customer.summary;
  const bought = [...(summary.lastItems ?? []), ...summary.lastProducts.map((title) => ({ title })), ...(summary.boughtProducts ?? []).map(lineOfKey)];
  return recommendFor(products, bought, recommendationsPerEmail);
}

/** A key of boughtProducts back as a line: `sku:X` names the SKU, `title:x` the title. */
function lineOfKey(key: string): { title: string; sku?: string } {
  return key.startsWith('sku:') ? { title: '', sku: key.slice(4) } : { title: key.slice(6) };
}

export function composeEmail(
  customer: Customer & { readonly email: string },
  campaign: Campaign,
  key: SendKey,
  personalisation: Personalisation,
  config: CampaignConfig,
  links: SendDependencies['unsubscribe'],
): OutgoingEmail {
  const step = campaign.steps[key.step]!;
  const variant = campaign.experiment.variants.find((candidate) => candidate.id === personalisation.arm);
  const token = signUnsubscribeToken({ customerId: customer.customerId, campaignId: campaign.id, emailHash: hashEmail(customer.email) }, links.secret);
  const base = links.baseUrl.replace(/\/+$/, '');
  const unsubscribeUrl = `${base}/unsubscribe/${token}`;
  const feedbackToken = signFeedbackToken(key, links.secret);
  const shop = config.shop;
  const utm = utmTags(campaign.id, key.step, personalisation.arm);
  const shopUrl = shop.url ? (withUtm(shop.url, utm) ?? '') : '';
  const surveyOn = campaign.survey ?? campaign.audience.status === 'lost';
  const rendered = renderEmail(variant?.subject ? { ...step.content, subject: variant.subject } : step.content, {
    // A name that cannot be shown as written (a URL, bidirectional overrides, 255 characters) greets like no name.
    customer: { first_name: greetingName(customer.firstName) ?? 'there', last_products: customer.summary.lastProducts },
    offer: {
      kind: personalisation.offer.kind,
      value: personalisation.offer.value,
      text: describeOffer(personalisation.offer, config.shop.currency, config.shop.locale),
      code: personalisation.offerCode,
      expires_on: personalisation.offerExpiresOn ? formatDay(personalisation.offerExpiresOn, config.shop.locale) : '',
    },
    shop: {
      name: shop.name,
      postal_address: shop.postalAddress,
      url: shopUrl,
      logo_url: shop.branding.logoUrl ?? '',
      brand_color: shop.branding.brandColor,
      footer: shop.branding.footer ?? '',
    },
    campaign: { id: campaign.id, name: campaign.name },
    unsubscribe_url: unsubscribeUrl,
    links: { shop: shopUrl, cta: shop.url ? (callToActionUrl(shop.url, shop.platform, personalisation.offerCode, utm) ?? '') : '' },
    recommendations: (personalisation.recommendations ?? []).map((product) => shownProduct(product, config, utm)),
    feedback: feedbackVariables((answer) => `${base}/feedback/${feedbackToken}?answer=${answer}`, surveyOn),
  });
  return {
    from: formatMailbox(campaign.sender.fromName, campaign.sender.fromAddress),
    replyTo: campaign.sender.replyTo,
    to: normalizeEmail(customer.email),
    subject: rendered.subject,
    // A marketer's own link into the shop gets the UTM tags too.
    html: tagShopLinks(rendered.html, 'html', shop.url, utm),
    text: tagShopLinks(rendered.text, 'text', shop.url, utm),
    headers: [
      { name: 'List-Unsubscribe', value: `<${unsubscribeUrl}>` },
      { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
    ],
    // Only campaign facts: no personal data in tags (SES allows letters, digits, "_" and "-").
    tags: { campaign: campaign.id, step: String(key.step), variant: personalisation.arm },
  };
}

/** A recommended product as a template shows it: the feed's image, page and price when it has the product. */
function shownProduct(product: RecommendedProduct, config: CampaignConfig, utm: UtmTags): TemplateVariables['recommendations'][number] {
  const feed = feedEntry(config, product);
  const page = feed?.url ?? (config.shop.url ? productSearchUrl(config.shop.url, config.shop.platform, product.title) : undefined);
  return {
    title: feed?.title ?? product.title,
    price: formatMoney({ minor: feed?.priceMinor ?? product.priceMinor, currency: config.shop.currency }, config.shop.locale),
    image_url: feed?.imageUrl ?? '',
    url: page ? (withUtm(page, utm) ?? '') : '',
  };
}

const feedIndexes = new WeakMap<object, Map<string, NonNullable<CampaignConfig['products']>[number]>>();

function feedEntry(config: CampaignConfig, product: RecommendedProduct): NonNullable<CampaignConfig['products']>[number] | undefined {
  const feed = config.products;
  if (!feed || feed.length === 0) return undefined;
  let index = feedIndexes.get(feed);
  if (!index) {
    index = new Map();
    // By SKU and by title, so a line item without a SKU still finds its product.
    for (const entry of feed) {
      if (entry.sku) index.set(productKey({ title: entry.title, sku: entry.sku }), entry);
      index.set(productKey({ title: entry.title }), entry);
    }
    feedIndexes.set(feed, index);
  }
  return (product.sku ? index.get(productKey(product)) : undefined) ?? index.get(productKey({ title: product.title }));
}

/** "6 December 2026": a date as the shop's customers read it. */
function formatDay(date: string, locale: string): string {
  let format = dayFormats.get(locale);
  // Building a DateTimeFormat costs far more than using one: one per locale.
  if (!format) dayFormats.set(locale, (format = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })));
  return format.format(new Date(`${date}T00:00:00Z`));
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();
