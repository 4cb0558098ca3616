import { describe, expect, it } from 'vitest';
import { sentNightKey, sentNightShards } from '../../lib/adapters/dynamodb/table.js';

describe('sentNightKey', () => {
  it("files a night's emails under the night and one of its shards, the same one each time for a customer", () => {
    // Prepare
    const customerIds = Array.from({ length: 2_000 }, (_, i) => String(9007199254740993n + BigInt(i)));
    // Act
    const keysOfNight = customerIds.map((customerId) => sentNightKey('2026-11-22', customerId));
    // Assess: every key names the night and a two-digit shard below the shard count
    for (const key of keysOfNight) expect(key).toMatch(/^2026-11-22#\d\d$/);
    expect(customerIds.map((customerId) => sentNightKey('2026-11-22', customerId))).toEqual(keysOfNight);
    const perShard = new Map<string, number>();
    for (const key of keysOfNight) perShard.set(key, (perShard.get(key) ?? 0) + 1);
    expect([...perShard.keys()].map((key) => Number(key.slice(-2))).sort((a, b) => a - b)).toEqual(
      Array.from({ length: sentNightShards }, (_, shard) => shard),
    );
    // Spread evenly enough that no partition of the index takes a night's burst alone: 125 expected, 4 sd either side
    for (const count of perShard.values()) {
      expect(count).toBeGreaterThan(82);
      expect(count).toBeLessThan(168);
    }
  });
});
