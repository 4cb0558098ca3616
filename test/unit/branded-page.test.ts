import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { brandedHtml, brandedPage, type PageBranding, pageBranding, pageBrandingOf } from '../../lib/http/branded-page.js';
import { testConfig } from '../support/customers.js';

const branding: PageBranding = {
  shopName: 'Alder & Finch',
  shopUrl: 'https://alderandfinch.example',
  logoUrl: 'https://cdn.example.com/logo.png',
  brandColor: '#2F5D50',
};
const body = '<h1>Unsubscribe?</h1><button type="submit">Unsubscribe</button>';

/** The markup a page is made of: its tags, attribute quotes and style rules, wherever they come from. */
const markupOf = (html: string) => ({
  tags: html.split('<').length,
  quotes: html.split('"').length,
  rules: (/<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '').split('{').length,
  style: /<style>([\s\S]*?)<\/style>/.exec(html)?.[1]?.replace(/#[0-9a-fA-F]{6}/g, '#colour').length,
});

describe('branded pages (unsubscribe, feedback)', () => {
  it("shows the shop's name, logo linking to the shop, and brand colour on the button", () => {
    // Act
    const html = brandedPage('Unsubscribe', body, branding);
    // Assess
    expect(html).toContain('<title>Unsubscribe · Alder &amp; Finch</title>');
    expect(html).toContain('<a href="https://alderandfinch.example/"><img src="https://cdn.example.com/logo.png" alt="Alder &amp; Finch"');
    expect(html).toMatch(/button\{[^}]*background:#2F5D50;color:#ffffff/);
    expect(html).toContain(body);
  });

  it('shows the name as a wordmark without a logo, and a dark label on a pale brand colour', () => {
    // Act
    const html = brandedPage('Thank you', body, { shopName: 'Pale Co', brandColor: '#FFF3B0' });
    // Assess
    expect(html).not.toContain('<img');
    expect(html).toContain('<span class="wordmark">Pale Co</span>');
    expect(html).toMatch(/button\{[^}]*background:#FFF3B0;color:#111111/);
  });

  it('is a plain page when no config could be read', () => {
    // Act
    const html = brandedPage('Unsubscribe', body);
    // Assess
    expect(html).not.toMatch(/<header|<footer|<img/);
    expect(html).toContain('<title>Unsubscribe</title>');
  });

  it("takes the branding from the config's shop", () => {
    // Act
    const fromConfig = pageBrandingOf(testConfig((raw) => Object.assign(raw.shop.branding, { logoUrl: 'https://cdn.example.com/l.png' })).shop);
    // Assess
    expect(fromConfig).toEqual({
      shopName: 'Alder & Finch',
      shopUrl: 'https://alderandfinch.example',
      logoUrl: 'https://cdn.example.com/l.png',
      brandColor: '#2F5D50',
    });
  });

  it("lets images in from the logo's origin only", () => {
    // Act
    const withLogo = brandedHtml(200, 'Unsubscribe', body, branding);
    const withoutLogo = brandedHtml(200, 'Unsubscribe', body, { shopName: 'Pale Co', brandColor: '#FFF3B0' });
    // Assess
    expect(withLogo.headers!['content-security-policy']).toMatch(/^default-src 'none';.*; img-src https:\/\/cdn\.example\.com$/);
    expect(withoutLogo.headers!['content-security-policy']).not.toContain('img-src');
  });

  it('adds no markup of its own from any shop name or colour a marketer writes (no HTML or CSS injection)', () => {
    const anyText = fc.oneof(
      fc.string(),
      fc.constantFrom('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'};body{display:none}", '</style><script>x</script>', '#000000;}body{x'),
    );
    fc.assert(
      fc.property(anyText, anyText, (shopName, brandColor) => {
        // Prepare: the same page with harmless values holds exactly the markup the page itself writes
        const harmless = brandedPage('Unsubscribe', body, { ...branding, shopName: 'x', brandColor: '#000000' });
        // Act
        const html = brandedPage('Unsubscribe', body, { ...branding, shopName, brandColor });
        // Assess
        expect(markupOf(html)).toEqual(markupOf(harmless));
      }),
    );
  });

  it('adds no markup from any shop or logo URL: an invalid one is left out, a valid one stays inside its attribute', () => {
    const anyUrl = fc.oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.string(),
      fc.constantFrom('https://x.example/"><script>alert(1)</script>', "https://x.example/'onerror='alert(1)", 'javascript:alert(1)', 'http://plain.example'),
    );
    const usable = (url: string) => URL.canParse(url) && new URL(url).protocol === 'https:';
    fc.assert(
      fc.property(anyUrl, anyUrl, (shopUrl, logoUrl) => {
        // Prepare: the page with the same URLs made harmless (valid ones a plain https address, invalid ones dropped)
        const harmless = brandedPage('Unsubscribe', body, {
          ...branding,
          ...(usable(shopUrl) ? { shopUrl: 'https://a.example' } : { shopUrl: '' }),
          ...(usable(logoUrl) ? { logoUrl: 'https://b.example/l.png' } : { logoUrl: '' }),
        });
        // Act
        const html = brandedPage('Unsubscribe', body, { ...branding, shopUrl, logoUrl });
        // Assess
        expect(markupOf(html)).toEqual(markupOf(harmless));
        expect(html).not.toMatch(/<script|javascript:/i);
      }),
    );
  });

  it('keeps a valid https URL that carries markup-like characters inside its attribute', () => {
    // Act
    const html = brandedPage('Unsubscribe', body, { shopName: 'x', brandColor: '#000000', shopUrl: 'https://shop.example/?a="><script>' });
    // Assess
    expect(html).toContain('href="https://shop.example/?a=%22%3E%3Cscript%3E"');
  });
});

describe('the branding of the config in force', () => {
  it('is none, and the failure reported, when the config cannot be read: the page is plain, the unsubscribe goes on', async () => {
    // Prepare
    const reported: unknown[] = [];
    // Act
    const branding = await pageBranding(
      () => Promise.reject(new Error('DynamoDB did not answer')),
      (error) => reported.push(error),
    );
    // Assess
    expect(branding).toBeUndefined();
    expect(reported).toHaveLength(1);
  });
});
