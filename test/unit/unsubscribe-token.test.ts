import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashEmail } from '../../lib/domain/email.js';
import { signUnsubscribeToken, verifyUnsubscribeToken } from '../../lib/domain/unsubscribe-token.js';

const secret = 'unit-test-unsubscribe-key-0123456789abcdef';
const claim = { customerId: '9007199254740993', campaignId: 'lost-winback', emailHash: hashEmail('ana@example.org') };

describe('unsubscribe tokens', () => {
  it('verifies a token it signed', () => {
    // Act
    const token = signUnsubscribeToken(claim, secret);
    // Assess
    expect(verifyUnsubscribeToken(token, secret)).toEqual(claim);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('refuses a token with a changed payload, a changed signature, or another key', () => {
    // Prepare
    const token = signUnsubscribeToken(claim, secret);
    const [payload, signature] = token.split('.') as [string, string];
    const otherCustomer = Buffer.from(JSON.stringify({ v: 1, c: '9007199254740994', m: claim.campaignId, h: claim.emailHash })).toString('base64url');
    const flipped = signature.slice(0, -1) + (signature.endsWith('A') ? 'B' : 'A');
    // Act / Assess
    expect(verifyUnsubscribeToken(`${otherCustomer}.${signature}`, secret)).toBeUndefined();
    expect(verifyUnsubscribeToken(`${payload}.${flipped}`, secret)).toBeUndefined();
    expect(verifyUnsubscribeToken(token, 'another-key-of-enough-length-0123456789')).toBeUndefined();
    expect(verifyUnsubscribeToken(`${token}.extra`, secret)).toBeUndefined();
  });

  it('never accepts or throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 700 }), (text) => {
        expect(verifyUnsubscribeToken(text, secret)).toBeUndefined();
      }),
    );
  });

  it('refuses a short signing key', () => {
    expect(() => signUnsubscribeToken(claim, 'short')).toThrow(/at least 32 characters/);
  });
});
