/**
 * Links from an email into the shop. Every one carries UTM tags, so the shop's own analytics (Shopify, Google
 * Analytics, WooCommerce's order attribution) credit the visit to the win-back email; the call to action applies the
 * customer's code where the platform can do it from a link.
 */

export type ShopPlatform = 'shopify' | 'woocommerce' | 'other';

export interface UtmTags {
  /** Always "winback": which tool sent the email. */
  readonly source: string;
  /** Always "email". */
  readonly medium: string;
  /** The campaign id. */
  readonly campaign: string;
  /** The step and variant ("step-2-control"), so a test's variants can be told apart in the shop's analytics. */
  readonly content?: string;
}

export function utmTags(campaignId: string, step: number, variant: string): UtmTags {
  return { source: 'winback', medium: 'email', campaign: campaignId, content: `step-${step + 1}-${variant}` };
}

/** The URL with the UTM tags set (an existing utm_* parameter of the same name is replaced), or undefined when it is not a URL. */
export function withUtm(url: string, utm: UtmTags): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  parsed.searchParams.set('utm_source', utm.source);
  parsed.searchParams.set('utm_medium', utm.medium);
  parsed.searchParams.set('utm_campaign', utm.campaign);
  if (utm.content) parsed.searchParams.set('utm_content', utm.content);
  return parsed.toString();
}

/**
 * The call to action: the shop's home page, with the code applied when the platform takes it from a link.
 * - Shopify: `/discount/CODE?redirect=/PATH` sets the code on the cart and then opens PATH (UTM tags on both, because
 *   the storefront's analytics see the page redirected to).
 * - WooCommerce: `?coupon=CODE`, applied by the common "apply coupon from URL" plugins (core ignores it harmlessly).
 * - Anything else: the home page; the email shows the code to type.
 */
export function callToActionUrl(shopUrl: string, platform: ShopPlatform, code: string, utm: UtmTags): string | undefined {
  const home = withUtm(shopUrl, utm);
  if (!home || !code) return home;
  const url = new URL(home);
  if (platform === 'shopify') {
    const target = `${url.pathname}${url.search}`;
    const discount = new URL(`/discount/${encodeURIComponent(code)}`, url.origin);
    discount.searchParams.set('redirect', target);
    return withUtm(discount.toString(), utm);
  }
  if (platform === 'woocommerce') url.searchParams.set('coupon', code);
  return url.toString();
}

/** A page of the shop for a product with no page in the feed: the platform's own search for its title. */
export function productSearchUrl(shopUrl: string, platform: ShopPlatform, title: string): string | undefined {
  let url: URL;
  try {
    url = new URL(shopUrl);
  } catch {
    return undefined;
  }
  if (platform === 'woocommerce') {
    url.searchParams.set('s', title);
    url.searchParams.set('post_type', 'product');
    return url.toString();
  }
  const search = new URL('/search', url.origin);
  search.searchParams.set('q', title);
  return search.toString();
}

const attributeLink = /(\bhref\s*=\s*)(["'])(https?:\/\/[^"'\s<>]+)\2/gi;
const bareLink = /https?:\/\/[^\s<>"'()]+/gi;

/**
 * Adds UTM tags to every link into the shop that a template wrote without them (a marketer's own link to a
 * collection page, say): `href` attributes in the HTML part, bare URLs in the text part. Links elsewhere (the
 * unsubscribe and feedback pages, social profiles) are left as they are. Links already tagged keep their tags.
 */
export function tagShopLinks(body: string, kind: 'html' | 'text', shopUrl: string | undefined, utm: UtmTags): string {
  const host = hostOf(shopUrl);
  if (!host) return body;
  const tag = (link: string): string => {
    // An HTML attribute holds &amp; for &: work on the real URL, and write it back escaped the same way.
    const escaped = kind === 'html' && link.includes('&amp;');
    const real = escaped ? link.replaceAll('&amp;', '&') : link;
    if (hostOf(real) !== host || /[?&]utm_source=/.test(real)) return link;
    const tagged = withUtm(real, utm);
    if (!tagged) return link;
    return kind === 'html' ? tagged.replaceAll('&', '&amp;') : tagged;
  };
  if (kind === 'html') return body.replace(attributeLink, (_whole, prefix: string, quote: string, link: string) => `${prefix}${quote}${tag(link)}${quote}`);
  return body.replace(bareLink, (link) => {
    // A sentence's full stop or comma after a URL is not part of it.
    const trailing = /[.,;:!?]+$/.exec(link)?.[0] ?? '';
    return `${tag(link.slice(0, link.length - trailing.length))}${trailing}`;
  });
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).host.toLowerCase().replace(/^www\./, '');
  } catch {
    return undefined;
  }
}
