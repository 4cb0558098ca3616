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

// Building an Intl.NumberFormat costs far more than formatting with one, and every email formats a few amounts.
const moneyFormats = new Map<string, Intl.NumberFormat>();

export function formatMoney(money: Money, locale = 'en-IE'): string {
  const digits = minorDigits(money.currency);
  const key = `${locale}\u0000${money.currency}`;
  let format = moneyFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency: money.currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
    moneyFormats.set(key, format);
  }
  return format.format(money.minor / 10 ** digits);
}

/** What the shop's totals are kept in: its currency and, optionally, rates for orders paid in others. */
export interface ShopMoney {
  readonly currency: string;
  /** Units of the shop's currency one unit of the keyed currency is worth, as decimal text: `{"JPY": "0.0061"}`. */
  readonly exchangeRates?: Readonly<Record<string, string>>;
}

/** An exchange rate as the config writes it: a positive decimal string. */
export const exchangeRatePattern = /^(?:0|[1-9]\d{0,8})(?:\.\d{1,12})?$/;

/**
 * Converts minor units of `from` into minor units of `to` at `rate` (units of `to` per unit of `from`, decimal
 * text), exactly in integers, rounding half to even. `1000` JPY at "0.0061" into EUR is 610 (6.10 EUR).
 */
export function convertMinor(minor: number, from: string, to: string, rate: string): number {
  const match = exchangeRatePattern.exec(rate);
  if (!match || !Number.isSafeInteger(minor)) throw new RangeError(`cannot convert ${minor} ${from} at rate ${JSON.stringify(rate)}`);
  const [whole = '0', fraction = ''] = rate.split('.');
  const numerator = BigInt(minor) * BigInt(whole + fraction) * 10n ** BigInt(minorDigits(to));
  const denominator = 10n ** BigInt(minorDigits(from) + fraction.length);
  const result = Number(divideBigHalfEven(numerator, denominator));
  if (!Number.isSafeInteger(result)) throw new RangeError(`${minor} ${from} at ${rate} is too large in ${to}`);
  return result;
}

function divideBigHalfEven(numerator: bigint, denominator: bigint): bigint {
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  let quotient = magnitude / denominator;
  const twice = (magnitude % denominator) * 2n;
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) quotient += 1n;
  return negative ? -quotient : quotient;
}

/**
 * An amount in the shop's currency, or undefined when it was paid in another one that the config gives no rate
 * for: such an order is still a purchase (recency, frequency), but its money is in no shop-currency total.
 */
export function inShopCurrency(minor: number, currency: string, shop: ShopMoney): number | undefined {
  if (currency === shop.currency) return minor;
  const rate = shop.exchangeRates?.[currency];
  return rate === undefined ? undefined : convertMinor(minor, currency, shop.currency, rate);
}

/** Beyond these (in major units of the shop's currency) an amount is a mistake or an attack, never a real sale. */
export const maxOrderMajorUnits = 1_000_000;
export const maxCustomerTotalMajorUnits = 100_000_000;

/** A ceiling in major units as minor units of `currency`. */
export function ceilingMinor(majorUnits: number, currency: string): number {
  return majorUnits * 10 ** minorDigits(currency);
}
