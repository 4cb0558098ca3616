import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeStandardWebhookSecret,
  header,
  signShopify,
  signStandardWebhook,
  signWooCommerce,
  standardWebhookHeaderValues,
  verifyShopifySignature,
  verifyStandardWebhook,
  verifyWooCommerceSignature,
} from '../../lib/domain/webhooks/signatures.js';

const fixtureBytes = (path: string): Buffer => readFileSync(new URL(`../fixtures/${path}`, import.meta.url));

/** Computed here with node:crypto, independently of the code under test. */
const independentBase64Hmac = (key: string | Buffer, content: Buffer | string) => createHmac('sha256', key).update(content).digest('base64');

describe('header()', () => {
  it('finds a header whatever the case of its name', () => {
    // Prepare
    const headers = { 'x-shopify-topic': 'orders/create', 'X-WC-Webhook-Topic': 'order.created', Other: undefined };
    // Act / Assess
    expect(header(headers, 'X-Shopify-Topic')).toBe('orders/create');
    expect(header(headers, 'x-wc-webhook-topic')).toBe('order.created');
    expect(header(headers, 'other')).toBeUndefined();
    expect(header(headers, 'missing')).toBeUndefined();
    expect(header(undefined, 'missing')).toBeUndefined();
  });

  it('never throws, whatever the headers', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.option(fc.string(), { nil: undefined })), fc.string(), (headers, name) => {
        const value = header(headers, name);
        expect(value === undefined || typeof value === 'string').toBe(true);
      }),
    );
  });
});

describe.each([
  ['Shopify', signShopify, verifyShopifySignature],
  ['WooCommerce', signWooCommerce, verifyWooCommerceSignature],
] as const)('%s signatures (base64 HMAC-SHA256 of the raw body)', (_platform, sign, verify) => {
  const secret = 'hush-platform-secret-0123456789';
  const body = Buffer.from('{"id":9007199254740993123,"note":"Zoë"}', 'utf8');

  it('accepts the signature of the raw bytes', () => {
    // Prepare
    const signature = independentBase64Hmac(secret, body);
    // Act / Assess
    expect(sign(body, secret)).toBe(signature);
    expect(verify(body, signature, [secret])).toBe(true);
  });

  it('refuses a signature made with another secret', () => {
    expect(verify(body, independentBase64Hmac('another-secret', body), [secret])).toBe(false);
  });

  it('accepts the second of two active secrets during a rotation', () => {
    // Prepare
    const next = 'hush-platform-secret-next-999999';
    // Act / Assess
    expect(verify(body, independentBase64Hmac(next, body), [secret, next])).toBe(true);
    expect(verify(body, independentBase64Hmac(secret, body), [secret, next])).toBe(true);
  });

  it('refuses a body changed after signing, even by one byte', () => {
    // Prepare
    const signature = independentBase64Hmac(secret, body);
    const tampered = Buffer.from(body);
    const at = tampered.length - 3;
    tampered.writeUInt8(tampered.readUInt8(at) ^ 0x01, at);
    // Act / Assess
    expect(verify(tampered, signature, [secret])).toBe(false);
  });

  it('refuses a missing, empty or malformed header, and an empty secret list', () => {
    const signature = independentBase64Hmac(secret, body);
    expect(verify(body, undefined, [secret])).toBe(false);
    expect(verify(body, '', [secret])).toBe(false);
    expect(verify(body, `${signature}AA`, [secret])).toBe(false);
    expect(verify(body, signature.replace(/=$/, ''), [secret])).toBe(false);
    expect(verify(body, signature, [])).toBe(false);
  });

  it('never accepts with an empty secret, whose HMAC anybody can compute', () => {
    expect(verify(body, independentBase64Hmac('', body), [''])).toBe(false);
  });

  it('tolerates whitespace around the header value', () => {
    expect(verify(body, ` ${independentBase64Hmac(secret, body)}\t`, [secret])).toBe(true);
  });

  it('needs the decoded bytes when API Gateway delivered the body base64-encoded (the caller decodes)', () => {
    // Prepare: an HTTP API event with isBase64Encoded: true carries the body like this
    const eventBody = body.toString('base64');
    const signature = independentBase64Hmac(secret, body);
    // Act / Assess
    expect(verify(Buffer.from(eventBody, 'base64'), signature, [secret])).toBe(true);
    expect(verify(Buffer.from(eventBody, 'utf8'), signature, [secret])).toBe(false);
  });

  it('never throws on odd input', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.option(fc.string({ unit: 'binary', maxLength: 120 }), { nil: undefined }),
        fc.array(fc.string(), { maxLength: 3 }),
        (bytes, signature, secrets) => {
          expect(typeof verify(Buffer.from(bytes), signature, secrets)).toBe('boolean');
        },
      ),
    );
  });
});

describe('known vectors computed with openssl', () => {
  // printf '%s' '{"id":9007199254740993123,"total_price":"19.99"}' | openssl dgst -sha256 -hmac 'hush-shopify-secret' -binary | base64
  it('matches the Shopify vector', () => {
    // Prepare
    const body = Buffer.from('{"id":9007199254740993123,"total_price":"19.99"}', 'utf8');
    const opensslSignature = 'CMc1nvNOLrr4Mod89Vq55PhUIeVpUZBCTKAO1Y7HN/U=';
    // Act / Assess
    expect(signShopify(body, 'hush-shopify-secret')).toBe(opensslSignature);
    expect(verifyShopifySignature(body, opensslSignature, ['hush-shopify-secret'])).toBe(true);
  });

  // printf '%s' '{"id":9007199254740993123,"total":"19.99"}' | openssl dgst -sha256 -hmac 'hush-woo-secret' -binary | base64
  it('matches the WooCommerce vector', () => {
    // Prepare
    const body = Buffer.from('{"id":9007199254740993123,"total":"19.99"}', 'utf8');
    const opensslSignature = 'hZ4Tpt34jk6VRbmEZITo/GxXAzsmDv2e3w1ex8Y7dHo=';
    // Act / Assess
    expect(signWooCommerce(body, 'hush-woo-secret')).toBe(opensslSignature);
    expect(verifyWooCommerceSignature(body, opensslSignature, ['hush-woo-secret'])).toBe(true);
  });

  it('verifies the fixtures exactly as they are on disk', () => {
    // Prepare
    const shopify = fixtureBytes('shopify/orders-create.json');
    const woo = fixtureBytes('woocommerce/order-created-guest.json');
    // Act / Assess
    expect(verifyShopifySignature(shopify, independentBase64Hmac('fixture-secret', shopify), ['fixture-secret'])).toBe(true);
    expect(verifyWooCommerceSignature(woo, independentBase64Hmac('fixture-secret', woo), ['fixture-secret'])).toBe(true);
  });
});

describe('Standard Webhooks', () => {
  // The specification's published vector (standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts,
  // "sign function works"); openssl agrees:
  //   printf '%s' 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}' \
  //     | openssl dgst -sha256 -mac HMAC -macopt hexkey:$(printf '%s' MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw | base64 -d | xxd -p) -binary | base64
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const timestamp = 1614265330;
  const body = Buffer.from('{"test": 2432232314}', 'utf8');
  const specSignature = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
  const signedAt = new Date(timestamp * 1000);
  const headers = (signature = specSignature, time = String(timestamp)) => ({ id, timestamp: time, signature });

  it('reproduces the specification vector when signing', () => {
    expect(signStandardWebhook(id, timestamp, body, secret)).toBe(specSignature);
    expect(signStandardWebhook(id, signedAt, body.toString('utf8'), secret)).toBe(specSignature);
  });

  it('accepts the specification vector', () => {
    expect(verifyStandardWebhook(body, headers(), [secret], signedAt)).toEqual({ ok: true });
  });

  it('agrees with an independent HMAC over id.timestamp.body', () => {
    // Prepare
    const key = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64');
    const expected = `v1,${independentBase64Hmac(key, `${id}.${timestamp}.${body.toString('utf8')}`)}`;
    // Act / Assess
    expect(expected).toBe(specSignature);
    expect(decodeStandardWebhookSecret(secret).equals(key)).toBe(true);
  });

  it('refuses a timestamp more than five minutes old, and accepts one exactly five minutes old', () => {
    // Act
    const tooOld = verifyStandardWebhook(body, headers(), [secret], new Date((timestamp + 301) * 1000));
    const justInTime = verifyStandardWebhook(body, headers(), [secret], new Date((timestamp + 300) * 1000));
    // Assess
    expect(tooOld).toEqual({ ok: false, problem: expect.stringContaining('old') });
    expect(justInTime).toEqual({ ok: true });
  });

  it('refuses a timestamp more than five minutes ahead', () => {
    expect(verifyStandardWebhook(body, headers(), [secret], new Date((timestamp - 301) * 1000))).toEqual({
      ok: false,
      problem: expect.stringContaining('future'),
    });
  });

  it('honours a custom tolerance', () => {
    expect(verifyStandardWebhook(body, headers(), [secret], new Date((timestamp + 61) * 1000), 60).ok).toBe(false);
  });

  it('accepts when any of several space-separated signatures matches, ignoring other versions', () => {
    // Prepare
    const signature = ['v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=', 'v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=', specSignature].join(' ');
    // Act / Assess
    expect(verifyStandardWebhook(body, headers(signature), [secret], signedAt)).toEqual({ ok: true });
  });

  it('accepts either of two active secrets (rotation)', () => {
    // Prepare
    const other = `whsec_${Buffer.from('another-secret-of-32-bytes-long!').toString('base64')}`;
    // Act / Assess
    expect(verifyStandardWebhook(body, headers(), [other, secret], signedAt)).toEqual({ ok: true });
    expect(verifyStandardWebhook(body, headers(), [other], signedAt)).toEqual({ ok: false, problem: 'no signature matches' });
  });

  it('refuses a changed body, id or timestamp', () => {
    expect(verifyStandardWebhook(Buffer.from('{"test": 2432232315}'), headers(), [secret], signedAt).ok).toBe(false);
    expect(verifyStandardWebhook(body, { ...headers(), id: 'msg_other' }, [secret], signedAt).ok).toBe(false);
    expect(verifyStandardWebhook(body, headers(specSignature, String(timestamp + 1)), [secret], signedAt).ok).toBe(false);
  });

  it.each([
    [{ timestamp: String(timestamp), signature: specSignature }, 'webhook-id'],
    [{ id, signature: specSignature }, 'webhook-timestamp'],
    [{ id, timestamp: String(timestamp) }, 'webhook-signature'],
    [{ id, timestamp: 'yesterday', signature: specSignature }, 'Unix time'],
    [{ id, timestamp: String(timestamp), signature: 'g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' }, 'no v1 signature'],
    [{ id, timestamp: String(timestamp), signature: 'v1,' }, 'no signature matches'],
  ])('explains what is wrong with %j', (given, problem) => {
    expect(verifyStandardWebhook(body, given, [secret], signedAt)).toEqual({ ok: false, problem: expect.stringContaining(problem) });
  });

  it('reads the three headers whatever their case', () => {
    // Prepare
    const eventHeaders = { 'Webhook-Id': id, 'WEBHOOK-TIMESTAMP': String(timestamp), 'webhook-signature': specSignature };
    // Act / Assess
    expect(verifyStandardWebhook(body, standardWebhookHeaderValues(eventHeaders), [secret], signedAt)).toEqual({ ok: true });
  });

  it('refuses to work with a secret that is not whsec_<base64>', () => {
    expect(verifyStandardWebhook(body, headers(), ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_not base64!'], signedAt)).toEqual({
      ok: false,
      problem: expect.stringContaining('secret'),
    });
    expect(() => signStandardWebhook(id, timestamp, body, 'whsec_')).toThrow(RangeError);
  });

  it('never throws on odd headers, bodies or clocks', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.record(
          {
            id: fc.string({ unit: 'binary', maxLength: 300 }),
            timestamp: fc.oneof(fc.string({ maxLength: 20 }), fc.integer({ min: 0, max: 2 ** 40 }).map(String)),
            signature: fc.oneof(
              fc.string({ unit: 'binary', maxLength: 200 }),
              fc.array(fc.base64String({ maxLength: 48 }).map((text) => `v1,${text}`)).map((parts) => parts.join(' ')),
            ),
          },
          { requiredKeys: [] },
        ),
        fc.array(fc.oneof(fc.string(), fc.constant(secret)), { maxLength: 3 }),
        fc.date({ noInvalidDate: false }),
        (bytes, given, secrets, now) => {
          const result = verifyStandardWebhook(Buffer.from(bytes), given, secrets, now);
          expect(typeof result.ok).toBe('boolean');
        },
      ),
    );
  });
});
