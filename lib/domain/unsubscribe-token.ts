import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Signed links: the URL itself is the credential (RFC 8058 one-click unsubscribe, the feedback answers), so its
 * claim is signed with HMAC-SHA256. Without the key nobody can forge one or walk through customer ids; the
 * signature is compared in constant time, and each purpose signs differently, so a token works only where it
 * was issued.
 */
export const minimumSecretLength = 32;
const maxTokenLength = 600;

type Purpose = 'unsubscribe' | 'feedback';

function signClaim(purpose: Purpose, claim: Record<string, unknown>, secret: string): string {
  assertSecret(secret);
  const payload = Buffer.from(JSON.stringify(claim)).toString('base64url');
  return `${payload}.${signature(purpose, payload, secret)}`;
}

function verifyClaim<T>(purpose: Purpose, token: unknown, secret: string, schema: z.ZodType<T>): T | undefined {
  assertSecret(secret);
  if (typeof token !== 'string' || token.length > maxTokenLength) return undefined;
  const [payload, given, extra] = token.split('.');
  if (!payload || !given || extra !== undefined) return undefined;
  const expected = Buffer.from(signature(purpose, payload, secret));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function signature(purpose: Purpose, payload: string, secret: string): string {
  return createHmac('sha256', secret).update(`winback-${purpose}.v1.${payload}`).digest('base64url');
}

function assertSecret(secret: string): void {
  if (secret.length < minimumSecretLength) throw new RangeError(`the link signing key must be at least ${minimumSecretLength} characters`);
}

const id = z.string().min(1).max(64);

export interface UnsubscribeClaim {
  readonly customerId: string;
  readonly campaignId: string;
  readonly emailHash: string;
}

const unsubscribeSchema = z.strictObject({ v: z.literal(1), c: id, m: id, h: z.string().regex(/^[0-9a-f]{64}$/) });

export function signUnsubscribeToken(claim: UnsubscribeClaim, secret: string): string {
  return signClaim('unsubscribe', { v: 1, c: claim.customerId, m: claim.campaignId, h: claim.emailHash }, secret);
}

/** The claim, or undefined for anything that is not a token we signed. Never throws on hostile input. */
export function verifyUnsubscribeToken(token: unknown, secret: string): UnsubscribeClaim | undefined {
  const claim = verifyClaim('unsubscribe', token, secret, unsubscribeSchema);
  return claim ? { customerId: claim.c, campaignId: claim.m, emailHash: claim.h } : undefined;
}

/** Names the send a feedback answer belongs to: one answer per customer and send. */
export interface FeedbackClaim {
  readonly customerId: string;
  readonly campaignId: string;
  readonly episode: string;
  readonly step: number;
}

const feedbackSchema = z.strictObject({ v: z.literal(1), c: id, m: id, e: z.string().min(1).max(32), s: z.number().int().min(0).max(100) });

export function signFeedbackToken(claim: FeedbackClaim, secret: string): string {
  return signClaim('feedback', { v: 1, c: claim.customerId, m: claim.campaignId, e: claim.episode, s: claim.step }, secret);
}

export function verifyFeedbackToken(token: unknown, secret: string): FeedbackClaim | undefined {
  const claim = verifyClaim('feedback', token, secret, feedbackSchema);
  return claim ? { customerId: claim.c, campaignId: claim.m, episode: claim.e, step: claim.s } : undefined;
}
