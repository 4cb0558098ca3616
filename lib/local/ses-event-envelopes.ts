import { randomUUID } from 'node:crypto';
import { sesDetailTypeByEventType } from '../domain/ses-events.js';

export type SimulatedEventType = 'Delivery' | 'Bounce' | 'Complaint' | 'Open' | 'Click';

export interface SimulatedEvent {
  readonly type: SimulatedEventType;
  readonly messageId: string;
  readonly recipient: string;
  readonly at: Date;
  readonly tags?: Readonly<Record<string, string>>;
  readonly bounceType?: 'Permanent' | 'Transient';
  readonly link?: string;
}

/**
 * The EventBridge envelope SES publishes for an event, shaped like the real ones (see test/fixtures/ses). The local
 * SES emits no events, so the simulator and the tests build them here and post them to /local/ses-events.
 */
export function sesEventEnvelope(event: SimulatedEvent): Record<string, unknown> {
  const at = event.at.toISOString();
  const mail = {
    timestamp: at,
    source: 'shop@winback.local',
    sendingAccountId: '000000000000',
    messageId: event.messageId,
    destination: [event.recipient],
    headersTruncated: false,
    tags: Object.fromEntries(Object.entries(event.tags ?? {}).map(([name, value]) => [name, [value]])),
  };
  const detailByType: Record<SimulatedEventType, Record<string, unknown>> = {
    Delivery: { delivery: { timestamp: at, processingTimeMillis: 900, recipients: [event.recipient], smtpResponse: '250 2.0.0 OK' } },
    Bounce: {
      bounce: {
        bounceType: event.bounceType ?? 'Permanent',
        bounceSubType: event.bounceType === 'Transient' ? 'MailboxFull' : 'NoEmail',
        bouncedRecipients: [{ emailAddress: event.recipient, action: 'failed', status: '5.1.1' }],
        timestamp: at,
        feedbackId: randomUUID(),
      },
    },
    Complaint: {
      complaint: { complainedRecipients: [{ emailAddress: event.recipient }], timestamp: at, feedbackId: randomUUID(), complaintFeedbackType: 'abuse' },
    },
    Open: { open: { ipAddress: '192.0.2.1', timestamp: at, userAgent: 'Mozilla/5.0' } },
    Click: { click: { ipAddress: '192.0.2.1', timestamp: at, userAgent: 'Mozilla/5.0', link: event.link ?? 'https://shop.example/', linkTags: {} } },
  };
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': sesDetailTypeByEventType[event.type],
    source: 'aws.ses',
    account: '000000000000',
    time: `${at.slice(0, 19)}Z`,
    region: 'eu-west-1',
    resources: ['arn:aws:ses:eu-west-1:000000000000:configuration-set/winback'],
    detail: { eventType: event.type, mail, ...detailByType[event.type] },
  };
}
