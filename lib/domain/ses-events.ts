import { z } from 'zod';
import { isCalendarDate } from './dates.js';
import { normalizeEmail } from './email.js';
import type { EmailEvent, EmailEventType } from './email-events.js';
import { invalidInput } from './errors.js';
import { formatPath } from './field-path.js';
import { plausibleTimeAt } from './webhooks/raw-json.js';

/**
 * The EventBridge detail-types of SES email sending events (SES v2 event destinations publish to the default bus
 * with `source: "aws.ses"`). The same source also carries account-level events ("Sending Status Disabled",
 * "Advisor Recommendation Status Open" ...): those are not email events and are refused here.
 */
export const sesEventDetailTypes = [
  'Email Sent',
  'Email Delivered',
  'Email Bounced',
  'Email Complaint Received',
  'Email Opened',
  'Email Clicked',
  'Email Rejected',
  'Email Delivery Delayed',
  'Email Rendering Failed',
  'Email Subscribed',
] as const;
export type SesEventDetailType = (typeof sesEventDetailTypes)[number];

/** Which detail-type carries which `detail.eventType`; an envelope whose two disagree is refused. */
export const sesDetailTypeByEventType: Readonly<Record<EmailEventType, SesEventDetailType>> = {
  Send: 'Email Sent',
  Delivery: 'Email Delivered',
  Bounce: 'Email Bounced',
  Complaint: 'Email Complaint Received',
  Open: 'Email Opened',
  Click: 'Email Clicked',
  Reject: 'Email Rejected',
  DeliveryDelay: 'Email Delivery Delayed',
  'Rendering Failure': 'Email Rendering Failed',
  Subscription: 'Email Subscribed',
};

// Bounds well above what SES sends (50 recipients and 50 tags a message, links of a few hundred characters), so a
// forged or runaway event cannot make us store megabytes.
const maxRecipients = 100;
const maxLinkLength = 2048;
const maxTags = 100;
const latestInstant = Date.UTC(10000, 0, 1);

/** DESIGN.md section 5: EmailTags hold only letters, digits, `_` and `-`; SES's own `ses:*` tags fall outside it. */
const tagPattern = /^[A-Za-z0-9_-]{1,256}$/;
// JSON.parse makes `__proto__` an own key; copied onto a plain object by assignment it would swap the prototype.
const unsafeKeys = new Set(['__proto__', 'constructor', 'prototype']);

const token = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x21-\x7E]+$/, 'expected printable ASCII without spaces');

const instant = z
  .string()
  .max(64)
  .pipe(z.iso.datetime({ offset: true, error: 'expected an ISO-8601 date-time such as 2026-11-22T08:00:00.000Z' }))
  // The format check accepts February 30th; Date would quietly roll it into March.
  .refine((text) => isCalendarDate(text.slice(0, 10)), 'not a calendar date')
  // Kept inside what toISOString writes as YYYY-MM-DD, so every `at` has the one UTC form.
  .refine((text) => Date.parse(text) >= 0 && Date.parse(text) < latestInstant, 'expected a date between 1970 and 9999');

/** SES gives bare addresses; a `Name <address>` form is unwrapped rather than refused, so no bounce gets lost on it. */
const address = z
  .string()
  .max(1000)
  .transform((text) => /<([^<>]*)>\s*$/.exec(text)?.[1] ?? text)
  .pipe(
    z
      .string()
      .trim()
      .max(320)
      .regex(/^[^\s@<>"]+@[^\s@<>"]+$/, 'expected an email address'),
  )
  .transform(normalizeEmail);

const recipients = z.array(address).min(1).max(maxRecipients);
const recipientObjects = z
  .array(z.looseObject({ emailAddress: address }))
  .min(1)
  .max(maxRecipients);

const mailSchema = z.looseObject({
  messageId: token(256),
  destination: recipients,
  tags: z
    .record(z.string(), z.array(z.string().max(2048)).max(10))
    .refine((tags) => Object.keys(tags).length <= maxTags, `at most ${maxTags} tags`)
    .optional(),
});

const link = z
  .string()
  .min(1)
  .max(maxLinkLength)
  .refine((text) => URL.canParse(text) && /^https?:$/.test(new URL(text).protocol), 'expected an http(s) URL');

// Only the fields Winback reads are checked; the rest of each SES object passes untouched, so a field SES adds
// tomorrow cannot turn a bounce into a 400.
const stamped = z.looseObject({ timestamp: instant.optional() });

const detailSchema = z.discriminatedUnion('eventType', [
  z.looseObject({ eventType: z.literal('Send'), mail: mailSchema }),
  z.looseObject({
    eventType: z.literal('Delivery'),
    mail: mailSchema,
    delivery: z.looseObject({ timestamp: instant.optional(), recipients: recipients.optional() }).optional(),
  }),
  z.looseObject({
    eventType: z.literal('Bounce'),
    mail: mailSchema,
    bounce: z.looseObject({
      bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']),
      bounceSubType: token(64).nullish(),
      bouncedRecipients: recipientObjects,
      timestamp: instant.optional(),
    }),
  }),
  z.looseObject({
    eventType: z.literal('Complaint'),
    mail: mailSchema,
    complaint: z.looseObject({
      complainedRecipients: recipientObjects,
      complaintFeedbackType: token(64).nullish(),
      timestamp: instant.optional(),
    }),
  }),
  z.looseObject({ eventType: z.literal('Open'), mail: mailSchema, open: stamped.optional() }),
  z.looseObject({
    eventType: z.literal('Click'),
    mail: mailSchema,
    click: z.looseObject({ link, timestamp: instant.optional() }),
  }),
  z.looseObject({ eventType: z.literal('Reject'), mail: mailSchema }),
  z.looseObject({
    eventType: z.literal('DeliveryDelay'),
    mail: mailSchema,
    deliveryDelay: z.looseObject({ timestamp: instant.optional(), delayedRecipients: recipientObjects.optional() }).optional(),
  }),
  z.looseObject({ eventType: z.literal('Rendering Failure'), mail: mailSchema }),
  z.looseObject({
    eventType: z.literal('Subscription'),
    mail: mailSchema,
    subscription: z.looseObject({
      timestamp: instant.optional(),
      newTopicPreferences: z.looseObject({ unsubscribeAll: z.boolean() }),
    }),
  }),
]);

const envelopeSchema = z.looseObject({
  version: token(16),
  id: token(256),
  'detail-type': z.enum(sesEventDetailTypes),
  source: z.literal('aws.ses'),
  account: z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id'),
  time: instant,
  region: z.string().regex(/^[a-z0-9-]{1,32}$/, 'expected an AWS region such as eu-west-1'),
  resources: z.array(z.string().max(2048)).max(20),
  detail: detailSchema,
});

type SesDetail = z.infer<typeof detailSchema>;

/**
 * Reads one SES email event as EventBridge delivers it (the same envelope `POST /local/ses-events` accepts) and
 * reduces it to an EmailEvent. Anything that is not such an event throws `invalidInput(field, problem)`, as does an
 * envelope `time` or event timestamp before 1995 or later than `receivedAt` plus 10 minutes of clock skew.
 */
export function parseSesEvent(envelope: unknown, receivedAt: Date): EmailEvent {
  const result = envelopeSchema.safeParse(envelope);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw invalidInput(issue ? formatPath(issue.path) : '(root)', issue?.message ?? 'not an SES event', result.error);
  }
  const { id, time, detail } = result.data;
  const expected = sesDetailTypeByEventType[detail.eventType];
  if (result.data['detail-type'] !== expected) {
    throw invalidInput('detail-type', `expected "${expected}" for eventType "${detail.eventType}"`);
  }
  const { mail } = detail;
  const base = { eventId: id, type: detail.eventType, messageId: mail.messageId, tags: flattenTags(mail.tags) };
  // A time ahead of receipt (beyond clock skew) would let a forged open or click outrank what really happened later.
  plausibleTimeAt('time', new Date(time).toISOString(), receivedAt);
  const at = (own: string | undefined, field?: string) =>
    plausibleTimeAt(own === undefined || !field ? 'time' : field, new Date(own ?? time).toISOString(), receivedAt);

  switch (detail.eventType) {
    case 'Bounce': {
      const { bounce } = detail;
      return {
        ...base,
        at: at(bounce.timestamp, 'detail.bounce.timestamp'),
        recipients: unique(bounce.bouncedRecipients.map((recipient) => recipient.emailAddress)),
        bounce: { type: bounce.bounceType, ...(bounce.bounceSubType ? { subType: bounce.bounceSubType } : {}) },
      };
    }
    case 'Complaint': {
      const { complaint } = detail;
      return {
        ...base,
        at: at(complaint.timestamp, 'detail.complaint.timestamp'),
        recipients: unique(complaint.complainedRecipients.map((recipient) => recipient.emailAddress)),
        complaint: complaint.complaintFeedbackType ? { feedbackType: complaint.complaintFeedbackType } : {},
      };
    }
    case 'Delivery':
      return { ...base, at: at(detail.delivery?.timestamp, 'detail.delivery.timestamp'), recipients: unique(detail.delivery?.recipients ?? mail.destination) };
    case 'DeliveryDelay': {
      const delayed = detail.deliveryDelay?.delayedRecipients?.map((recipient) => recipient.emailAddress);
      return { ...base, at: at(detail.deliveryDelay?.timestamp, 'detail.deliveryDelay.timestamp'), recipients: unique(delayed ?? mail.destination) };
    }
    case 'Open':
      return { ...base, at: at(detail.open?.timestamp, 'detail.open.timestamp'), recipients: unique(mail.destination) };
    case 'Click':
      return { ...base, at: at(detail.click.timestamp, 'detail.click.timestamp'), recipients: unique(mail.destination), click: { link: detail.click.link } };
    case 'Subscription':
      return {
        ...base,
        at: at(detail.subscription.timestamp, 'detail.subscription.timestamp'),
        recipients: unique(mail.destination),
        subscription: { unsubscribedAll: detail.subscription.newTopicPreferences.unsubscribeAll },
      };
    // Send, Reject and Rendering Failure carry no timestamp of their own.
    case 'Send':
    case 'Reject':
    case 'Rendering Failure':
      return { ...base, at: at(undefined), recipients: unique(mail.destination) };
    default:
      return unreachable(detail);
  }
}

/** A permanent bounce or any complaint: the address goes on the suppression list. A transient bounce does not. */
export function isPermanentFailure(event: EmailEvent): boolean {
  return event.type === 'Complaint' || (event.type === 'Bounce' && event.bounce?.type === 'Permanent');
}

/** SES sends `{name: [value]}`; Winback keeps the first value of each tag it could have set itself. */
function flattenTags(tags: Readonly<Record<string, readonly string[]>> | undefined): Record<string, string> {
  const kept: [string, string][] = [];
  for (const [name, values] of Object.entries(tags ?? {})) {
    const value = values[0];
    if (value !== undefined && !unsafeKeys.has(name) && tagPattern.test(name) && tagPattern.test(value)) kept.push([name, value]);
  }
  // fromEntries defines properties instead of assigning them, so even a stray `__proto__` could not swap prototypes.
  return Object.fromEntries(kept);
}

function unique(addresses: readonly string[]): string[] {
  return [...new Set(addresses)];
}

function unreachable(detail: never): never {
  throw invalidInput('detail.eventType', `unsupported event type ${JSON.stringify((detail as SesDetail).eventType)}`);
}
