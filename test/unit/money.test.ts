import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { divideRoundHalfEven, formatMoney, parseDecimalAmount } from '../../lib/domain/money.js';

describe('money', () => {
  it.each([
    ['19.99', 'EUR', 1999],
    ['0.1', 'EUR', 10],
    ['100', 'USD', 10000],
    ['-5.50', 'EUR', -550],
    ['1500', 'JPY', 1500],
    ['1.234', 'KWD', 1234],
    ['2.50', 'JPY', undefined],
    ['19.999', 'EUR', undefined],
    ['1e3', 'EUR', undefined],
    ['', 'EUR', undefined],
  ])('parses %s %s as text, never through a float', (text, currency, expected) => {
    if (expected === undefined) expect(() => parseDecimalAmount(text, currency)).toThrow(RangeError);
    else expect(parseDecimalAmount(text, currency)).toBe(expected);
  });

  it('keeps 0.1 + 0.2 exact once parsed', () => {
    expect(parseDecimalAmount('0.1', 'EUR') + parseDecimalAmount('0.2', 'EUR')).toBe(parseDecimalAmount('0.3', 'EUR'));
  });

  it('parses any string without throwing anything but a RangeError', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          expect(Number.isSafeInteger(parseDecimalAmount(text, 'EUR'))).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(RangeError);
        }
      }),
    );
  });

  it('round-trips every two-decimal amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), (minor) => {
        const text = `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
        expect(parseDecimalAmount(text, 'EUR')).toBe(minor);
      }),
    );
  });

  it('rounds averages half to even', () => {
    expect([divideRoundHalfEven(5, 2), divideRoundHalfEven(7, 2), divideRoundHalfEven(10, 3), divideRoundHalfEven(-5, 2)]).toEqual([2, 4, 3, -2]);
  });

  it('formats in the currency', () => {
    expect(formatMoney({ minor: 123456, currency: 'EUR' })).toBe('€1,234.56');
  });
});
