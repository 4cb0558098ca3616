import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * One-click unsubscribe tokens (RFC 8058): the URL itself is the credential, so it is signed with HMAC-SHA256.
 * Without the key nobody can forge one or walk through customer ids; the signature is compared in constant time.
 */
export interface UnsubscribeClaim {
  readonly customerId: string;
  readonly campaignId: string;
  readonly emailHash: string;
}

const claimSchema = z.strictObject({
  v: z.literal(1),
  c: z.string().min(1).max(64),
  m: z.string().min(1).max(64),
  h: z.string().regex(/^[0-9a-f]{64}$/),
});

export const minimumSecretLength = 32;

export function signUnsubscribeToken(claim: UnsubscribeClaim, secret: string): string {
  assertSecret(secret);
  const payload = Buffer.from(JSON.stringify({ v: 1, c: claim.customerId, m: claim.campaignId, h: claim.emailHash })).toString('base64url');
  return `${payload}.${signature(payload, secret)}`;
}

/** The claim, or undefined for anything that is not a token we signed. Never throws on hostile input. */
export function verifyUnsubscribeToken(token: string, secret: string): UnsubscribeClaim | undefined {
  assertSecret(secret);
  if (typeof token !== 'string' || token.length > 600) return undefined;
  const [payload, given, extra] = token.split('.');
  if (!payload || !given || extra !== undefined) return undefined;
  const expected = Buffer.from(signature(payload, secret));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
  try {
    const parsed = claimSchema.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    return parsed.success ? { customerId: parsed.data.c, campaignId: parsed.data.m, emailHash: parsed.data.h } : undefined;
  } catch {
    return undefined;
  }
}

function signature(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(`winback-unsubscribe.v1.${payload}`).digest('base64url');
}

function assertSecret(secret: string): void {
  if (secret.length < minimumSecretLength) throw new RangeError(`the unsubscribe signing key must be at least ${minimumSecretLength} characters`);
}
