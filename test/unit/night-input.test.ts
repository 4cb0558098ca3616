import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nightInputSchema, reportInputSchema } from '../../lib/lambda/night-inputs.js';

const directory = new URL('../fixtures/scheduler/', import.meta.url);
const fixtures = readdirSync(directory).map((name) => [name, JSON.parse(readFileSync(new URL(name, directory), 'utf8')) as unknown] as const);

describe('the nightly coordinator input (EventBridge Scheduler target Input)', () => {
  it.each(fixtures.filter(([name]) => name.startsWith('valid-')))('accepts %s', (_name, event) => {
    expect(nightInputSchema.safeParse(event).success).toBe(true);
  });

  it.each(fixtures.filter(([name]) => name.startsWith('invalid-')))('refuses %s, naming the field', (_name, event) => {
    // Act
    const result = nightInputSchema.safeParse(event);
    // Assess
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path.length + (result.error!.issues[0]!.code === 'unrecognized_keys' ? 1 : 0)).toBeGreaterThan(0);
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(fc.property(fc.jsonValue(), (event) => void nightInputSchema.safeParse(event)));
  });
});

describe("the report builder input (the state machine's FinishNight output)", () => {
  const stepFunctions = new URL('../fixtures/stepfunctions/', import.meta.url);
  const read = (name: string): unknown => JSON.parse(readFileSync(new URL(name, stepFunctions), 'utf8'));

  it('accepts the FinishNight output, and no input at all (a manual run)', () => {
    expect(reportInputSchema.parse(read('valid-report-after-finish.json'))).toMatchObject({ runId: '3f2b8c1e-6d4a-4f7e-9b1c-0a5e2d7f8c91' });
    expect(reportInputSchema.safeParse({}).success).toBe(true);
  });

  it('refuses a malformed run id, naming it', () => {
    const result = reportInputSchema.safeParse(read('invalid-report-run-id.json'));
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual(['runId']);
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(fc.property(fc.jsonValue(), (event) => void reportInputSchema.safeParse(event)));
  });
});
