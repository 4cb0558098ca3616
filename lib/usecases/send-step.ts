import type { Campaign, CampaignConfig } from '../config/campaign-config.js';
import type { Customer } from '../domain/customer.js';
import type { SkipReason } from '../domain/decisions.js';
import { hashEmail, normalizeEmail } from '../domain/email.js';
import { feedbackVariables, renderEmail } from '../domain/templating.js';
import { signFeedbackToken, signUnsubscribeToken } from '../domain/unsubscribe-token.js';
import type { CustomerRepository } from '../ports/customers.js';
import { EmailSendError, type EmailSender, type OutgoingEmail } from '../ports/email-sender.js';
import type { Clock } from '../ports/clock.js';
import type { SendKey, SendLedger } from '../ports/send-ledger.js';

export interface SendDependencies {
  readonly ledger: SendLedger;
  readonly email: EmailSender;
  readonly customers: CustomerRepository;
  readonly clock: Clock;
  readonly unsubscribe: { readonly baseUrl: string; readonly secret: string };
  readonly log?: NightLog;
}

/** The slice of a logger the night uses; Powertools' Logger fits it. */
export interface NightLog {
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export interface SendRequest {
  readonly customer: Customer & { readonly email: string };
  readonly campaign: Campaign;
  readonly episode: string;
  readonly step: number;
  readonly runId: string;
  readonly asOf: string;
}

export type SendResult =
  | { readonly outcome: 'sent'; readonly messageId: string }
  | { readonly outcome: 'skipped'; readonly reason: SkipReason }
  | { readonly outcome: 'paused'; readonly errorCode: string };

/**
 * Never twice: the ledger entry is written (conditionally) before SES is called. What happens when a step fails:
 * - rejected by SES: the entry is marked failed and never retried;
 * - sending paused or throttled out: SES certainly did not take it, so the entry is released for a later night;
 * - anything else (a timeout, a crash): SES may have sent it, so the entry stays and nobody gets a second copy.
 */
export async function sendStep(request: SendRequest, config: CampaignConfig, deps: SendDependencies): Promise<SendResult> {
  const key: SendKey = { customerId: request.customer.customerId, campaignId: request.campaign.id, episode: request.episode, step: request.step };
  let email: OutgoingEmail;
  try {
    email = composeEmail(request, config, deps.unsubscribe);
  } catch (error) {
    deps.log?.warn('email did not render', { campaignId: key.campaignId, customerId: key.customerId, error: (error as Error).message });
    return { outcome: 'skipped', reason: 'render_failed' };
  }
  const reservation = await deps.ledger.reserve({
    ...key,
    runId: request.runId,
    asOf: request.asOf,
    reservedAt: deps.clock.now().toISOString(),
    ...(request.campaign.offer.code ? { offerCode: request.campaign.offer.code } : {}),
  });
  if (!reservation.reserved) return { outcome: 'skipped', reason: reservation.heldAs === 'failed' ? 'failed_before' : 'already_sent' };

  let messageId: string;
  try {
    messageId = await deps.email.send(email);
  } catch (error) {
    const failure = error instanceof EmailSendError ? error : new EmailSendError('unknown', (error as Error).name ?? 'Error', { cause: error });
    const at = deps.clock.now().toISOString();
    if (failure.kind === 'paused' || failure.kind === 'throttled') {
      await deps.ledger.release(key);
      return failure.kind === 'paused' ? { outcome: 'paused', errorCode: failure.code } : { outcome: 'skipped', reason: 'send_failed' };
    }
    await deps.ledger.complete(key, { status: 'failed', errorCode: failure.kind === 'rejected' ? failure.code : `unconfirmed:${failure.code}`, at });
    return { outcome: 'skipped', reason: failure.kind === 'rejected' ? 'send_failed' : 'send_unconfirmed' };
  }
  const at = deps.clock.now().toISOString();
  try {
    await deps.ledger.complete(key, { status: 'sent', messageId, at });
    await deps.customers.recordEmailed(key.customerId, { campaignId: key.campaignId, episode: key.episode, step: key.step, at });
  } catch (error) {
    // The email went out; the reservation alone already keeps it from going twice, so the night carries on.
    deps.log?.error('sent, but recording it failed', { campaignId: key.campaignId, customerId: key.customerId, messageId, error: (error as Error).message });
  }
  return { outcome: 'sent', messageId };
}

export function composeEmail(request: SendRequest, config: CampaignConfig, unsubscribe: SendDependencies['unsubscribe']): OutgoingEmail {
  const { customer, campaign } = request;
  const token = signUnsubscribeToken({ customerId: customer.customerId, campaignId: campaign.id, emailHash: hashEmail(customer.email) }, unsubscribe.secret);
  const base = unsubscribe.baseUrl.replace(/\/+$/, '');
  const unsubscribeUrl = `${base}/unsubscribe/${token}`;
  const feedbackToken = signFeedbackToken({ customerId: customer.customerId, campaignId: campaign.id, episode: request.episode, step: request.step }, unsubscribe.secret);
  const rendered = renderEmail(campaign.content, {
    customer: { first_name: customer.firstName?.trim() || 'there', last_products: customer.summary.lastProducts },
    offer: { text: campaign.offer.text, code: campaign.offer.code },
    shop: { name: config.shop.name, postal_address: config.shop.postalAddress },
    campaign: { id: campaign.id, name: campaign.name },
    unsubscribe_url: unsubscribeUrl,
    feedback: feedbackVariables((answer) => `${base}/feedback/${feedbackToken}?answer=${answer}`),
  });
  return {
    from: formatAddress(campaign.sender.fromName, campaign.sender.fromAddress),
    replyTo: campaign.sender.replyTo,
    to: normalizeEmail(customer.email),
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
    headers: [
      { name: 'List-Unsubscribe', value: `<${unsubscribeUrl}>` },
      { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
    ],
    tags: { campaign: campaign.id, step: String(request.step), night: request.asOf },
  };
}

/** A display name is quoted so commas and quotes in a shop's name cannot change the address. */
function formatAddress(name: string, address: string): string {
  const safeName = name.replace(/[\r\n"\\]/g, ' ').trim();
  return safeName ? `"${safeName}" <${address}>` : address;
}
