/** SES event types, as SES names them in `detail.eventType`. */
export const emailEventTypes = [
  'Send',
  'Delivery',
  'Bounce',
  'Complaint',
  'Open',
  'Click',
  'Reject',
  'DeliveryDelay',
  'Rendering Failure',
  'Subscription',
] as const;
export type EmailEventType = (typeof emailEventTypes)[number];

/** One SES event, reduced to what Winback records. */
export interface EmailEvent {
  /** The EventBridge event id: the same event delivered twice has the same id. */
  readonly eventId: string;
  readonly type: EmailEventType;
  readonly messageId: string;
  readonly at: string;
  /** EmailTags of the message (campaign, step, night). */
  readonly tags: Readonly<Record<string, string>>;
  /** Addresses this event is about (bounced or complaining recipients, else the destination). */
  readonly recipients: readonly string[];
  readonly bounce?: { readonly type: 'Permanent' | 'Transient' | 'Undetermined'; readonly subType?: string };
  readonly complaint?: { readonly feedbackType?: string };
  readonly click?: { readonly link: string };
  /** A Subscription event: the recipient's new preference (unsubscribed from all, or a topic). */
  readonly subscription?: { readonly unsubscribedAll: boolean };
}
