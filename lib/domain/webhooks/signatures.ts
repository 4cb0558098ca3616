import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: Shopify, WooCommerce and Standard Webhooks (https://www.standardwebhooks.com).
 *
 * Every check runs over the raw body bytes exactly as they arrived. An HTTP API (payload format 2.0) event may carry
 * the body base64-encoded (`isBase64Encoded: true`): the caller decodes it first, `Buffer.from(event.body, 'base64')`,
 * and passes those bytes here; a JSON re-serialisation of the body never verifies.
 *
 * Comparisons are constant time (`timingSafeEqual` on buffers of equal length), and no input a sender controls makes
 * these functions throw: anything odd is simply "not verified".
 */

/** Headers as an HTTP event carries them; names may arrive in any case. */
export type HttpHeaders = Readonly<Record<string, string | undefined>>;

/**
 * Reads a header whatever the case of its name. API Gateway v2 lowercases names, other callers (the local server,
 * tests, a proxy) may not.
 */
export function header(headers: HttpHeaders | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const exact = Object.hasOwn(headers, name) ? headers[name] : undefined;
  if (typeof exact === 'string') return exact;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && typeof value === 'string') return value;
  }
  return undefined;
}

export const shopifySignatureHeader = 'X-Shopify-Hmac-Sha256';
export const wooCommerceSignatureHeader = 'X-WC-Webhook-Signature';
export const standardWebhookHeaders = { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' } as const;

/** Standard Webhooks' recommended tolerance, and ours: five minutes either way. */
export const defaultToleranceSeconds = 300;

/** Signature headers are short; anything longer is not worth hashing or comparing. */
const maxSignatureHeaderLength = 4096;
/** Message ids are short tokens such as `msg_2Lx...`; this bound keeps a hostile one out of logs and keys. */
export const maxMessageIdLength = 256;
/** At most this many `v1,...` entries are tried (rotation needs two; the rest is noise or an attack). */
const maxStandardSignatures = 16;

/** The base64 HMAC-SHA256 of the raw body that Shopify sends in `X-Shopify-Hmac-Sha256`. */
export function signShopify(body: Buffer | string, secret: string): string {
  return hmacBase64(secret, body);
}

/** The base64 HMAC-SHA256 of the raw body that WooCommerce sends in `X-WC-Webhook-Signature`. */
export function signWooCommerce(body: Buffer | string, secret: string): string {
  return hmacBase64(secret, body);
}

/**
 * Shopify: `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body keyed with the app's client secret.
 * Any of the active secrets may match (two are active during a rotation). Empty secrets are ignored.
 */
export function verifyShopifySignature(rawBody: Buffer, signature: string | undefined, secrets: readonly string[]): boolean {
  return verifyBase64Hmac(rawBody, signature, secrets);
}

/** WooCommerce: `X-WC-Webhook-Signature`, the same scheme as Shopify's, keyed with the webhook's secret. */
export function verifyWooCommerceSignature(rawBody: Buffer, signature: string | undefined, secrets: readonly string[]): boolean {
  return verifyBase64Hmac(rawBody, signature, secrets);
}

export interface StandardWebhookHeaderValues {
  readonly id?: string;
  readonly timestamp?: string;
  readonly signature?: string;
}

export type StandardWebhookVerification = { readonly ok: true } | { readonly ok: false; readonly problem: string };

/** Picks the three Standard Webhooks headers out of an HTTP event's headers, whatever their case. */
export function standardWebhookHeaderValues(headers: HttpHeaders | undefined): StandardWebhookHeaderValues {
  const id = header(headers, standardWebhookHeaders.id);
  const timestamp = header(headers, standardWebhookHeaders.timestamp);
  const signature = header(headers, standardWebhookHeaders.signature);
  return { ...(id !== undefined ? { id } : {}), ...(timestamp !== undefined ? { timestamp } : {}), ...(signature !== undefined ? { signature } : {}) };
}

/**
 * Standard Webhooks: the signed content is `${id}.${timestamp}.${body}`, the key is the base64-decoded part of a
 * `whsec_...` secret, and `webhook-signature` holds space-separated `v1,<base64>` entries of which any may match.
 * A timestamp more than `toleranceSeconds` away from `now` (old or ahead) is refused, which bounds replays.
 */
export function verifyStandardWebhook(
  rawBody: Buffer,
  headers: StandardWebhookHeaderValues,
  secrets: readonly string[],
  now: Date,
  toleranceSeconds = defaultToleranceSeconds,
): StandardWebhookVerification {
  const id = typeof headers.id === 'string' ? headers.id.trim() : '';
  const timestamp = typeof headers.timestamp === 'string' ? headers.timestamp.trim() : '';
  const signature = typeof headers.signature === 'string' ? headers.signature : '';
  if (!id) return refuse(`missing ${standardWebhookHeaders.id} header`);
  if (!timestamp) return refuse(`missing ${standardWebhookHeaders.timestamp} header`);
  if (!signature.trim()) return refuse(`missing ${standardWebhookHeaders.signature} header`);
  if (id.length > maxMessageIdLength) return refuse(`${standardWebhookHeaders.id} is longer than ${maxMessageIdLength} characters`);
  if (!/^\d{1,12}$/.test(timestamp)) return refuse(`${standardWebhookHeaders.timestamp} is not a Unix time in seconds`);
  if (signature.length > maxSignatureHeaderLength) return refuse(`${standardWebhookHeaders.signature} is too long`);

  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (!Number.isFinite(nowSeconds)) return refuse('no valid current time to compare the timestamp with');
  const sentSeconds = Number(timestamp);
  if (sentSeconds < nowSeconds - toleranceSeconds) return refuse(`${standardWebhookHeaders.timestamp} is more than ${toleranceSeconds} s old`);
  if (sentSeconds > nowSeconds + toleranceSeconds) return refuse(`${standardWebhookHeaders.timestamp} is more than ${toleranceSeconds} s in the future`);

  const keys = secrets.flatMap((secret) => {
    const key = tryDecodeStandardWebhookSecret(secret);
    return key ? [key] : [];
  });
  if (keys.length === 0) return refuse('no valid whsec_ secret is configured');

  const given = signature
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .slice(0, maxStandardSignatures)
    .map((entry) => Buffer.from(entry.slice('v1,'.length), 'utf8'));
  if (given.length === 0) return refuse(`${standardWebhookHeaders.signature} has no v1 signature`);

  const signedContent = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), rawBody]);
  let matched = false;
  for (const key of keys) {
    const expected = Buffer.from(createHmac('sha256', key).update(signedContent).digest('base64'), 'utf8');
    for (const candidate of given) matched = constantTimeEqual(candidate, expected) || matched;
  }
  return matched ? { ok: true } : refuse('no signature matches');
}

/**
 * The `webhook-signature` header value (`v1,<base64>`) for a message; `timestamp` is Unix seconds or a Date.
 * Throws a RangeError for a secret that is not `whsec_<base64>` (that is our configuration, not sender input).
 */
export function signStandardWebhook(id: string, timestamp: number | Date, body: Buffer | string, secret: string): string {
  const key = decodeStandardWebhookSecret(secret);
  const seconds = typeof timestamp === 'number' ? timestamp : Math.floor(timestamp.getTime() / 1000);
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new RangeError(`not a Unix time in seconds: ${String(timestamp)}`);
  const content = Buffer.concat([Buffer.from(`${id}.${seconds}.`, 'utf8'), typeof body === 'string' ? Buffer.from(body, 'utf8') : body]);
  return `v1,${createHmac('sha256', key).update(content).digest('base64')}`;
}

/** The key bytes of a `whsec_<base64>` secret; throws a RangeError naming the problem. */
export function decodeStandardWebhookSecret(secret: string): Buffer {
  const key = tryDecodeStandardWebhookSecret(secret);
  if (!key) throw new RangeError('a Standard Webhooks secret looks like "whsec_" followed by base64 (at least 16 bytes)');
  return key;
}

function tryDecodeStandardWebhookSecret(secret: string): Buffer | undefined {
  if (typeof secret !== 'string' || !secret.startsWith('whsec_')) return undefined;
  const encoded = secret.slice('whsec_'.length);
  // Buffer's base64 decoder skips characters it does not know; a strict check keeps a typo from becoming a weaker key.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 === 1) return undefined;
  const key = Buffer.from(encoded, 'base64');
  return key.length >= 16 ? key : undefined;
}

function verifyBase64Hmac(rawBody: Buffer, signature: string | undefined, secrets: readonly string[]): boolean {
  if (typeof signature !== 'string' || !Buffer.isBuffer(rawBody)) return false;
  const given = signature.trim();
  if (!given || given.length > maxSignatureHeaderLength) return false;
  // The base64 texts are compared, not decoded bytes: Buffer's lenient decoder would accept variants we never sent.
  const candidate = Buffer.from(given, 'utf8');
  let matched = false;
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length === 0) continue;
    matched = constantTimeEqual(candidate, Buffer.from(hmacBase64(secret, rawBody), 'utf8')) || matched;
  }
  return matched;
}

function hmacBase64(secret: string, body: Buffer | string): string {
  return createHmac('sha256', secret)
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest('base64');
}

/** Length is not secret (every HMAC-SHA256 in base64 is 44 characters), so unequal lengths fail fast. */
function constantTimeEqual(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function refuse(problem: string): StandardWebhookVerification {
  return { ok: false, problem };
}
