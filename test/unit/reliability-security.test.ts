import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { hashEmail } from '../../lib/domain/email.js';
import { parseGenericDelivery } from '../../lib/domain/orders/generic.js';
import { parseShopifyDelivery } from '../../lib/domain/orders/shopify.js';
import { parseWooCommerceDelivery } from '../../lib/domain/orders/woocommerce.js';
import { signFeedbackToken, signUnsubscribeToken, verifyFeedbackToken, verifyUnsubscribeToken } from '../../lib/domain/unsubscribe-token.js';
import {
  signShopify,
  signStandardWebhook,
  signWooCommerce,
  standardWebhookHeaderValues,
  verifyShopifySignature,
  verifyStandardWebhook,
  verifyWooCommerceSignature,
} from '../../lib/domain/webhooks/signatures.js';
import { requireBearer } from '../../lib/http/bearer.js';
import { composeEmail } from '../../lib/usecases/send-step.js';
import { customerFrom, testConfig } from '../support/customers.js';

/** When the deliveries arrived: pinned, after every fixture's times (the parsers refuse times later than receipt). */
const receivedAt = new Date('2026-12-01T00:00:00.000Z');

// The comparisons must go through node's constant-time compare; a spy on it shows they do, without timing anything.
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});

const compared = vi.mocked(timingSafeEqual);
beforeEach(() => {
  compared.mockClear();
});

const fixture = (source: string, name: string): Buffer => readFileSync(new URL(`../fixtures/${source}/${name}`, import.meta.url));
const signingKey = 'unit-test-signing-key-0123456789abcdef';

describe('signatures and tokens are compared in constant time', () => {
  const body = fixture('shopify', 'orders-create.json');
  const shopifySecret = 'shopify-secret-0123456789abcdef';
  const whsec = `whsec_${Buffer.from('a-32-byte-secret-for-the-tests!!').toString('base64')}`;
  const now = new Date('2026-11-22T10:20:05Z');
  const timestamp = Math.floor(now.getTime() / 1000);
  const claim = { customerId: '9007199254740993', campaignId: 'lost-winback', emailHash: hashEmail('ana@example.org') };
  const bearerToken = 'admin-token-0123456789abcdef0123';

  const verifiers: [string, (forged: boolean) => boolean][] = [
    ['Shopify', (forged) => verifyShopifySignature(body, signShopify(body, forged ? 'another-secret-0123456789abcdef' : shopifySecret), [shopifySecret])],
    [
      'WooCommerce',
      (forged) => verifyWooCommerceSignature(body, signWooCommerce(body, forged ? 'another-secret-0123456789abcdef' : shopifySecret), [shopifySecret]),
    ],
    [
      'Standard Webhooks',
      (forged) => {
        const signature = signStandardWebhook('msg_1', timestamp, forged ? Buffer.concat([body, Buffer.from(' ')]) : body, whsec);
        return verifyStandardWebhook(
          body,
          standardWebhookHeaderValues({ 'webhook-id': 'msg_1', 'webhook-timestamp': String(timestamp), 'webhook-signature': signature }),
          [whsec],
          now,
        ).ok;
      },
    ],
    [
      'unsubscribe token',
      (forged) => verifyUnsubscribeToken(signUnsubscribeToken(claim, forged ? `${signingKey}-other` : signingKey), signingKey) !== undefined,
    ],
    [
      'feedback token',
      (forged) =>
        verifyFeedbackToken(signFeedbackToken({ ...claim, episode: '2026-05-01', step: 0 }, forged ? `${signingKey}-other` : signingKey), signingKey) !==
        undefined,
    ],
    [
      'admin bearer token',
      (forged) => {
        const event = {
          headers: { authorization: `Bearer ${forged ? `${bearerToken.slice(0, -1)}x` : bearerToken}` },
          requestContext: {},
        } as unknown as APIGatewayProxyEventV2;
        try {
          requireBearer(event, bearerToken);
          return true;
        } catch {
          return false;
        }
      },
    ],
  ];

  it.each(verifiers)('%s: accepts the genuine one, refuses a forgery of the same length, both through timingSafeEqual', (_name, verify) => {
    // Act
    const genuine = verify(false);
    const callsForGenuine = compared.mock.calls.length;
    const forged = verify(true);
    // Assess
    expect(genuine).toBe(true);
    expect(forged).toBe(false);
    expect(callsForGenuine).toBeGreaterThan(0);
    expect(compared.mock.calls.length).toBeGreaterThan(callsForGenuine);
  });
});

describe('unsubscribe tokens cannot be forged or enumerated', () => {
  const customerId = fc.bigInt({ min: 1n, max: 2n ** 63n }).map(String);

  it("refuses another customer's claim under any token's signature: knowing ids is not enough", () => {
    fc.assert(
      fc.property(customerId, customerId, (mine, theirs) => {
        fc.pre(mine !== theirs);
        const token = signUnsubscribeToken({ customerId: mine, campaignId: 'lost-winback', emailHash: hashEmail(`${mine}@example.org`) }, signingKey);
        const signature = token.split('.')[1]!;
        const payload = Buffer.from(JSON.stringify({ v: 1, c: theirs, m: 'lost-winback', h: hashEmail(`${theirs}@example.org`) })).toString('base64url');
        expect(verifyUnsubscribeToken(`${payload}.${signature}`, signingKey)).toBeUndefined();
      }),
    );
  });

  it('makes neighbouring customers’ tokens share nothing that could be stepped through, and carries a full 256-bit signature', () => {
    // Prepare
    const signatureOf = (id: string) =>
      signUnsubscribeToken({ customerId: id, campaignId: 'lost-winback', emailHash: hashEmail(`${id}@example.org`) }, signingKey).split('.')[1]!;
    // Act
    const one = signatureOf('9007199254740993');
    const next = signatureOf('9007199254740994');
    // Assess: base64url of 32 bytes, and about 1 in 64 positions equal by chance, as for unrelated random strings
    expect(one).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const samePositions = [...one].filter((char, index) => next[index] === char).length;
    expect(samePositions).toBeLessThan(8);
  });

  it('does not take a feedback token for an unsubscribe token, or the other way round', () => {
    // Prepare
    const send = { customerId: '9007199254740993', campaignId: 'lost-winback', episode: '2026-05-01', step: 0 };
    const feedback = signFeedbackToken(send, signingKey);
    const unsubscribe = signUnsubscribeToken({ customerId: send.customerId, campaignId: send.campaignId, emailHash: hashEmail('ana@example.org') }, signingKey);
    // Act / Assess
    expect(verifyUnsubscribeToken(feedback, signingKey)).toBeUndefined();
    expect(verifyFeedbackToken(unsubscribe, signingKey)).toBeUndefined();
  });
});

describe('no header injection through names or subjects', () => {
  const lineBreaks = fc.constantFrom('\r\n', '\n', '\r', '\u2028', '\r\n\r\n');
  const hostile = fc
    .tuple(fc.string({ maxLength: 20 }), lineBreaks, fc.constantFrom('Bcc: victim@example.net', 'Content-Type: text/plain', 'To: x@example.net'))
    .map(([before, br, header]) => `${before}${br}${header}`);

  it('keeps the subject, sender and recipient on one line, whatever the first name and shop sender name hold', () => {
    fc.assert(
      fc.property(hostile, hostile, (firstName, fromName) => {
        // Prepare
        const config = testConfig((raw) => {
          for (const campaign of raw.campaigns) campaign.sender.fromName = fromName;
        });
        const campaign = config.campaigns.find((candidate) => candidate.id === 'lost-winback')!;
        const { customer } = customerFrom({ name: 'Ana', orderDays: ['2026-03-01'] });
        const key = { customerId: customer.customerId, campaignId: campaign.id, episode: '2026-03-01', step: 0 };
        const personalisation = { arm: campaign.experiment.variants[0]!.id, offer: { kind: 'none' as const, value: 0 }, offerCode: '', offerExpiresOn: '' };
        // Act
        const email = composeEmail({ ...customer, firstName, email: customer.email! }, campaign, key, personalisation, config, {
          baseUrl: 'https://shop.example/winback',
          secret: signingKey,
        });
        // Assess
        for (const line of [email.subject, email.from, email.to, email.replyTo ?? '', ...email.headers.map((header) => `${header.name}: ${header.value}`)]) {
          expect(line).not.toMatch(/[\r\n]/);
        }
        expect(email.to).toBe(customer.email!.toLowerCase());
        expect(email.from).toMatch(/^(?:"[^"\\\r\n]*" )?<?[^<>\s]+@[^<>\s]+>?$/);
        expect(email.headers.map((header) => header.name)).toEqual(['List-Unsubscribe', 'List-Unsubscribe-Post']);
      }),
      { numRuns: 50 },
    );
  });
});

describe('prototype-pollution keys in webhook bodies do nothing', () => {
  const polluting = (text: string) => text.replace(/^\{/, '{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}},');

  it.each([
    [
      'Shopify',
      () =>
        parseShopifyDelivery(
          Buffer.from(polluting(fixture('shopify', 'orders-create.json').toString('utf8'))),
          JSON.parse(fixture('shopify', 'orders-create.headers.json').toString('utf8')) as Record<string, string>,
          receivedAt,
        ),
    ],
    [
      'WooCommerce',
      () =>
        parseWooCommerceDelivery(
          Buffer.from(polluting(fixture('woocommerce', 'order-created-guest.json').toString('utf8'))),
          JSON.parse(fixture('woocommerce', 'order-created-guest.headers.json').toString('utf8')) as Record<string, string>,
          receivedAt,
        ),
    ],
    ['generic', () => parseGenericDelivery(Buffer.from(polluting(fixture('generic', 'order.json').toString('utf8'))), { 'webhook-id': 'msg_1' }, receivedAt)],
  ])('%s: the order is read as usual and no object gains a property', (_name, parse) => {
    // Act
    const delivery = parse();
    // Assess
    expect(delivery).toMatchObject({ kind: 'order' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(delivery)).not.toContain('polluted');
  });
});
