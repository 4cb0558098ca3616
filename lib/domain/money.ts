/**
 * Money is kept as integer minor units (cents) with its currency, so sums are exact.
 * Platforms send amounts as decimal strings; they are parsed as text, never through a float.
 */
export interface Money {
  readonly minor: number;
  readonly currency: string;
}

const minorDigitsByCurrency: Record<string, number> = { JPY: 0, KRW: 0, ISK: 0, BHD: 3, KWD: 3, JOD: 3, OMR: 3, TND: 3 };

export function minorDigits(currency: string): number {
  return minorDigitsByCurrency[currency.toUpperCase()] ?? 2;
}

const decimalPattern = /^(-)?(\d{1,15})(?:\.(\d+))?$/;

/** Parses "19.99" into 1999 minor units; throws a RangeError that names the problem. */
export function parseDecimalAmount(text: string, currency: string): number {
  const match = decimalPattern.exec(text.trim());
  if (!match) throw new RangeError(`expected a decimal string like "19.99", got ${JSON.stringify(text)}`);
  const [, sign, whole = '0', fraction = ''] = match;
  const digits = minorDigits(currency);
  if (fraction.length > digits && /[^0]/.test(fraction.slice(digits))) {
    throw new RangeError(`${currency} has ${digits} decimal places, got ${JSON.stringify(text)}`);
  }
  const minor = Number(whole + fraction.slice(0, digits).padEnd(digits, '0'));
  if (!Number.isSafeInteger(minor)) throw new RangeError(`amount ${JSON.stringify(text)} is too large`);
  return sign ? -minor : minor;
}

/** Integer division that rounds half to even, so averages of money stay in whole minor units without drift. */
export function divideRoundHalfEven(numerator: number, denominator: number): number {
  if (denominator === 0) return 0;
  const quotient = Math.trunc(numerator / denominator);
  const remainder = numerator - quotient * denominator;
  const twice = Math.abs(remainder * 2);
  const absDenominator = Math.abs(denominator);
  if (twice < absDenominator) return quotient;
  const away = quotient + Math.sign(numerator) * Math.sign(denominator);
  if (twice > absDenominator) return away;
  return quotient % 2 === 0 ? quotient : away;
}

/** 12345 EUR -> "123.45": the exact decimal text, for APIs and exports. */
export function toDecimalString(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  const sign = minor < 0 ? '-' : '';
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  return digits === 0 ? `${sign}${text}` : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

export function formatMoney(money: Money, locale = 'en-IE'): string {
  const digits = minorDigits(money.currency);
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: money.currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(money.minor / 10 ** digits);
}
