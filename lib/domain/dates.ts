/** Calendar dates are 'YYYY-MM-DD' strings; instants are UTC ISO-8601 strings. */
export type CalendarDate = string;

const DAY_MS = 86_400_000;
const calendarDatePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isCalendarDate(text: string): boolean {
  const match = calendarDatePattern.exec(text);
  if (!match) return false;
  const [, year, month, day] = match.map(Number) as [number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export function toEpochDay(date: CalendarDate): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

export function fromEpochDay(day: number): CalendarDate {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  return fromEpochDay(toEpochDay(date) + days);
}

export function daysBetween(from: CalendarDate, to: CalendarDate): number {
  return toEpochDay(to) - toEpochDay(from);
}

// Building an Intl.DateTimeFormat costs ~100 µs and the night converts several dates per customer: keep one per zone.
const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar date of an instant as seen in a time zone ('en-CA' formats as YYYY-MM-DD). */
export function calendarDateIn(instant: Date | string, timeZone: string): CalendarDate {
  const when = typeof instant === 'string' ? new Date(instant) : instant;
  let format = dateFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dateFormats.set(timeZone, format);
  }
  return format.format(when);
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** Elapsed days between two instants, as a fraction (7.5 = seven and a half days). */
export function daysBetweenInstants(from: string, to: string): number {
  return (Date.parse(to) - Date.parse(from)) / DAY_MS;
}
