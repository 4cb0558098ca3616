import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCampaignConfig, sampleVariables } from '../../lib/config/campaign-config.js';
import defaultCampaignConfig from '../../lib/config/default-campaign-config.json' with { type: 'json' };
import { ProductStatsBuilder, productKey, recommendFor } from '../../lib/domain/recommendations.js';
import { callToActionUrl, tagShopLinks, utmTags, withUtm } from '../../lib/domain/shop-links.js';
import { renderEmail, templateProblems } from '../../lib/domain/templating.js';
import { buildDefaultConfig, defaultConfigPath } from '../../lib/email/build-default-config.js';
import { designEmail } from '../../lib/email/design.js';

const utm = utmTags('lost-winback', 0, 'control');

describe('the shipped email design', () => {
  it('is what lib/email/default-emails.ts compiles to (run npm run emails:build after changing either)', () => {
    // Prepare
    const stored = readFileSync(defaultConfigPath, 'utf8');
    // Act
    const built = buildDefaultConfig(stored);
    // Assess
    expect(built).toBe(stored);
  });

  it('compiles to responsive HTML that passes the template checks, with the required parts on every branch', () => {
    // Act
    const designed = designEmail({ headline: 'Hello', paragraphs: ['A line for {{ customer.first_name }}.'], callToAction: 'Shop now' });
    // Assess
    expect(designed.html).toMatch(/@media only screen and \(min-width:480px\)/);
    expect(templateProblems(designed.html, 'html')).toEqual([]);
    expect(templateProblems(designed.text, 'text')).toEqual([]);
  });

  it('refuses copy that would be HTML in one part and text in the other', () => {
    expect(() => designEmail({ headline: 'Fish & chips', paragraphs: [], callToAction: 'Go' })).toThrow(/plain text/);
  });

  it('renders a shipped email with a button, products, the survey and the preheader inside the body', () => {
    // Prepare
    const config = parseCampaignConfig(defaultCampaignConfig);
    const campaign = config.campaigns.find((each) => each.id === 'lost-winback')!;
    // Act
    const email = renderEmail(campaign.steps[0]!.content, sampleVariables(campaign, config.shop));
    // Assess
    expect(email.html.indexOf('A thank-you for coming back')).toBeGreaterThan(email.html.indexOf('<body'));
    expect(email.html).toContain('Come back and save');
    expect(email.html).toContain('Stoneware Mug, Sage');
    expect(email.html).toContain('Why did you stop ordering?');
    expect(email.text).toContain('Come back and save: https://alderandfinch.example');
    expect(email.text).toContain('- Linen Tea Towel Set, €24.00');
  });

  it('leaves out the survey, the products and the button when there are none', () => {
    // Prepare
    const config = parseCampaignConfig(defaultCampaignConfig);
    const campaign = config.campaigns[0]!;
    const variables = {
      ...sampleVariables(campaign, config.shop),
      recommendations: [],
      links: { shop: '', cta: '' },
      feedback: { question: 'Q?', answers: [] },
    };
    // Act
    const email = renderEmail(campaign.steps[0]!.content, variables);
    // Assess
    expect(email.html).not.toContain('Q?');
    expect(email.html).not.toContain('Picked for you');
    expect(email.html).not.toContain("See what's new");
    expect(email.text).not.toContain('Picked for you');
  });
});

describe('links into the shop', () => {
  it('tags the home page with UTM source, medium, campaign and content', () => {
    expect(withUtm('https://shop.example/', utm)).toBe(
      'https://shop.example/?utm_source=winback&utm_medium=email&utm_campaign=lost-winback&utm_content=step-1-control',
    );
  });

  it("applies the code through Shopify's /discount link and redirects to the tagged home page", () => {
    // Act
    const url = new URL(callToActionUrl('https://shop.example', 'shopify', 'WB-7Q2K', utm)!);
    // Assess
    expect(url.pathname).toBe('/discount/WB-7Q2K');
    expect(url.searchParams.get('redirect')).toMatch(/^\/\?utm_source=winback/);
    expect(url.searchParams.get('utm_medium')).toBe('email');
  });

  it('applies the code with ?coupon= on WooCommerce, and only links the shop elsewhere', () => {
    expect(new URL(callToActionUrl('https://shop.example', 'woocommerce', 'WB-7Q2K', utm)!).searchParams.get('coupon')).toBe('WB-7Q2K');
    expect(callToActionUrl('https://shop.example', 'other', 'WB-7Q2K', utm)).toBe(withUtm('https://shop.example', utm));
  });

  it("tags a marketer's own links into the shop, and no other link", () => {
    // Prepare
    const html = '<a href="https://www.shop.example/collections/mugs?sort=new&amp;x=1">Mugs</a> <a href="https://winback.invalid/u/t">Unsubscribe</a>';
    // Act
    const tagged = tagShopLinks(html, 'html', 'https://shop.example', utm);
    const text = tagShopLinks('See https://shop.example/mugs. Or https://other.example/.', 'text', 'https://shop.example', utm);
    // Assess
    expect(tagged).toContain('href="https://www.shop.example/collections/mugs?sort=new&amp;x=1&amp;utm_source=winback&amp;utm_medium=email');
    expect(tagged).toContain('href="https://winback.invalid/u/t"');
    expect(text).toBe(`See ${withUtm('https://shop.example/mugs', utm)}. Or https://other.example/.`);
  });

  it('never throws and never drops text, whatever the template wrote', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('html' as const, 'text' as const), (body, kind) => {
        const tagged = tagShopLinks(body, kind, 'https://shop.example', utm);
        expect(tagged.length).toBeGreaterThanOrEqual(body.length);
      }),
    );
  });
});

describe("recommendations from the shop's orders", () => {
  const asOf = new Date('2026-12-01T00:00:00Z');
  const line = (title: string, priceMinor = 1000) => ({ title, sku: title.toUpperCase().replace(/\W/g, ''), priceMinor });

  it('shows what is bought together with what the customer bought, then best sellers, never what they own', () => {
    // Prepare
    const builder = new ProductStatsBuilder(asOf);
    for (let index = 0; index < 5; index += 1) builder.add([line('Mug'), line('Saucer')], '2026-11-20T10:00:00Z');
    for (let index = 0; index < 9; index += 1) builder.add([line('Candle')], '2026-11-25T10:00:00Z');
    builder.add([line('Mug'), line('Teapot')], '2026-11-02T10:00:00Z');
    // Act
    const chosen = recommendFor(builder.build(), [line('Mug')], 3).map((product) => product.title);
    // Assess
    expect(chosen).toEqual(['Saucer', 'Teapot', 'Candle']);
  });

  it('leaves out best sellers older than 90 days and a product bought under another name', () => {
    // Prepare
    const builder = new ProductStatsBuilder(asOf);
    builder.add([line('Old Lamp')], '2026-01-01T10:00:00Z');
    builder.add([{ title: 'Candle', priceMinor: 900 }], '2026-11-25T10:00:00Z');
    // Act
    const chosen = recommendFor(builder.build(), [line('candle')], 3);
    // Assess
    expect(chosen).toEqual([]);
    expect(productKey({ title: '  Big  Mug ' })).toBe('title:big mug');
  });

  it('never throws on odd lines, and never recommends more than asked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.record({ title: fc.string(), priceMinor: fc.integer(), sku: fc.option(fc.string(), { nil: undefined }) }), { maxLength: 6 }), {
          maxLength: 30,
        }),
        fc.integer({ min: 0, max: 5 }),
        (orders, count) => {
          const builder = new ProductStatsBuilder(asOf);
          for (const lines of orders) builder.add(lines, '2026-11-20T10:00:00Z');
          const stats = builder.build();
          const bought = orders[0] ?? [];
          const chosen = recommendFor(stats, bought, count);
          expect(chosen.length).toBeLessThanOrEqual(count);
          const owned = new Set(bought.map(productKey));
          for (const product of chosen) expect(owned.has(productKey(product))).toBe(false);
        },
      ),
    );
  });
});
