import type { CampaignConfig } from '../config/campaign-config.js';
import { escapeHtml, type HttpResult, html } from './responses.js';

/** How the pages a customer lands on from an email (unsubscribe, feedback) look: the shop's own name, logo, colour. */
export interface PageBranding {
  readonly shopName: string;
  readonly shopUrl?: string;
  readonly logoUrl?: string;
  readonly brandColor: string;
}

export function pageBrandingOf(shop: CampaignConfig['shop']): PageBranding {
  return {
    shopName: shop.name,
    brandColor: shop.branding.brandColor,
    ...(shop.url ? { shopUrl: shop.url } : {}),
    ...(shop.branding.logoUrl ? { logoUrl: shop.branding.logoUrl } : {}),
  };
}

const neutralColor = '#222222';
const hexColor = /^#[0-9a-fA-F]{6}$/;

/**
 * The config's schema already holds the colour to #RRGGBB and the URLs to https; these pages check again because
 * a value that slipped through would land inside a <style> block or an attribute, where escaping alone is not enough.
 */
function safeColor(color: string): string {
  return hexColor.test(color) ? color : neutralColor;
}

function httpsUrl(text: string | undefined): URL | undefined {
  if (!text) return undefined;
  try {
    const url = new URL(text);
    return url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** White on a dark brand colour, near-black on a light one: a pale brand colour must not hide the button's label. */
function textOn(color: string): string {
  const [r, g, b] = [1, 3, 5].map((at) => {
    const channel = Number.parseInt(color.slice(at, at + 2), 16) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  // The white/black split where both contrasts are equal (WCAG relative luminance).
  return luminance > 0.179 ? '#111111' : '#ffffff';
}

/**
 * A page in the shop's name: its logo (else its name as a wordmark) linking to the shop, its colour on the buttons and
 * the heading's rule. Every value from the config is marketer input and is escaped; `body` is trusted markup. Without
 * branding (no campaign config could be read) the page is plain and neutral, never an error.
 */
export function brandedPage(title: string, body: string, branding?: PageBranding): string {
  const color = safeColor(branding?.brandColor ?? neutralColor);
  const shopUrl = httpsUrl(branding?.shopUrl);
  const logoUrl = httpsUrl(branding?.logoUrl);
  const name = branding ? escapeHtml(branding.shopName) : '';
  const mark = logoUrl ? `<img src="${escapeHtml(logoUrl.href)}" alt="${name}" width="160">` : name ? `<span class="wordmark">${name}</span>` : '';
  const header = mark ? `<header>${shopUrl ? `<a href="${escapeHtml(shopUrl.href)}">${mark}</a>` : mark}</header>` : '';
  const footer = branding ? `<footer>${shopUrl ? `<a href="${escapeHtml(shopUrl.href)}">${name}</a>` : name}</footer>` : '';
  const fullTitle = branding ? `${escapeHtml(title)} · ${name}` : escapeHtml(title);
  const style = [
    'body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#222}',
    `header{margin-bottom:1.5rem;padding-bottom:1rem;border-bottom:3px solid ${color}}`,
    'header img{max-width:160px;height:auto;display:block}',
    `.wordmark{font-size:1.4rem;font-weight:700;color:${color}}`,
    'header a{text-decoration:none}',
    `button{font-size:1rem;padding:.6rem 1.2rem;border-radius:6px;border:1px solid ${color};background:${color};color:${textOn(color)};cursor:pointer}`,
    'textarea{width:100%;min-height:6rem}label{display:block;margin:.3rem 0}',
    `footer{margin-top:2.5rem;font-size:.9rem;color:#5f6368}footer a{color:${color}}`,
  ].join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${fullTitle}</title><style>${style}</style></head><body>${header}<main>${body}</main>${footer}</body></html>`;
}

/**
 * The page as a response. Its content security policy lets in images from the logo's origin alone (the pages'
 * default allows nothing from elsewhere).
 */
export function brandedHtml(statusCode: number, title: string, body: string, branding?: PageBranding): HttpResult {
  const result = html(statusCode, brandedPage(title, body, branding));
  const logo = httpsUrl(branding?.logoUrl);
  if (!logo) return result;
  const headers = result.headers as Record<string, string>;
  return { ...result, headers: { ...headers, 'content-security-policy': `${headers['content-security-policy']}; img-src ${logo.origin}` } };
}

/**
 * The branding of the config in force, or none when it cannot be read: an unsubscribe must work even when the
 * config store does not answer, so a failure here only makes the page plain.
 */
export async function pageBranding(config: () => Promise<CampaignConfig>, onError: (error: unknown) => void): Promise<PageBranding | undefined> {
  try {
    return pageBrandingOf((await config()).shop);
  } catch (error) {
    onError(error);
    return undefined;
  }
}
