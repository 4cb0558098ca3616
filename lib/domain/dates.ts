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

const partsFormats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock date and time of an instant in a time zone. */
export function wallClockIn(instant: Date, timeZone: string): { date: CalendarDate; minutes: number } {
  let format = partsFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    partsFormats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((part) => [part.type, part.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

/**
 * The instant at which a wall clock in a time zone shows this date and time. Across a daylight-saving gap (a time
 * that does not exist that night) it answers the first instant after the gap.
 */
export function instantAt(date: CalendarDate, minutes: number, timeZone: string): Date {
  const wanted = toEpochDay(date) * 1440 + minutes;
  const offsetAt = (instantMs: number) => {
    const seen = wallClockIn(new Date(instantMs), timeZone);
    return toEpochDay(seen.date) * 1440 + seen.minutes - Math.floor(instantMs / 60_000);
  };
  // The two offsets in force around that wall time (they differ only on a daylight-saving night).
  const before = offsetAt((wanted - 1440) * 60_000);
  const after = offsetAt((wanted + 1440) * 60_000);
  const candidates = [wanted - before, wanted - after].filter((utcMinutes) => utcMinutes + offsetAt(utcMinutes * 60_000) === wanted);
  // Skipped wall time (spring forward): like Temporal's "compatible", move forward by the gap.
  const chosen = candidates.length > 0 ? Math.min(...candidates) : wanted - before;
  return new Date(chosen * 60_000);
}

export function parseClockTime(text: string): number {
  const [hours, minutes] = text.split(':').map(Number) as [number, number];
  return hours * 60 + minutes;
}

/**
 * The first instant at or after `from` outside quiet hours in the customer's time zone. Quiet hours may wrap past
 * midnight (21:00-08:00); the answer follows the customer's wall clock, so daylight-saving nights come out right.
 */
export function nextAllowedInstant(from: Date, timeZone: string, quietHours: { start: string; end: string } | undefined): Date {
  if (!quietHours) return from;
  const start = parseClockTime(quietHours.start);
  const end = parseClockTime(quietHours.end);
  if (start === end) return from;
  const { date, minutes } = wallClockIn(from, timeZone);
  const wraps = start > end;
  const quiet = wraps ? minutes >= start || minutes < end : minutes >= start && minutes < end;
  if (!quiet) return from;
  const endDate = wraps && minutes >= start ? addDays(date, 1) : date;
  return instantAt(endDate, end, timeZone);
}
