import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { campaignConfigJsonSchema, InvalidCampaignConfigError, parseCampaignConfig } from '../../lib/config/campaign-config.js';
import defaultCampaignConfig from '../../lib/config/default-campaign-config.json' with { type: 'json' };

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/campaign-config/${name}`, import.meta.url), 'utf8'));

function problemsOf(input: unknown): { path: string; problem: string }[] {
  try {
    parseCampaignConfig(input);
  } catch (error) {
    if (error instanceof InvalidCampaignConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('the campaign config', () => {
  it('accepts the config that ships with the repo', () => {
    // Act
    const config = parseCampaignConfig(defaultCampaignConfig);
    // Assess
    expect(config.campaigns.map((campaign) => campaign.audience.status).sort()).toEqual(['at_risk', 'lost']);
    expect(config.campaigns.every((campaign) => campaign.steps.length === 3 && campaign.experiment.holdoutPercent === 10)).toBe(true);
    expect(config.guardrails.quietHours).toBeDefined();
  });

  it('lists every problem by path, at once', () => {
    // Act
    const paths = problemsOf(fixture('invalid-many-problems.json')).map((problem) => problem.path);
    // Assess
    expect(paths).toEqual(
      expect.arrayContaining([
        'shop.postalAddress',
        'shop.timeZone',
        'shop.currency',
        'classification.lostMultiplier',
        'guardrails.frequencyCapp',
        'guardrails.quietHours.start',
        'campaigns[0].id',
        'campaigns[0].audience.status',
        'campaigns[0].sender.fromAddress',
        'campaigns[0].steps[0].offer.value',
        'campaigns[0].experiment.holdoutPercent',
        'campaigns[0].experiment.variants',
      ]),
    );
  });

  it('calls an unknown key a likely typo', () => {
    // Prepare
    const raw = { ...structuredClone(defaultCampaignConfig), campaigns: [{ ...structuredClone(defaultCampaignConfig.campaigns[0]!), discuont: 10 }] };
    // Act / Assess
    expect(problemsOf(raw)).toEqual([{ path: 'campaigns[at-risk-nudge].discuont', problem: 'unknown key (a typo?)' }]);
  });

  it('refuses a template that does not render against a sample customer', () => {
    // Prepare
    const raw = structuredClone(defaultCampaignConfig);
    raw.campaigns[0]!.steps[0]!.content.subject = 'Hi {{ customer.frist_name }}';
    // Act
    const problems = problemsOf(raw);
    // Assess
    expect(problems).toEqual([{ path: 'campaigns[at-risk-nudge].steps[0].content.subject', problem: expect.stringContaining('customer.frist_name') }]);
  });

  it('requires the unsubscribe link and the postal address in both bodies', () => {
    // Prepare
    const raw = structuredClone(defaultCampaignConfig);
    raw.campaigns[1]!.steps[2]!.content.text = 'Hi {{ customer.first_name }}, come back!';
    // Act
    const problems = problemsOf(raw);
    // Assess
    expect(problems.map((problem) => problem.path)).toEqual(['campaigns[lost-winback].steps[2].content.text', 'campaigns[lost-winback].steps[2].content.text']);
    expect(problems.map((problem) => problem.problem).join(' ')).toMatch(/unsubscribe_url.*postal_address/);
  });

  it('requires unique campaign ids', () => {
    // Prepare
    const raw = structuredClone(defaultCampaignConfig);
    raw.campaigns.push(structuredClone(raw.campaigns[1]!));
    // Act
    const paths = problemsOf(raw).map((problem) => problem.path);
    // Assess
    expect(paths).toEqual(['campaigns[2].id']);
  });

  it('answers any JSON with a config or a list of problems, never a crash', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ version: fc.constant(2), shop: fc.jsonValue(), campaigns: fc.array(fc.jsonValue()) })), (input) => {
        const problems = problemsOf(input);
        expect(problems.length).toBeGreaterThan(0);
        for (const problem of problems) expect(problem.path.length).toBeGreaterThan(0);
      }),
    );
  });

  it('checks the sequence: day 0 first, steps in order, a coupon for every offer', () => {
    // Prepare
    const raw = structuredClone(defaultCampaignConfig) as { campaigns: { steps: { delayDays: number }[]; coupon?: unknown }[] };
    raw.campaigns[0]!.steps[0]!.delayDays = 2;
    raw.campaigns[0]!.steps[2]!.delayDays = 7;
    delete raw.campaigns[1]!.coupon;
    // Act
    const problems = problemsOf(raw);
    // Assess
    expect(problems.map((problem) => problem.path)).toEqual(
      expect.arrayContaining(['campaigns[at-risk-nudge].steps[0].delayDays', 'campaigns[at-risk-nudge].steps[2].delayDays', 'campaigns[lost-winback].coupon']),
    );
  });

  it('exports a JSON Schema that names every top-level section', () => {
    // Act
    const schema = campaignConfigJsonSchema() as { properties: Record<string, unknown>; additionalProperties?: unknown };
    // Assess
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['version', 'shop', 'classification', 'guardrails', 'attribution', 'campaigns']));
    expect(schema.additionalProperties).toBe(false);
  });

  it('ships its JSON Schema beside the default config, in step with the zod schema', () => {
    // Prepare
    const shipped = JSON.parse(readFileSync(new URL('../../lib/config/campaign-config.schema.json', import.meta.url), 'utf8')) as unknown;
    // Act / Assess (regenerate with: npx winback campaigns schema > lib/config/campaign-config.schema.json)
    expect(shipped).toEqual(campaignConfigJsonSchema());
  });

  it('refuses unknown reason codes and out-of-range variant offers', () => {
    // Prepare
    type Raw = { campaigns: { audience: Record<string, unknown>; experiment: { variants: Record<string, unknown>[] } }[] };
    const typo = structuredClone(defaultCampaignConfig) as Raw;
    typo.campaigns[0]!.audience.reasonCodes = ['overdue_own_cadense'];
    const tooBig = structuredClone(defaultCampaignConfig) as Raw;
    tooBig.campaigns[1]!.experiment.variants[1]!.offerValue = 150;
    // Act / Assess
    expect(problemsOf(typo).map((problem) => problem.path)).toEqual(['campaigns[at-risk-nudge].audience.reasonCodes[0]']);
    expect(problemsOf(tooBig).map((problem) => problem.path)).toEqual(['campaigns[lost-winback].experiment.variants[1].offerValue']);
  });

  it('ignores prototype-pollution keys instead of obeying them', () => {
    // Prepare
    const raw = JSON.parse(JSON.stringify(defaultCampaignConfig).replace('"version":2', '"version":2,"__proto__":{"polluted":true}'));
    // Act
    const problems = problemsOf(raw);
    // Assess
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(problems.map((problem) => problem.path)).toEqual(['__proto__']);
  });
});
