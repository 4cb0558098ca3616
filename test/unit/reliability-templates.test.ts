import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { type Campaign, type CampaignConfig, InvalidCampaignConfigError, parseCampaignConfig, sampleVariables } from '../../lib/config/campaign-config.js';
import defaultCampaignConfig from '../../lib/config/default-campaign-config.json' with { type: 'json' };
import { formatMailbox } from '../../lib/domain/email.js';
import { greetingName, maxGreetingNameLength } from '../../lib/domain/names.js';
import { RenderBreaker } from '../../lib/domain/render-breaker.js';
import { renderEmail, templateLimits } from '../../lib/domain/templating.js';
import type { OutgoingEmail } from '../../lib/ports/email-sender.js';
import { composeEmail, runStep } from '../../lib/usecases/send-step.js';
import type { SendDependencies, StepRequest } from '../../lib/usecases/step-types.js';
import { customerFrom, testConfig } from '../support/customers.js';

const links = { baseUrl: 'https://shop.example/winback', secret: 'unit-test-signing-key-0123456789abcdef' };
const footer = '{{ shop.postal_address }} {{ unsubscribe_url }}';

function problemsOf(input: unknown): { path: string; problem: string }[] {
  try {
    parseCampaignConfig(input);
  } catch (error) {
    if (error instanceof InvalidCampaignConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

/** The shipped config with one template of the first campaign's first step replaced. */
function withTemplate(field: 'subject' | 'html' | 'text', template: string): unknown {
  const raw = structuredClone(defaultCampaignConfig);
  raw.campaigns[0]!.steps[0]!.content[field] = template;
  return raw;
}

/**
 * A validated config whose lost-winback step 0 body is then swapped for a template validation would refuse: what a
 * config stored before these checks, or a bug in them, would hand the night.
 */
function configSending(html: string): { config: CampaignConfig; campaign: Campaign } {
  const config = testConfig();
  const campaign = config.campaigns.find((candidate) => candidate.id === 'lost-winback')!;
  (campaign.steps[0]!.content as { html: string }).html = html;
  return { config, campaign };
}

function emailTo(firstName: string | undefined, config = testConfig()): OutgoingEmail {
  const campaign = config.campaigns.find((candidate) => candidate.id === 'lost-winback')!;
  const { customer } = customerFrom({ name: 'Ana', orderDays: ['2026-03-01'] });
  const key = { customerId: customer.customerId, campaignId: campaign.id, episode: '2026-03-01', step: 0 };
  const personalisation = { arm: campaign.experiment.variants[0]!.id, offer: { kind: 'none' as const, value: 0 }, offerCode: '', offerExpiresOn: '' };
  const { firstName: _dropped, ...anonymous } = customer;
  return composeEmail(
    { ...(firstName === undefined ? anonymous : { ...customer, firstName }), email: customer.email! },
    campaign,
    key,
    personalisation,
    config,
    links,
  );
}

/** runStep with every port a stub: what it returns, and whether anything was reserved or sent. */
async function stepOutcome(config: CampaignConfig, campaign: Campaign, renderBreaker = new RenderBreaker()) {
  const { customer } = customerFrom({ name: 'Lena', orderDays: ['2026-03-01'] });
  const send = vi.fn(async () => 'message-1');
  const reserve = vi.fn(async () => ({ reserved: true as const }));
  const deps = {
    ledger: { reserve, complete: vi.fn(async () => {}), release: vi.fn(async () => {}) },
    email: { send },
    customers: { recordStep: vi.fn(async () => {}) },
    coupons: { issue: vi.fn(async () => 'WELCOMEBACK-TEST0001') },
    clock: { now: () => new Date('2026-11-22T02:00:00Z') },
    unsubscribe: links,
    renderBreaker,
  } as unknown as SendDependencies;
  const request: StepRequest = {
    kind: 'send',
    customer: customer as StepRequest['customer'],
    campaign,
    episode: '2026-03-01',
    step: 0,
    arm: campaign.experiment.variants[0]!.id,
    journey: { campaignId: campaign.id, episode: '2026-03-01', arm: 'control', startedOn: '2026-11-22', nextStep: 1, lastStepAt: '2026-11-22T02:00:00.000Z' },
    valueAtStakeMinor: 6000,
    runId: 'run-1',
    asOf: '2026-11-22',
    nightAt: new Date('2026-11-22T02:00:00Z'),
  };
  const startedAt = performance.now();
  const result = await runStep(request, config, deps);
  return { result, elapsedMs: performance.now() - startedAt, sent: send.mock.calls.length, reserved: reserve.mock.calls.length };
}

describe('templates read no files', () => {
  it.each(['include', 'render', 'layout'])('refuses the %s tag at validation, naming the campaign and the field', (tag) => {
    // Prepare
    const raw = withTemplate('html', `{% ${tag} 'package.json' %}<p>${footer}</p>`);
    // Act
    const problems = problemsOf(raw);
    // Assess
    expect(problems).toEqual([
      { path: 'campaigns[at-risk-nudge].steps[0].content.html', problem: expect.stringMatching(new RegExp(`at-risk-nudge.*\\{% ${tag} %\\} is not allowed`)) },
    ]);
  });

  it('refuses a file tag hidden in a branch the sample customer never takes', () => {
    // Act
    const problems = problemsOf(withTemplate('text', `{% if customer.first_name != "Sam" %}{% include 'package.json' %}{% endif %}${footer}`));
    // Assess
    expect(problems.map((problem) => problem.path)).toEqual(['campaigns[at-risk-nudge].steps[0].content.text']);
  });

  it('renders nothing at send time from a stored template that includes a file: the email fails as render_failed', async () => {
    // Prepare
    const { config, campaign } = configSending(`{% include 'package.json' %}${footer}`);
    // Act
    const { result, sent, reserved } = await stepOutcome(config, campaign);
    // Assess
    expect(result).toEqual({ outcome: 'skipped', reason: 'render_failed' });
    expect({ sent, reserved }).toEqual({ sent: 0, reserved: 0 });
  });
});

describe('templates run within limits', () => {
  it('fails a loop over a hundred million items as render_failed, within the render limit', async () => {
    // Prepare
    const { config, campaign } = configSending(`{% for i in (1..100000000) %}{{ i }}{% endfor %}${footer}`);
    // Act
    const { result, elapsedMs, sent } = await stepOutcome(config, campaign);
    // Assess
    expect(result).toEqual({ outcome: 'skipped', reason: 'render_failed' });
    expect(sent).toBe(0);
    expect(elapsedMs).toBeLessThan(templateLimits.renderLimit + 1_000);
  });

  it('fails nested loops that allocate little but run long, within the render limit', async () => {
    // Prepare
    const { config, campaign } = configSending(`{% for i in (1..4000) %}{% for j in (1..4000) %}{% endfor %}{% endfor %}${footer}`);
    // Act
    const { result, elapsedMs } = await stepOutcome(config, campaign);
    // Assess
    expect(result).toEqual({ outcome: 'skipped', reason: 'render_failed' });
    expect(elapsedMs).toBeLessThan(templateLimits.renderLimit + 1_000);
  });

  it('accepts at validation the shipped config though the machine stalls 600 ms in its first render, which fails a night render', () => {
    // Prepare: the render limit is wall-clock time; one stall of 600 ms is what a loaded CI machine or a GC pause looks like.
    const stalledClock = () => {
      let calls = 0;
      return vi.spyOn(performance, 'now').mockImplementation(() => (++calls > 1 ? 600 : 0));
    };
    const sample = sampleVariables({ id: 'c', name: 'C' }, testConfig().shop);
    const content = { subject: 'x', text: 'x', html: `{% for i in (1..10) %}{{ i }}{% endfor %}${footer}` };
    // Act
    let clock = stalledClock();
    const problems = problemsOf(structuredClone(defaultCampaignConfig));
    clock.mockRestore();
    clock = stalledClock();
    let nightError: unknown;
    try {
      renderEmail(content, sample);
    } catch (error) {
      nightError = error;
    } finally {
      clock.mockRestore();
    }
    // Assess
    expect(problems).toEqual([]);
    expect(String(nightError)).toContain('render limit exceeded');
  });

  it('refuses at validation a template that exceeds the limits for the sample customer', () => {
    // Act
    const problems = problemsOf(withTemplate('text', `{% for i in (1..100000000) %}x{% endfor %}${footer}`));
    // Assess
    expect(problems).toEqual([{ path: 'campaigns[at-risk-nudge].steps[0].content.text', problem: expect.stringContaining('limit exceeded') }]);
  });

  it('skips a campaign whose emails keep failing as render_paused, without issuing coupons or rendering again', async () => {
    // Prepare
    const { config, campaign } = configSending(`{% for i in (1..100000000) %}{% endfor %}${footer}`);
    const breaker = new RenderBreaker({ consecutiveFailures: 3, minAttempts: 100, failureShare: 1 });
    // Act
    const outcomes = [];
    for (let attempt = 0; attempt < 5; attempt++) outcomes.push((await stepOutcome(config, campaign, breaker)).result);
    // Assess
    expect(outcomes.map((outcome) => (outcome.outcome === 'skipped' ? outcome.reason : outcome.outcome))).toEqual([
      'render_failed',
      'render_failed',
      'render_failed',
      'render_paused',
      'render_paused',
    ]);
  });
});

describe('the render breaker', () => {
  it('stops a campaign after so many failures in a row, and only that campaign', () => {
    // Prepare
    const breaker = new RenderBreaker({ consecutiveFailures: 3, minAttempts: 50, failureShare: 0.5 });
    // Act
    const opened = [breaker.failed('a'), breaker.failed('a'), breaker.failed('b'), breaker.failed('a'), breaker.failed('a')];
    // Assess
    expect(opened).toEqual([false, false, false, true, false]);
    expect([breaker.isOpen('a'), breaker.isOpen('b')]).toEqual([true, false]);
  });

  it('lets occasional failures pass, and stops on a high share once enough were tried', () => {
    // Prepare
    const sparse = new RenderBreaker({ consecutiveFailures: 3, minAttempts: 10, failureShare: 0.5 });
    const frequent = new RenderBreaker({ consecutiveFailures: 3, minAttempts: 10, failureShare: 0.5 });
    // Act
    for (let index = 0; index < 30; index++) {
      if (index % 4 === 0) sparse.failed('a');
      else sparse.rendered('a');
      if (index % 2 === 0) frequent.failed('a');
      else frequent.rendered('a');
    }
    // Assess
    expect(sparse.isOpen('a')).toBe(false);
    expect(frequent.isOpen('a')).toBe(true);
  });
});

describe('the unsubscribe link and the postal address are checked on every branch', () => {
  const refused: [string, string][] = [
    ['behind an if on the first name', '{% if customer.first_name == "Sam" %}{{ unsubscribe_url }}{% endif %} {{ shop.postal_address }}'],
    [
      'in an elsif but not the if',
      '{% if customer.first_name == "Ana" %}hi{% elsif customer.first_name == "Sam" %}{{ unsubscribe_url }}{% else %}{{ unsubscribe_url }}{% endif %} {{ shop.postal_address }}',
    ],
    ['in an unless', '{% unless customer.first_name == "Ana" %}{{ unsubscribe_url }}{% endunless %} {{ shop.postal_address }}'],
    ['in a case without else', '{% case customer.first_name %}{% when "Sam" %}{{ unsubscribe_url }}{% endcase %} {{ shop.postal_address }}'],
    ['in a for without else', '{% for product in customer.last_products %}{{ unsubscribe_url }}{% endfor %} {{ shop.postal_address }}'],
    [
      'in a for with a limit',
      '{% for product in customer.last_products limit: 0 %}{{ unsubscribe_url }}{% else %}{{ unsubscribe_url }}{% endfor %} {{ shop.postal_address }}',
    ],
    [
      'after a break',
      '{% for product in customer.last_products %}{% break %}{{ unsubscribe_url }}{% else %}{{ unsubscribe_url }}{% endfor %} {{ shop.postal_address }}',
    ],
    ['in a comment', '{% comment %}{{ unsubscribe_url }}{% endcomment %} {{ shop.postal_address }}'],
    ['as literal text', '{% raw %}{{ unsubscribe_url }}{% endraw %} https://shop.example/unsubscribe {{ shop.postal_address }}'],
    ['captured, never shown', '{% capture link %}{{ unsubscribe_url }}{% endcapture %} {{ shop.postal_address }}'],
    ['through a filter that drops it', '{{ unsubscribe_url | slice: 0, 0 }} {{ shop.postal_address }}'],
    ['after assigning it', '{% assign unsubscribe_url = "https://evil.example" %}{{ unsubscribe_url }} {{ shop.postal_address }}'],
    ['with the address in one branch only', '{{ unsubscribe_url }} {% if customer.first_name == "Sam" %}{{ shop.postal_address }}{% endif %}'],
  ];
  const accepted: [string, string][] = [
    ['at the top level', '{{ unsubscribe_url }} {{ shop.postal_address }}'],
    [
      'in every branch of an if',
      '{% if customer.first_name == "Sam" %}{{ unsubscribe_url }}{% elsif customer.first_name == "Ana" %}{{ unsubscribe_url | escape }}{% else %}{{ unsubscribe_url }}{% endif %} {{ shop["postal_address"] }}',
    ],
    [
      'in every branch of a case',
      '{% case customer.first_name %}{% when "Sam" %}{{ unsubscribe_url }}{% else %}{{ unsubscribe_url }}{% endcase %} {{ shop.postal_address }}',
    ],
    [
      'in a for and its else',
      '{% for product in customer.last_products %}{{ unsubscribe_url }}{% else %}{{ unsubscribe_url }}{% endfor %} {{ shop.postal_address }}',
    ],
    ['echoed from a liquid tag', '{% liquid\necho unsubscribe_url\necho shop.postal_address\n%}'],
  ];

  it.each(refused)('refuses the link %s, in the HTML and in the text part', (_case, template) => {
    for (const field of ['html', 'text'] as const) {
      // Act
      const problems = problemsOf(withTemplate(field, template));
      // Assess
      expect(problems.map((problem) => problem.path)).toContain(`campaigns[at-risk-nudge].steps[0].content.${field}`);
      expect(problems.map((problem) => problem.problem).join(' ')).toMatch(/at-risk-nudge.*(every branch|must not assign)/);
    }
  });

  it.each(accepted)('accepts the link %s', (_case, template) => {
    // Act / Assess
    expect(problemsOf(withTemplate('html', template))).toEqual([]);
    expect(problemsOf(withTemplate('text', template))).toEqual([]);
  });
});

const bidiAndControls = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029]/u;

describe('names are shown only when they can be shown as written', () => {
  it('greets a 255-character first name holding a URL and a right-to-left override with the default', () => {
    // Prepare
    const hostile = `Ana \u202Emoc.live\u202C visit https://evil.example/claim ${'x'.repeat(200)}`.slice(0, 255);
    // Act
    const email = emailTo(hostile);
    // Assess
    expect(email.subject).toBe(emailTo(undefined).subject);
    expect(email.subject).toContain('there');
    expect(`${email.subject}${email.html}${email.text}`).not.toMatch(/evil|\u202E/);
  });

  it.each([
    ['a URL', 'https://evil.example'],
    ['a www address', 'www.evil'],
    ['a bare domain', 'evil.com'],
    ['an email address', 'ana@evil'],
    ['a right-to-left override', 'Ana\u202E'],
    ['a left-to-right isolate', '\u2066Ana\u2069'],
    ['a right-to-left mark', 'Ana\u200F'],
    ['an Arabic letter mark', 'Ana\u061C'],
    ['a line break', 'Ana\nBcc: x@example.net'],
    ['a control character', 'Ana\u0007'],
    ['41 characters', 'A'.repeat(41)],
  ])('refuses a name with %s', (_case, name) => {
    // Act / Assess
    expect(greetingName(name)).toBeUndefined();
  });

  it.each([
    ['Ana', 'Ana'],
    ['  Zoë   Marie ', 'Zoë Marie'],
    ['Søren', 'Søren'],
    ['محمد', 'محمد'],
    ['王小明', '王小明'],
    ['Jean-Luc', 'Jean-Luc'],
    ["O'Brien", "O'Brien"],
    ['A'.repeat(40), 'A'.repeat(40)],
  ])('keeps the real name %s', (name, shown) => {
    // Act / Assess
    expect(greetingName(name)).toBe(shown);
  });

  it('never shows a name with a control or bidirectional character, or longer than the limit', () => {
    const hostileChars = fc.constantFrom(
      '\u202A',
      '\u202B',
      '\u202C',
      '\u202D',
      '\u202E',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
      '\u200E',
      '\u200F',
      '\u061C',
      '\n',
      '\r',
      '\t',
      '\u0000',
      '\u001B',
      '\u007F',
      '\u0085',
      '\u2028',
    );
    const name = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      fc.tuple(fc.string({ maxLength: 30 }), hostileChars, fc.string({ maxLength: 30 })).map(([before, char, after]) => `${before}${char}${after}`),
    );
    fc.assert(
      fc.property(name, (candidate) => {
        // Act
        const shown = greetingName(candidate);
        // Assess
        if (shown === undefined) return;
        expect(shown).not.toMatch(bidiAndControls);
        expect([...shown].length).toBeLessThanOrEqual(maxGreetingNameLength);
        expect(shown).toBe(shown.trim());
      }),
      { numRuns: 500 },
    );
  });

  it('never puts a control or bidirectional character from a name into the subject or the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (firstName) => {
        // Act
        const email = emailTo(firstName);
        // Assess
        expect(email.subject).not.toMatch(bidiAndControls);
        expect(email.text.replace(/\n/g, '')).not.toMatch(bidiAndControls);
      }),
      { numRuns: 100 },
    );
  });
});

/** Decodes RFC 2047 B-encoded words the way a mail client does: adjacent words join without the space between them. */
function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=/g, (_word, base64: string) => Buffer.from(base64, 'base64').toString('utf8'));
}

describe('display names are encoded as mail headers require', () => {
  it('sends a non-ASCII shop name as RFC 2047 encoded-words that decode to the name', () => {
    // Prepare
    const config = testConfig((raw) => {
      for (const campaign of raw.campaigns) campaign.sender.fromName = 'Café Zoë · Ünïcode 商店';
    });
    // Act
    const email = emailTo('Ana', config);
    // Assess
    expect(email.from).toMatch(/^[\x20-\x7E]+$/);
    expect(email.from).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=(?: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=)* <[^<>\s]+@[^<>\s]+>$/);
    expect(decodeHeader(email.from)).toBe(`Café Zoë · Ünïcode 商店 <${config.campaigns[0]!.sender.fromAddress}>`);
  });

  it('turns any display name into a header of printable ASCII, in encoded-words of at most 75 characters', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 100 })), (name) => {
        // Act
        const mailbox = formatMailbox(name, 'winback@shop.example');
        // Assess
        expect(mailbox).toMatch(/^[\x20-\x7E]+$/);
        expect(mailbox.endsWith('winback@shop.example') || mailbox.endsWith('<winback@shop.example>')).toBe(true);
        for (const word of mailbox.match(/=\?[^?]*\?B\?[^?]*\?=/g) ?? []) expect(word.length).toBeLessThanOrEqual(75);
        const shown = decodeHeader(mailbox);
        expect(shown).not.toMatch(bidiAndControls);
      }),
      { numRuns: 1000 },
    );
  });
});
