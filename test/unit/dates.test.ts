import { describe, expect, it } from 'vitest';
import { instantAt, nextAllowedInstant, wallClockIn } from '../../lib/domain/dates.js';

const quiet = { start: '21:00', end: '08:00' };

describe("quiet hours in the customer's own time zone", () => {
  it.each([
    ['inside, before midnight, waits for the next morning', '2026-11-22T21:30:00Z', 'Europe/Amsterdam', '2026-11-23T07:00:00.000Z'],
    ['inside, after midnight, waits for that morning', '2026-11-22T02:00:00Z', 'Europe/Amsterdam', '2026-11-22T07:00:00.000Z'],
    ['outside goes at once', '2026-11-22T12:00:00Z', 'Europe/Amsterdam', '2026-11-22T12:00:00.000Z'],
    ['New York morning is 13:00 UTC in winter', '2026-11-22T02:00:00Z', 'America/New_York', '2026-11-22T13:00:00.000Z'],
    ['Sydney in its summer (UTC+11)', '2026-11-22T12:00:00Z', 'Australia/Sydney', '2026-11-22T21:00:00.000Z'],
    ['spring-forward night: 08:00 is already summer time', '2026-03-29T00:30:00Z', 'Europe/Amsterdam', '2026-03-29T06:00:00.000Z'],
    ['fall-back night: 08:00 is winter time again', '2026-10-25T00:30:00Z', 'Europe/Amsterdam', '2026-10-25T07:00:00.000Z'],
  ])('%s', (_case, from, zone, expected) => {
    // Act
    const allowed = nextAllowedInstant(new Date(from), zone, quiet);
    // Assess
    expect(allowed.toISOString()).toBe(expected);
    expect(wallClockIn(allowed, zone).minutes).toBeGreaterThanOrEqual(8 * 60);
  });

  it('handles quiet hours that do not wrap midnight', () => {
    expect(nextAllowedInstant(new Date('2026-11-22T12:30:00Z'), 'UTC', { start: '12:00', end: '14:00' }).toISOString()).toBe('2026-11-22T14:00:00.000Z');
  });

  it('moves a wall time that a spring-forward night skips past the gap', () => {
    // 02:30 does not exist in Amsterdam on 29 March 2026: it becomes 03:30 summer time
    expect(instantAt('2026-03-29', 150, 'Europe/Amsterdam').toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });
});
