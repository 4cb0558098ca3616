import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countSegments, csvField, csvLine, type SegmentFacts, tierThresholds, valueTierOf } from '../../lib/domain/segments.js';

/** RFC 4180 read back: enough of a reader to prove a line round-trips. */
function readCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index]!;
    if (quoted) {
      if (char === '"' && line[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else field += char;
  }
  fields.push(field);
  return fields;
}

describe('segment CSV', () => {
  it('writes any text so that it reads back as the same fields, a formula only ever as text', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }), { minLength: 1, maxLength: 6 }), (values) => {
        // Act
        const line = csvLine(values);
        // Assess
        expect(line.endsWith('\r\n')).toBe(true);
        const read = readCsvLine(line.slice(0, -2));
        expect(read).toEqual(values.map((value) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value)));
      }),
    );
  });

  it('defuses a spreadsheet formula in a customer name', () => {
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvField(-12)).toBe('-12');
  });
});

describe('value tiers', () => {
  it("puts the top 20% of the shop's values at stake in high, the next 30% in medium, zero in none", () => {
    // Prepare: values 1 to 10, and two customers with nothing at stake
    const values = [0, 0, ...Array.from({ length: 10 }, (_, index) => (index + 1) * 100)];
    // Act
    const thresholds = tierThresholds(values);
    const tiers = values.map((value) => valueTierOf(value, thresholds));
    // Assess
    expect(tiers.filter((tier) => tier === 'high')).toHaveLength(2);
    expect(tiers.filter((tier) => tier === 'medium')).toHaveLength(3);
    expect(tiers.filter((tier) => tier === 'low')).toHaveLength(5);
    expect(tiers.slice(0, 2)).toEqual(['none', 'none']);
  });

  it('gives every customer a tier whatever the values', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -10, max: 1_000_000 }), { maxLength: 50 }), (values) => {
        const thresholds = tierThresholds(values);
        for (const value of values) expect(['high', 'medium', 'low', 'none']).toContain(valueTierOf(value, thresholds));
      }),
    );
  });
});

describe('segment counts', () => {
  it('counts each facet over the customers that pass the other filters, as faceted search does', () => {
    // Prepare
    const rows: SegmentFacts[] = [
      { status: 'lost', tier: 'high', reasons: ['overdue_own_cadence'], campaign: 'lost-winback' },
      { status: 'lost', tier: 'low', reasons: [] },
      { status: 'at_risk', tier: 'high', reasons: ['spend_falling', 'overdue_own_cadence'], campaign: 'at-risk-nudge' },
    ];
    // Act
    const counts = countSegments(rows, { status: 'lost' });
    // Assess: the status facet ignores its own filter; the others count only the lost
    expect(counts.byStatus).toEqual({ lost: 2, at_risk: 1 });
    expect(counts.byTier).toEqual({ high: 1, low: 1 });
    expect(counts.byReason).toEqual({ overdue_own_cadence: 1 });
    expect(counts.byCampaign).toEqual({ 'lost-winback': 1, none: 1 });
  });
});
