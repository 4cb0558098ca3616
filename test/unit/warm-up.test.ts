import { describe, expect, it } from 'vitest';
import { nextWarmUpHistory, sendingDomain, warmUpLimit, warmUpThreshold } from '../../lib/domain/warm-up.js';

const settings = { enabled: true, firstNight: 500, growth: 2, lookbackDays: 14 };

describe('warm-up', () => {
  it('lets a new domain send at most 500 on its first night, then twice the most it sent, up to the cap', () => {
    // Act
    const first = warmUpLimit(settings, 50_000, ['shop.example'], {}, '2026-12-05');
    const second = warmUpLimit(settings, 50_000, ['shop.example'], nextWarmUpHistory({}, '2026-12-05', { 'shop.example': 500 }, 14), '2026-12-06');
    const warm = warmUpLimit(settings, 1_500, ['shop.example'], { 'shop.example': { '2026-12-05': 1_000 } }, '2026-12-06');
    // Assess
    expect(first).toMatchObject({ limit: 500, warmingUp: true });
    expect(second).toMatchObject({ limit: 1_000, warmingUp: true });
    expect(warm).toMatchObject({ limit: 1_500, warmingUp: false });
  });

  it('holds the night to its newest domain, forgets nights past the lookback, and is off when disabled', () => {
    const history = { 'old.example': { '2026-12-04': 20_000 } };
    expect(warmUpLimit(settings, 50_000, ['old.example', 'new.example'], history, '2026-12-05').limit).toBe(500);
    expect(warmUpLimit(settings, 50_000, ['old.example'], { 'old.example': { '2026-11-01': 20_000 } }, '2026-12-05').limit).toBe(500);
    expect(warmUpLimit({ ...settings, enabled: false }, 50_000, ['new.example'], {}, '2026-12-05')).toMatchObject({ limit: 50_000, warmingUp: false });
    expect(sendingDomain('Hello@Shop.Example')).toBe('shop.example');
  });

  it('picks the value at stake that lets about the limit through, highest first', () => {
    expect(warmUpThreshold([10, 50, 30, 20, 40], 1, 2)).toBe(40);
    expect(warmUpThreshold([10, 50, 30, 20, 40], 0.5, 2)).toBe(50);
    expect(warmUpThreshold([10, 20], 1, 5)).toBeUndefined();
  });
});
