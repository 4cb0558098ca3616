import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Customer } from '../../lib/domain/customer.js';
import { emptySummary } from '../../lib/domain/customer.js';
import { hashEmail } from '../../lib/domain/email.js';
import {
  customerKey,
  guestCustomerKey,
  knownEmailHashes,
  normalizeEmail,
  orderKey,
  platformCustomerIdOf,
  previousAddressesKept,
  profileForOrder,
  withAddress,
} from '../../lib/domain/identity.js';
import { orderSources } from '../../lib/domain/orders/incoming-order.js';

const source = fc.constantFrom(...orderSources);
const platformId = fc.oneof(fc.string({ minLength: 1 }), fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String));

function profile(email: string | undefined, previous: readonly string[] = []): Customer {
  return {
    customerId: 'p',
    ...(email ? { email } : {}),
    ...(previous.length > 0 ? { previousEmailHashes: previous } : {}),
    consent: { state: 'subscribed', source: 'checkout', updatedAt: '2026-01-01T00:00:00.000Z' },
    summary: emptySummary,
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('identity keys', () => {
  it('never gives two different (source, platform id) pairs the same customer or order key', () => {
    fc.assert(
      fc.property(source, platformId, source, platformId, (sourceA, idA, sourceB, idB) => {
        fc.pre(sourceA !== sourceB || idA !== idB);
        expect(customerKey(sourceA, idA)).not.toBe(customerKey(sourceB, idB));
        expect(orderKey(sourceA, idA)).not.toBe(orderKey(sourceB, idB));
      }),
    );
  });

  it('keeps any platform id exactly as a string, and gives it back from its key', () => {
    fc.assert(
      fc.property(source, platformId, (from, id) => {
        const key = customerKey(from, id);
        expect(typeof key).toBe('string');
        expect(platformCustomerIdOf(key, from)).toBe(id);
        for (const other of orderSources) if (other !== from) expect(platformCustomerIdOf(key, other)).toBeUndefined();
      }),
    );
    expect(customerKey('shopify', '9007199254740993')).toBe('shopify:9007199254740993');
  });

  it('never gives a guest key that a platform customer key could be', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{64}$/), source, platformId, (hash, from, id) => {
        expect(guestCustomerKey(hash)).not.toBe(customerKey(from, id));
      }),
    );
  });

  it('normalizes an address by trimming and lowercasing only: dots and plus tags stay', () => {
    expect(normalizeEmail('  Ana.Lopes+Shop@Example.ORG ')).toBe('ana.lopes+shop@example.org');
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(normalizeEmail(normalizeEmail(text))).toBe(normalizeEmail(text));
      }),
    );
  });
});

describe('which profile an order belongs to', () => {
  const ana = hashEmail('ana@example.org');
  const carl = hashEmail('carl@example.org');

  it('goes to the platform customer when the address is theirs, now or before', () => {
    expect(profileForOrder({ keyed: { customerId: 'shopify:1', profile: profile('ana@example.org') }, emailHash: ana })).toBe('shopify:1');
    expect(profileForOrder({ keyed: { customerId: 'shopify:1', profile: profile('new@example.org', [ana]) }, emailHash: ana, emailOwner: 'shopify:1' })).toBe(
      'shopify:1',
    );
    expect(profileForOrder({ keyed: { customerId: 'shopify:1', profile: profile('ana@example.org') } })).toBe('shopify:1');
  });

  it("never goes to a profile whose address is another person's", () => {
    fc.assert(
      fc.property(fc.emailAddress(), fc.emailAddress(), fc.option(fc.string({ minLength: 1 }), { nil: undefined }), (own, other, owner) => {
        fc.pre(normalizeEmail(own) !== normalizeEmail(other));
        const chosen = profileForOrder({
          keyed: { customerId: 'shopify:1', profile: profile(normalizeEmail(own)) },
          emailHash: hashEmail(other),
          ...(owner ? { emailOwner: owner } : {}),
        });
        if (owner === 'shopify:1') return; // the address already points here: it was the profile's before
        expect(chosen).not.toBe('shopify:1');
        expect(chosen).toBe(owner ?? guestCustomerKey(hashEmail(other)));
      }),
    );
  });

  it('joins a new platform customer to the profile holding the same address, else keys it by source', () => {
    expect(profileForOrder({ keyed: { customerId: 'woocommerce:7' }, emailHash: carl, emailOwner: 'shopify:7' })).toBe('shopify:7');
    expect(profileForOrder({ keyed: { customerId: 'woocommerce:7' }, emailHash: carl })).toBe('woocommerce:7');
    expect(profileForOrder({ emailHash: carl })).toBe(guestCustomerKey(carl));
    expect(profileForOrder({})).toBeUndefined();
  });
});

describe('a change of address', () => {
  it('remembers every earlier address as a hash, boundedly, and knows the profile by all of them', () => {
    fc.assert(
      fc.property(fc.array(fc.emailAddress(), { minLength: 1, maxLength: 30 }), (addresses) => {
        const moved = addresses.reduce((customer, address) => withAddress(customer, address), profile(undefined));
        const last = normalizeEmail(addresses.at(-1)!);
        expect(moved.email).toBe(last);
        const known = knownEmailHashes(moved);
        expect(known[0]).toBe(hashEmail(last));
        expect(moved.previousEmailHashes?.length ?? 0).toBeLessThanOrEqual(previousAddressesKept);
        expect(moved.previousEmailHashes ?? []).not.toContain(hashEmail(last));
        const distinct = [...new Set(addresses.map(normalizeEmail))];
        if (distinct.length <= previousAddressesKept) for (const address of distinct) expect(known).toContain(hashEmail(address));
      }),
    );
  });
});
