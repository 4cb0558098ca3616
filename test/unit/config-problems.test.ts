import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readJsonFile } from '../../lib/cli/arguments.js';
import { checkCampaignConfig, checkCampaignConfigText, parseCampaignConfig } from '../../lib/config/campaign-config.js';
import defaultCampaignConfig from '../../lib/config/default-campaign-config.json' with { type: 'json' };
import { findJsonSyntaxError } from '../../lib/domain/json-syntax.js';
import { parseJsonText } from '../../lib/domain/webhooks/raw-json.js';

type Raw = typeof defaultCampaignConfig & Record<string, unknown>;
const rawConfig = (): Raw => structuredClone(defaultCampaignConfig) as Raw;
const pathsOf = (input: unknown) => (checkCampaignConfig(input).problems ?? []).map((problem) => problem.path);

describe('campaign config: every problem of a file at once', () => {
  it('lists the checks across fields beside a typo elsewhere, instead of hiding them behind it', () => {
    // Prepare: one structural problem (an unknown key) and four that only the checks across fields see
    const raw = rawConfig();
    raw.colour = 'blue';
    raw.campaigns[0]!.steps[1]!.delayDays = 0; // before the step it follows
    raw.campaigns[1]!.steps[0]!.content.subject = 'Hi {{ customer.frist_name | nope }}';
    raw.campaigns[1]!.experiment.variants[1]!.id = raw.campaigns[1]!.experiment.variants[0]!.id;
    raw.campaigns.push(structuredClone(raw.campaigns[0]!));
    // Act
    const paths = pathsOf(raw);
    // Assess
    expect(paths).toEqual(
      expect.arrayContaining([
        'colour',
        'campaigns[0].steps[1].delayDays',
        'campaigns[lost-winback].steps[0].content.subject',
        'campaigns[lost-winback].experiment.variants[1].id',
        'campaigns[2].id',
      ]),
    );
  });

  it('checks the other steps and campaigns when one step does not parse', () => {
    // Prepare
    const raw = rawConfig();
    (raw.campaigns[0]!.steps[0] as Record<string, unknown>).delayDays = 'soon';
    raw.campaigns[0]!.steps[2]!.content.html = '<p>No link, no address</p>';
    raw.campaigns[1]!.steps[2]!.delayDays = 1;
    // Act
    const paths = pathsOf(raw);
    // Assess
    expect(paths).toEqual(
      expect.arrayContaining([
        'campaigns[at-risk-nudge].steps[0].delayDays',
        'campaigns[at-risk-nudge].steps[2].content.html',
        'campaigns[lost-winback].steps[2].delayDays',
      ]),
    );
  });

  it('names a campaign by its id, and by its place only when the id cannot tell it apart', () => {
    // Prepare
    const raw = rawConfig();
    raw.campaigns[1]!.steps[1]!.content.subject = '';
    const badId = rawConfig();
    badId.campaigns[1]!.id = 'Lost Winback';
    badId.campaigns[1]!.steps[1]!.content.subject = '';
    // Act / Assess
    expect(pathsOf(raw)).toEqual(['campaigns[lost-winback].steps[1].content.subject']);
    expect(pathsOf(badId)).toEqual(expect.arrayContaining(['campaigns[1].id', 'campaigns[1].steps[1].content.subject']));
  });
});

describe('campaign config: locale, time zone and currency are ones the emails can be written in', () => {
  it.each([
    ['locale', 'en_US', /BCP 47.*a dash, not an underscore/],
    ['locale', 'tlh', /no date and number formats/],
    ['locale', 'x', /BCP 47/],
    ['timeZone', 'Mars/Olympus', /IANA time zone/],
    ['timeZone', '+01:00', /IANA time zone/],
    ['currency', 'XYZ', /currency code in use/],
  ])('refuses shop.%s %j', (field, value, message) => {
    // Prepare
    const raw = rawConfig();
    (raw.shop as Record<string, unknown>)[field] = value;
    // Act
    const problems = checkCampaignConfig(raw).problems ?? [];
    // Assess
    expect(problems).toEqual([{ path: `shop.${field}`, problem: expect.stringMatching(message) }]);
  });

  it('reports a bad locale and a bad time zone together, with the templates still checked', () => {
    // Prepare
    const raw = rawConfig();
    raw.shop.locale = 'en_US';
    raw.shop.timeZone = 'Europe/Amsterdan';
    raw.campaigns[0]!.steps[0]!.content.text = 'Come back!';
    // Act / Assess
    expect(pathsOf(raw)).toEqual(expect.arrayContaining(['shop.locale', 'shop.timeZone', 'campaigns[at-risk-nudge].steps[0].content.text']));
  });

  it('keeps a valid locale in its canonical form, and renders with it', () => {
    // Prepare
    const raw = rawConfig();
    raw.shop.locale = 'de-de';
    // Act
    const config = parseCampaignConfig(raw);
    // Assess
    expect(config.shop.locale).toBe('de-DE');
  });
});

describe('campaign config files: JSON syntax errors by line and column', () => {
  const broken = '{\n  "version": 2,\n  "shop": { "name": "Alder" }\n  "campaigns": []\n}\n';

  it('names the line and column of a missing comma', () => {
    // Act
    const problems = checkCampaignConfigText(broken).problems;
    // Assess
    expect(problems).toEqual([{ path: '(file)', problem: expect.stringContaining("line 4, column 3: expected ',' or '}'") }]);
  });

  it.each([
    ['{"a": 1,}', 1, 9, 'trailing comma'],
    ['[1, 2,\n]', 2, 1, 'trailing comma'],
    ["{'a': 1}", 1, 2, 'double quotes'],
    ['{"a": "x\ny"}', 1, 9, 'control character'],
    ['{"a": [1, 2', 1, 12, "closing ']'"],
    ['{"a": 1} x', 1, 10, 'after the end'],
    ['', 1, 1, 'ends where a value was expected'],
  ])('finds %j wrong at line %i, column %i', (text, line, column, words) => {
    // Act
    const found = findJsonSyntaxError(text);
    // Assess
    expect(found).toMatchObject({ line, column, problem: expect.stringContaining(words) });
  });

  it('says where in `winback campaigns validate FILE` and `npm start -- --config FILE`, and takes a byte-order mark', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'winback-config-'));
    writeFileSync(join(dir, 'broken.json'), broken);
    writeFileSync(join(dir, 'bom.json'), `\uFEFF${JSON.stringify(defaultCampaignConfig)}`);
    // Act
    const failing = readJsonFile(join(dir, 'broken.json')).then(
      () => 'parsed',
      (error: Error) => error.message,
    );
    const withBom = await readJsonFile(join(dir, 'bom.json'));
    // Assess
    expect(await failing).toMatch(/broken\.json is not valid JSON: line 4, column 3/);
    expect(parseCampaignConfig(withBom).campaigns).toHaveLength(2);
  });

  it("says where in the admin API's config routes (and every JSON body)", () => {
    // Act / Assess
    expect(() => parseJsonText(broken)).toThrow(/line 4, column 3/);
  });

  it('finds an error exactly when JSON.parse refuses the text', () => {
    const jsonish = fc.stringMatching(/^[\s{}[\]:,"'\\0-9a-z.+-]*$/);
    const mutated = fc.tuple(fc.jsonValue(), fc.nat(), fc.constantFrom('', ',', '}', ']', '"', ':', '\n', '\\', 'x')).map(([value, at, insert]) => {
      const text = JSON.stringify(value, null, 1);
      const cut = at % (text.length + 1);
      return text.slice(0, cut) + insert + text.slice(cut + (insert ? 0 : 1));
    });
    fc.assert(
      fc.property(fc.oneof(fc.string(), jsonish, mutated), (text) => {
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        expect(findJsonSyntaxError(text) === undefined).toBe(parses);
      }),
      { numRuns: 2000 },
    );
  });

  it('answers any text given as a config file with a config or problems, never a throw', () => {
    const configText = fc.tuple(fc.nat(), fc.nat(), fc.string({ maxLength: 3 })).map(([at, length, insert]) => {
      const text = JSON.stringify(defaultCampaignConfig, null, 2);
      const cut = at % text.length;
      return text.slice(0, cut) + insert + text.slice(cut + (length % 4));
    });
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), configText, fc.constant('['.repeat(100_000))), (text) => {
        const checked = checkCampaignConfigText(text);
        expect(checked.config !== undefined || (checked.problems?.length ?? 0) > 0).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
