import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EmailEvent, emailEventTypes } from '../../lib/domain/email-events.js';
import { InvalidInputError } from '../../lib/domain/errors.js';
import { isPermanentFailure, parseSesEvent, sesDetailTypeByEventType, sesEventDetailTypes } from '../../lib/domain/ses-events.js';
import { toHttpError } from '../../lib/http/errors.js';

/** When the deliveries arrived: pinned, after every fixture's times (the parsers refuse times later than receipt). */
const receivedAt = new Date('2026-12-01T00:00:00.000Z');

const directory = new URL('../fixtures/ses/', import.meta.url);
const fixtureNames = readdirSync(directory).filter((name) => name.endsWith('.json'));
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(name, directory), 'utf8'));
const validFixtures = fixtureNames.filter((name) => name.startsWith('valid-'));

/** What Winback set on every fixture message; SES's own `ses:*` tags must not survive. */
const winbackTags = { campaign: 'lost-winback', step: '0', night: '2026-11-22' };
const messageId = (n: number) => `01070123456789${n.toString(16).padStart(2, '0')}-abcdef01-2345-6789-abcd-ef0123456789-000000`;

/** Runs the parser and returns the InvalidInputError it threw, failing the test on success or on any other throw. */
function refusal(input: unknown): InvalidInputError {
  try {
    parseSesEvent(input, receivedAt);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw new Error(`expected an InvalidInputError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the event to be refused');
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const clone = <T>(value: T): T => structuredClone(value);
const bounceEnvelope = () => fixture('valid-bounce-permanent.json') as { [key: string]: Json } & { detail: { [key: string]: Json } };

describe('SES detail-types', () => {
  it('names one detail-type for each SES event type, and no other', () => {
    // Act
    const mapped = emailEventTypes.map((type) => sesDetailTypeByEventType[type]);
    // Assess
    expect([...mapped].sort()).toEqual([...sesEventDetailTypes].sort());
    expect(new Set(mapped).size).toBe(emailEventTypes.length);
  });
});

describe('parseSesEvent on real-shaped fixtures', () => {
  it('has a valid fixture for every SES event type', () => {
    // Act
    const types = validFixtures.map((name) => parseSesEvent(fixture(name), receivedAt).type);
    // Assess
    expect(new Set(types)).toEqual(new Set(emailEventTypes));
  });

  const expectations: readonly (readonly [string, Omit<EmailEvent, 'tags'>])[] = [
    [
      'valid-send.json',
      {
        eventId: '1c0a6f2e-3b4d-4e5f-8a9b-0c1d2e3f4a51',
        type: 'Send',
        messageId: messageId(1),
        at: '2026-11-22T08:00:03.000Z',
        recipients: ['ana@example.org'],
      },
    ],
    [
      'valid-delivery.json',
      {
        eventId: '2d1b7a3f-4c5e-4f60-9bac-1d2e3f4a5b62',
        type: 'Delivery',
        messageId: messageId(2),
        at: '2026-11-22T08:00:04.981Z',
        recipients: ['ana@example.org'],
      },
    ],
    [
      'valid-bounce-permanent.json',
      {
        eventId: '3e2c8b40-5d6f-4071-8cbd-2e3f4a5b6c73',
        type: 'Bounce',
        messageId: messageId(3),
        at: '2026-11-22T08:00:05.734Z',
        recipients: ['bruno@example.net'],
        bounce: { type: 'Permanent', subType: 'NoEmail' },
      },
    ],
    [
      'valid-bounce-transient.json',
      {
        eventId: '4f3d9c51-6e70-4182-9dce-3f4a5b6c7d84',
        type: 'Bounce',
        messageId: messageId(4),
        at: '2026-11-22T14:02:10.118Z',
        recipients: ['chloe@example.fr'],
        bounce: { type: 'Transient', subType: 'MailboxFull' },
      },
    ],
    [
      'valid-complaint.json',
      {
        eventId: '504ead62-7f81-4293-aedf-4a5b6c7d8e95',
        type: 'Complaint',
        messageId: messageId(5),
        at: '2026-11-23T19:45:30.002Z',
        recipients: ['dana@example.com'],
        complaint: { feedbackType: 'abuse' },
      },
    ],
    [
      'valid-open.json',
      {
        eventId: '615fbe73-8092-43a4-bfe0-5b6c7d8e9fa6',
        type: 'Open',
        messageId: messageId(6),
        at: '2026-11-22T09:17:45.271Z',
        recipients: ['ana@example.org'],
      },
    ],
    [
      'valid-click.json',
      {
        eventId: '7260cf84-91a3-44b5-80f1-6c7d8e9fa0b7',
        type: 'Click',
        messageId: messageId(7),
        at: '2026-11-22T09:18:01.907Z',
        recipients: ['ana@example.org'],
        click: { link: 'https://shop.example.com/collections/kaffee?utm_source=winback&utm_campaign=lost-winback&discount=WB-7Q2M-ANA' },
      },
    ],
    [
      'valid-reject.json',
      {
        eventId: '8371d095-a2b4-45c6-91a2-7d8e9fa0b1c8',
        type: 'Reject',
        messageId: messageId(8),
        at: '2026-11-22T08:00:03.000Z',
        recipients: ['ana@example.org'],
      },
    ],
    [
      'valid-delivery-delay.json',
      {
        eventId: '9482e1a6-b3c5-46d7-a2b3-8e9fa0b1c2d9',
        type: 'DeliveryDelay',
        messageId: messageId(9),
        at: '2026-11-22T08:10:03.560Z',
        recipients: ['emil@example.de'],
      },
    ],
    [
      'valid-rendering-failure.json',
      {
        eventId: 'a593f2b7-c4d6-47e8-b3c4-9fa0b1c2d3ea',
        type: 'Rendering Failure',
        messageId: messageId(10),
        at: '2026-11-22T08:00:03.000Z',
        recipients: ['ana@example.org'],
      },
    ],
    [
      'valid-subscription.json',
      {
        eventId: 'b6a403c8-d5e7-48f9-84d5-a0b1c2d3e4fb',
        type: 'Subscription',
        messageId: messageId(11),
        at: '2026-11-22T10:02:16.803Z',
        recipients: ['ana@example.org'],
        subscription: { unsubscribedAll: true },
      },
    ],
  ];

  it.each(expectations)('reads %s', (name, expected) => {
    // Prepare
    const envelope = fixture(name);
    // Act
    const event = parseSesEvent(envelope, receivedAt);
    // Assess
    expect(event).toStrictEqual({ ...expected, tags: winbackTags });
  });

  it('covers every valid fixture with an expectation', () => {
    expect(expectations.map(([name]) => name).sort()).toEqual([...validFixtures].sort());
  });

  it.each([
    ['invalid-wrong-source.json', 'source'],
    ['invalid-missing-message-id.json', 'detail.mail.messageId'],
    ['invalid-bounce-type.json', 'detail.bounce.bounceType'],
    ['invalid-not-an-object.json', '(root)'],
    ['invalid-detail-type-mismatch.json', 'detail-type'],
    ['invalid-proto-pollution.json', 'source'],
    ['invalid-click-timestamp-future.json', 'detail.click.timestamp'],
  ])('refuses %s with a 400 naming %s', (name, field) => {
    // Prepare
    const envelope = fixture(name);
    // Act
    const error = refusal(envelope);
    // Assess
    expect(toHttpError(error)).toMatchObject({ status: 400, code: 'invalid_body' });
    expect(error.field).toBe(field);
    expect(error.problem).toBeTruthy();
  });

  it('has an expectation for every invalid fixture', () => {
    expect(fixtureNames.filter((name) => name.startsWith('invalid-'))).toHaveLength(7);
  });
});

describe('parseSesEvent details', () => {
  it('keeps only tags Winback could have set, the first value of each, and never a prototype key', () => {
    // Prepare
    const envelope = bounceEnvelope();
    const text = JSON.stringify(envelope).replace(
      '"campaign":',
      '"__proto__":["polluted"],"constructor":["polluted"],"prototype":["x"],"with space":["x"],"empty":[],"email":["ana@example.org"],"many":["first","second"],"campaign":',
    );
    // Act
    const event = parseSesEvent(JSON.parse(text), receivedAt);
    // Assess
    expect(event.tags).toStrictEqual({ ...winbackTags, many: 'first' });
    expect(Object.getPrototypeOf(event.tags)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('ignores __proto__ keys anywhere in an otherwise valid event', () => {
    // Prepare
    const envelope = JSON.parse(
      JSON.stringify(bounceEnvelope()).replace('"detail":{', '"__proto__":{"isAdmin":true},"detail":{"__proto__":{"eventType":"Complaint"},'),
    );
    // Act
    const event = parseSesEvent(envelope, receivedAt);
    // Assess
    expect(event.type).toBe('Bounce');
    expect(isPermanentFailure(event)).toBe(true);
    expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
  });

  it('normalizes the event time to UTC and falls back to the envelope time', () => {
    // Prepare
    const offset = bounceEnvelope();
    (offset.detail['bounce'] as { [key: string]: Json })['timestamp'] = '2026-11-22T09:00:05.7+01:00';
    const missing = bounceEnvelope();
    delete (missing.detail['bounce'] as { [key: string]: Json })['timestamp'];
    // Act / Assess
    expect(parseSesEvent(offset, receivedAt).at).toBe('2026-11-22T08:00:05.700Z');
    expect(parseSesEvent(missing, receivedAt).at).toBe('2026-11-22T08:00:06.000Z');
  });

  it.each([
    ['2026-02-30T08:00:00Z', 'not a calendar date'],
    ['22/11/2026 08:00', 'a date-time in another format'],
    ['1969-12-31T23:59:59Z', 'a date before 1970'],
  ])('refuses the event time %s (%s)', (timestamp) => {
    // Prepare
    const envelope = bounceEnvelope();
    (envelope.detail['bounce'] as { [key: string]: Json })['timestamp'] = timestamp;
    // Act / Assess
    expect(refusal(envelope).field).toBe('detail.bounce.timestamp');
  });

  it('normalizes and de-duplicates addresses, unwrapping a display name', () => {
    // Prepare
    const envelope = bounceEnvelope();
    (envelope.detail['bounce'] as { [key: string]: Json })['bouncedRecipients'] = [
      { emailAddress: 'Bruno@Example.NET' },
      { emailAddress: 'Bruno Ströbel <bruno@example.net>' },
      { emailAddress: ' eva@example.org ' },
    ];
    // Act
    const event = parseSesEvent(envelope, receivedAt);
    // Assess
    expect(event.recipients).toEqual(['bruno@example.net', 'eva@example.org']);
  });

  it('refuses more than 100 recipients, a recipient that is no address, and an over-long link', () => {
    // Prepare
    const crowded = bounceEnvelope();
    (crowded.detail['bounce'] as { [key: string]: Json })['bouncedRecipients'] = Array.from({ length: 101 }, (_, i) => ({ emailAddress: `r${i}@example.org` }));
    const nameless = bounceEnvelope();
    (nameless.detail['bounce'] as { [key: string]: Json })['bouncedRecipients'] = [{ emailAddress: 'not an address' }];
    const click = fixture('valid-click.json') as { detail: { click: { link: string } } };
    const longLink = clone(click);
    longLink.detail.click.link = `https://shop.example.com/?q=${'a'.repeat(2048)}`;
    const scriptLink = clone(click);
    scriptLink.detail.click.link = 'javascript:alert(1)';
    // Act / Assess
    expect(refusal(crowded).field).toBe('detail.bounce.bouncedRecipients');
    expect(refusal(nameless).field).toBe('detail.bounce.bouncedRecipients[0].emailAddress');
    expect(refusal(longLink).field).toBe('detail.click.link');
    expect(refusal(scriptLink).field).toBe('detail.click.link');
  });

  it('refuses other aws.ses events, such as a sending status change', () => {
    // Prepare
    const envelope = { ...bounceEnvelope(), 'detail-type': 'Sending Status Disabled', detail: { data: { record: { status: 'DISABLED' } } } };
    // Act / Assess
    expect(refusal(envelope).field).toBe('detail-type');
  });

  it('refuses an unknown eventType', () => {
    // Prepare
    const envelope = bounceEnvelope();
    envelope.detail['eventType'] = 'Hardbounce';
    // Act / Assess
    expect(refusal(envelope).field).toBe('detail.eventType');
  });

  it('reads a topic opt-out that keeps the other topics as not unsubscribed from all', () => {
    // Prepare
    const envelope = fixture('valid-subscription.json') as { detail: { subscription: { newTopicPreferences: { unsubscribeAll: boolean } } } };
    envelope.detail.subscription.newTopicPreferences.unsubscribeAll = false;
    // Act / Assess
    expect(parseSesEvent(envelope, receivedAt).subscription).toEqual({ unsubscribedAll: false });
  });
});

describe('isPermanentFailure', () => {
  const event = (overrides: Partial<EmailEvent>): EmailEvent => ({
    eventId: 'e',
    type: 'Delivery',
    messageId: 'm',
    at: '2026-11-22T08:00:00.000Z',
    tags: {},
    recipients: ['ana@example.org'],
    ...overrides,
  });

  const table: readonly (readonly [string, EmailEvent, boolean])[] = [
    ['a Permanent bounce', event({ type: 'Bounce', bounce: { type: 'Permanent', subType: 'General' } }), true],
    ['a Transient bounce', event({ type: 'Bounce', bounce: { type: 'Transient', subType: 'MailboxFull' } }), false],
    ['an Undetermined bounce', event({ type: 'Bounce', bounce: { type: 'Undetermined' } }), false],
    ['an abuse complaint', event({ type: 'Complaint', complaint: { feedbackType: 'abuse' } }), true],
    ['a complaint without feedback type', event({ type: 'Complaint', complaint: {} }), true],
    ...(['Send', 'Delivery', 'Open', 'Click', 'Reject', 'DeliveryDelay', 'Rendering Failure', 'Subscription'] as const).map(
      (type) => [`a ${type} event`, event({ type }), false] as const,
    ),
  ];

  it.each(table)('%s', (_label, input, expected) => {
    expect(isPermanentFailure(input)).toBe(expected);
  });

  it('agrees with the fixtures: suppress a permanent bounce and a complaint, not a transient bounce', () => {
    // Act
    const verdicts = Object.fromEntries(validFixtures.map((name) => [name, isPermanentFailure(parseSesEvent(fixture(name), receivedAt))]));
    // Assess
    expect(
      Object.entries(verdicts)
        .filter(([, permanent]) => permanent)
        .map(([name]) => name)
        .sort(),
    ).toEqual(['valid-bounce-permanent.json', 'valid-complaint.json']);
  });
});

describe('parseSesEvent never throws anything but a 400', () => {
  /** Either a well-formed EmailEvent or an InvalidInputError (a 400 at the edge); anything else fails the property. */
  function outcome(input: unknown): void {
    let event: EmailEvent;
    try {
      event = parseSesEvent(input, receivedAt);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field).toEqual(expect.any(String));
      return;
    }
    expect(emailEventTypes).toContain(event.type);
    expect(Number.isNaN(Date.parse(event.at))).toBe(false);
    expect(new Date(event.at).toISOString()).toBe(event.at);
    expect(event.recipients.length).toBeLessThanOrEqual(100);
    for (const [name, value] of Object.entries(event.tags)) {
      expect(name).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
      expect(value).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
    }
  }

  it('on arbitrary JSON values', () => {
    fc.assert(fc.property(fc.jsonValue(), outcome), { numRuns: 500 });
  });

  it('on arbitrary objects that look a little like an envelope', () => {
    const envelopeLike = fc.record(
      {
        version: fc.constantFrom('0', 0, ''),
        id: fc.string(),
        'detail-type': fc.constantFrom(...sesEventDetailTypes, 'Email Bounce'),
        source: fc.constantFrom('aws.ses', 'aws.sns'),
        account: fc.constantFrom('123456789012', '1'),
        time: fc.constantFrom('2026-11-22T08:00:06Z', 'yesterday'),
        region: fc.constantFrom('eu-west-1', ''),
        resources: fc.array(fc.string(), { maxLength: 3 }),
        detail: fc.record({ eventType: fc.constantFrom(...emailEventTypes, 'Other'), mail: fc.jsonValue() }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    );
    fc.assert(fc.property(envelopeLike, outcome), { numRuns: 500 });
  });

  it('on valid fixtures with fields dropped or replaced', () => {
    /** Every path to a value inside a JSON document, so a mutation can reach any depth. */
    const pathsOf = (value: Json, prefix: (string | number)[] = []): (string | number)[][] => {
      if (Array.isArray(value)) return value.flatMap((item, index) => [[...prefix, index], ...pathsOf(item, [...prefix, index])]);
      if (value !== null && typeof value === 'object')
        return Object.entries(value).flatMap(([key, item]) => [[...prefix, key], ...pathsOf(item, [...prefix, key])]);
      return [];
    };
    const documents = validFixtures.map((name) => fixture(name) as Json);
    const mutation = fc
      .integer({ min: 0, max: documents.length - 1 })
      .chain((which) => {
        const document = documents[which] as Json;
        const paths = pathsOf(document);
        return fc.tuple(
          fc.constant(document),
          fc.array(
            fc.tuple(
              fc.constantFrom(...paths),
              fc.option(
                fc.jsonValue({ maxDepth: 2 }).map((value) => value as Json),
                { nil: undefined },
              ),
            ),
            { minLength: 1, maxLength: 4 },
          ),
        );
      })
      .map(([document, changes]) => {
        const copy = clone(document);
        for (const [path, replacement] of changes) {
          let parent: Json = copy;
          for (const key of path.slice(0, -1)) {
            if (parent === null || typeof parent !== 'object') break;
            parent = (parent as Record<string | number, Json>)[key] as Json;
          }
          const last = path[path.length - 1] as string | number;
          if (parent === null || typeof parent !== 'object') continue;
          if (replacement === undefined) delete (parent as Record<string | number, Json>)[last];
          else (parent as Record<string | number, Json>)[last] = replacement;
        }
        return copy;
      });
    fc.assert(fc.property(mutation, outcome), { numRuns: 1000 });
  });
});
