import { z } from 'zod';
import { isTimeZone } from '../domain/dates.js';
import { formatPath } from '../domain/field-path.js';
import { describeJsonSyntaxError } from '../domain/json-syntax.js';
import { exchangeRatePattern } from '../domain/money.js';
import { reasonCodes } from '../domain/reasons.js';

export { formatPath };

import { feedbackVariables, renderEmail, type TemplatePart, type TemplateVariables, templateLimits, templateProblems } from '../domain/templating.js';

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'use 1-48 lowercase letters, digits and dashes');
const nonBlank = z.string().trim().min(1, 'must not be empty');

const httpsUrl = z.url({ protocol: /^https$/, error: 'an https:// address such as "https://shop.example"' }).max(500);

export const shopPlatforms = ['shopify', 'woocommerce', 'other'] as const;

const brandingSchema = z
  .strictObject({
    /** An https image, shown at most 160 px wide at the top of every email and page. */
    logoUrl: httpsUrl.optional(),
    /** The button and accent colour, as #RRGGBB. */
    brandColor: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/, 'a colour as #RRGGBB, such as "#1F4E3D"')
      .default('#1F4E3D'),
    /** A line under every email, above the postal address (opening hours, a slogan). */
    footer: z.string().trim().max(300).optional(),
  })
  .prefault({});

/**
 * An optional product feed: what a line item alone cannot tell (its picture and page). Recommendations are computed
 * from the shop's orders; a product found here by SKU or title gets its image, link and current price.
 */
const productFeedSchema = z
  .array(
    z.strictObject({
      title: nonBlank.max(200),
      sku: z.string().trim().min(1).max(255).optional(),
      url: httpsUrl.optional(),
      imageUrl: httpsUrl.optional(),
      /** The price in minor units of the shop's currency. */
      priceMinor: z.number().int().min(0).max(1_000_000_000).optional(),
    }),
  )
  .max(2000);

const shopSchema = z
  .strictObject({
    name: nonBlank.max(100),
    /** CAN-SPAM: every marketing email carries the sender's physical postal address. */
    postalAddress: z.string().trim().min(10, 'a full postal address is required in every marketing email').max(300),
    // Node 24 (Lambda) also takes UTC offsets such as "+01:00" where Node 20 does not: only IANA names work in both.
    timeZone: z.string().refine((name) => isTimeZone(name) && !/^[+-]/.test(name), 'not an IANA time zone such as "Europe/Amsterdam"'),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as "EUR"')
      .refine((code) => knownCurrencies().has(code), 'not a currency code in use (ISO 4217), such as "EUR"'),
    /** A BCP 47 language tag ("en-IE", "de-DE"): dates and money in every email are written for it. */
    locale: z
      .string()
      .default('en-IE')
      .superRefine((tag, context) => {
        const problem = localeProblem(tag);
        if (problem) context.addIssue({ code: 'custom', message: problem });
      })
      .transform((tag) => Intl.getCanonicalLocales(tag)[0]!),
    /**
     * Units of `currency` one unit of another currency is worth (`{"JPY": "0.0061"}`): orders paid in it count in the
     * shop's totals at that rate. An order in a currency without a rate is still a purchase, its amount in no total.
     */
    exchangeRates: z
      .record(
        z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as "JPY"'),
        z
          .string()
          .regex(exchangeRatePattern, 'a positive decimal string such as "0.0061"')
          .refine((rate) => /[1-9]/.test(rate), 'must be above zero'),
      )
      .optional(),
    /** The storefront's home page (https): every link into the shop starts here and carries UTM tags. */
    url: httpsUrl.optional(),
    /** Where the shop runs: how a link applies a coupon code (Shopify's /discount/CODE, WooCommerce's ?coupon=). */
    platform: z.enum(shopPlatforms).default('other'),
    /** How the shipped email design and the unsubscribe and feedback pages look. */
    branding: brandingSchema,
    /** The shop's NAME.myshopify.com address: where coupon.provider "shopify" creates the codes. */
    shopifyDomain: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com$/, 'the shop\'s NAME.myshopify.com address, such as "my-shop.myshopify.com"')
      .optional(),
    /** The WooCommerce site (https), whose REST API is under /wp-json/wc/v3: where coupon.provider "woocommerce" creates the codes. */
    woocommerceUrl: httpsUrl.optional(),
  })
  .superRefine((shop, context) => {
    // Each part may be valid alone and still fail together: the very formats every email of the night is written with.
    // A part that is invalid alone has its own problem listed already.
    if (localeProblem(shop.locale) || !isTimeZone(shop.timeZone) || !knownCurrencies().has(shop.currency)) return;
    try {
      new Intl.NumberFormat(shop.locale, { style: 'currency', currency: shop.currency }).format(1);
      new Intl.DateTimeFormat(shop.locale, { timeZone: shop.timeZone, dateStyle: 'long' }).format(0);
    } catch (error) {
      context.addIssue({
        code: 'custom',
        path: ['locale'],
        message: `cannot format ${shop.currency} amounts and dates for "${shop.locale}": ${(error as Error).message}`,
      });
    }
  });

let currencies: ReadonlySet<string> | undefined;
const knownCurrencies = () => (currencies ??= new Set(Intl.supportedValuesOf('currency')));

/** Why this text cannot be the shop's locale, or undefined when emails can be formatted for it. */
function localeProblem(tag: string): string | undefined {
  let canonical: string;
  try {
    canonical = Intl.getCanonicalLocales(tag)[0]!;
  } catch {
    return `not a BCP 47 language tag such as "en-US"${tag.includes('_') ? ' (a dash, not an underscore)' : ''}`;
  }
  if (canonical === undefined) return 'not a BCP 47 language tag such as "en-US"';
  if (Intl.DateTimeFormat.supportedLocalesOf([canonical]).length === 0 || Intl.NumberFormat.supportedLocalesOf([canonical]).length === 0) {
    return `no date and number formats for "${canonical}": use a language the runtime knows, such as "en-US" or "de-DE"`;
  }
  return undefined;
}

export const classificationPolicies = ['rule', 'model', 'auto'] as const;
export const scoringModels = ['mbgnbd', 'pareto', 'bgnbd'] as const;

const classificationSchema = z
  .strictObject({
    /** `rule`: the cadence rule; `model`: thresholds on probability alive; `auto`: the model when it is fit to use, else the rule. */
    policy: z.enum(classificationPolicies).default('auto'),
    atRiskMultiplier: z.number().min(1).max(10).default(1.5),
    lostMultiplier: z.number().min(1).max(20).default(2),
    /** A floor on the expected gap, so a customer who bought twice in one week is not "lost" a fortnight later. */
    minExpectedGapDays: z.number().int().min(1).max(365).default(14),
    /** Used for one-time buyers until the shop has enough repeat customers to measure its own second-order gap. */
    fallbackSecondOrderGapDays: z.number().int().min(1).max(730).default(60),
    minRepeatCustomersForShopGap: z.number().int().min(1).default(20),
    model: z
      .strictObject({
        /** BG/NBD calls every one-time buyer alive forever, so MBG/NBD is the default. */
        kind: z.enum(scoringModels).default('mbgnbd'),
        /** Below this probability of being alive a customer is at risk; below lostBelowPAlive, lost. */
        atRiskBelowPAlive: z.number().gt(0).lt(1).default(0.6),
        lostBelowPAlive: z.number().gt(0).lt(1).default(0.3),
        /** `auto` uses the model only with at least this many customers, of whom this many bought twice or more. */
        minCustomers: z.number().int().min(10).default(500),
        minRepeatCustomers: z.number().int().min(5).default(100),
        /** Fit on a uniform sample of at most this many customers (identical summaries are compressed anyway). */
        sampleSize: z.number().int().min(100).max(5_000_000).default(200_000),
        /** An L2 penalty on the log-parameters keeps small shops' fits sane; 0 turns it off. */
        penalty: z.number().min(0).max(10).default(0.01),
        /**
         * A night fits the model again once the last fit is this many days old (1: every night), or sooner when the
         * campaign config changed or the shop grew or shrank by a tenth; between fits it reads only the pace's sample.
         */
        refitAfterDays: z.number().int().min(1).max(90).default(7),
      })
      .prefault({}),
  })
  .refine((value) => value.lostMultiplier > value.atRiskMultiplier, { message: 'must be greater than atRiskMultiplier', path: ['lostMultiplier'] })
  .refine((value) => value.model.lostBelowPAlive < value.model.atRiskBelowPAlive, {
    message: 'must be below atRiskBelowPAlive',
    path: ['model', 'lostBelowPAlive'],
  });

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM, 24-hour');

const guardrailsSchema = z.strictObject({
  /** Across all campaigns: at most maxEmails win-back emails per customer in any perDays days. */
  frequencyCap: z.strictObject({ maxEmails: z.number().int().min(1).max(50).default(2), perDays: z.number().int().min(1).max(365).default(7) }).prefault({}),
  /** After a customer leaves a campaign (sequence done, or exited), they may enter it again only after this many days. */
  cooldownDays: z.number().int().min(0).max(730).default(90),
  /** No email arrives in the customer's own night; it waits for the end of quiet hours, daylight saving included. */
  quietHours: z.strictObject({ start: clockTime, end: clockTime }).optional(),
  /** The most win-back emails the shop sends in one night, highest priority first. */
  dailySendCap: z.number().int().min(1).max(10_000_000).default(50_000),
  /**
   * The deliverability guard: over the last windowDays of sends (at least minVolume of them), a campaign whose bounce
   * or complaint rate reaches these pauses itself, and so does all sending when the shop's does. The defaults sit below
   * SES's review thresholds (bounce 5%, complaint 0.1%); a threshold above SES's own pause levels would guard nothing.
   */
  /**
   * A new shop or sending domain starts small: its first night emails at most `firstNight` people (the most valuable
   * first), each later night at most `growth` times the most it sent on a night of the last `lookbackDays`, until the
   * daily cap is reached. Mailbox providers judge a cold domain that sends thousands at once as a spammer.
   */
  warmUp: z
    .strictObject({
      enabled: z.boolean().default(true),
      firstNight: z.number().int().min(1).max(1_000_000).default(500),
      growth: z.number().min(1.1).max(10).default(2),
      lookbackDays: z.number().int().min(1).max(90).default(14),
    })
    .prefault({}),
  deliverability: z
    .strictObject({
      bounceRatePause: z.number().gt(0).max(0.1, 'at most 0.1: SES may pause the account at a 10% bounce rate').default(0.04),
      complaintRatePause: z.number().gt(0).max(0.005, 'at most 0.005: SES may pause the account at a 0.5% complaint rate').default(0.0008),
      minVolume: z.number().int().min(1).max(10_000_000).default(200),
      /** One complaint among a few hundred emails is noise: a pause for complaints needs at least this many. */
      minComplaints: z.number().int().min(1).max(1000).default(2),
      windowDays: z.number().int().min(1).max(90).default(7),
    })
    .prefault({}),
});

const attributionSchema = z.strictObject({
  /** An order this many days or fewer after a win-back email is credited to it (clicked emails first). */
  windowDays: z.number().int().min(1).max(90).default(7),
});

export const audiences = ['at_risk', 'lost'] as const;
export type Audience = (typeof audiences)[number];

export const couponProviders = ['shopify', 'woocommerce', 'local'] as const;
export const offerKinds = ['none', 'percent', 'fixed_amount', 'free_shipping'] as const;

const offerSchema = z
  .strictObject({
    kind: z.enum(offerKinds).default('none'),
    /** Percent off (1-90), or an amount off in minor units for fixed_amount. */
    value: z.number().int().min(0).max(1_000_000).default(0),
    /** Bigger offers for more valuable customers: the highest tier whose threshold the customer reaches wins. */
    tiers: z
      .array(z.strictObject({ minValueAtStakeMinor: z.number().int().min(0), value: z.number().int().min(0).max(1_000_000) }))
      .max(10)
      .default([]),
  })
  .prefault({})
  .superRefine((offer, context) => {
    if (offer.kind === 'percent') {
      for (const [index, value] of [offer.value, ...offer.tiers.map((tier) => tier.value)].entries()) {
        if (value < 1 || value > 90)
          context.addIssue({ code: 'custom', path: index === 0 ? ['value'] : ['tiers', index - 1, 'value'], message: 'a percent offer is 1 to 90' });
      }
    }
    if (offer.kind === 'fixed_amount' && offer.value < 1)
      context.addIssue({ code: 'custom', path: ['value'], message: 'a fixed amount offer needs an amount in minor units' });
  });

const contentSchema = z.strictObject({
  subject: nonBlank.max(200),
  preheader: z.string().max(200).optional(),
  html: nonBlank.max(100_000),
  text: nonBlank.max(50_000),
});

const stepSchema = z.strictObject({
  /** Days after the first step; the first step is day 0. */
  delayDays: z.number().int().min(0).max(365),
  content: contentSchema,
  offer: offerSchema,
});

const variantSchema = z.strictObject({
  id: slug,
  weight: z.number().int().min(1).max(1000),
  /** A different subject for every step of this variant (Liquid, like the step's own). */
  subject: nonBlank.max(200).optional(),
  /** Replaces the offer's value (percent points or minor units) in every step that has an offer. */
  offerValue: z.number().int().min(0).max(1_000_000).optional(),
});

const campaignSchema = z.strictObject({
  id: slug,
  name: nonBlank.max(100),
  enabled: z.boolean().default(true),
  /** When a customer fits several campaigns, the highest priority wins. */
  priority: z.number().int().min(0).max(1000).default(0),
  audience: z.strictObject({
    status: z.enum(audiences),
    /** Filters over the score fields; every one given must hold. */
    minDaysSinceLastOrder: z.number().int().min(0).optional(),
    maxDaysSinceLastOrder: z.number().int().min(1).default(730),
    minOrders: z.number().int().min(0).optional(),
    maxOrders: z.number().int().min(0).optional(),
    minValueAtStakeMinor: z.number().int().min(0).default(0),
    minPAlive: z.number().min(0).max(1).optional(),
    maxPAlive: z.number().min(0).max(1).optional(),
    minClvMinor: z.number().int().min(0).optional(),
    /** Any of these reason codes (see README "Reason codes"). */
    reasonCodes: z.array(z.enum(reasonCodes)).max(20).optional(),
    /** ISO 3166-1 alpha-2 codes. */
    countries: z
      .array(z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code such as "NL"'))
      .max(250)
      .optional(),
  }),
  sender: z.strictObject({
    fromAddress: z.email('not a valid email address'),
    fromName: nonBlank.max(100),
    replyTo: z.email('not a valid email address').optional(),
  }),
  steps: z.array(stepSchema).min(1, 'a campaign needs at least one step').max(8),
  /**
   * The one-question survey ("What made you stop?") under the email: on by default for lost customers only (an
   * at-risk customer has not stopped). Absent, it follows the audience.
   */
  survey: z.boolean().optional(),
  coupon: z
    .strictObject({
      /** Each recipient gets a unique code: PREFIX-XXXXXXXX (eight letters and digits). */
      prefix: z.string().regex(/^[A-Z0-9]{2,12}$/, '2-12 capital letters or digits'),
      expiresInDays: z.number().int().min(1).max(365).default(14),
      /**
       * Where the codes are made: in the shop's platform (they work at checkout before the email goes), or `local`
       * (Winback makes them alone: for tests, the demo and shops that load their codes into the platform themselves).
       */
      provider: z.enum(couponProviders).default('local'),
    })
    .optional(),
  experiment: z
    .strictObject({
      /** Share of the campaign's customers who get nothing, recorded as "would have been sent", for true lift. */
      holdoutPercent: z.number().min(0).max(50).default(10),
      variants: z
        .array(variantSchema)
        .min(1)
        .max(10)
        .default([{ id: 'control', weight: 1 }]),
      /** `thompson`: new customers go to the variant most likely to earn the most margin in their segment (docs/uplift.md). */
      allocation: z.enum(['fixed', 'thompson']).default('fixed'),
      /** Under `thompson`, no variant gets less than this share of a segment's new customers. */
      minVariantPercent: z.number().min(0).max(50).default(10),
    })
    .prefault({}),
  /** `uplift`: email only the customers the email is expected to earn margin on (docs/uplift.md); `everyone`: every eligible one. */
  targeting: z.enum(['everyone', 'uplift']).default('everyone'),
  /** What uplift targeting and offer sizing weigh. */
  economics: z
    .strictObject({
      /** The shop's margin on an order, before any discount, as a percentage of its value. */
      orderMarginPercent: z.number().min(1).max(100).default(40),
      /** What one email costs (sending, and the wear on the list), in minor units. */
      costPerEmailMinor: z.number().min(0).max(100_000).default(1),
      /** Uplift targeting starts once the ledger holds this many emailed and held-out customers with closed windows. */
      minTreated: z.number().int().min(20).max(1_000_000).default(200),
      minHoldout: z.number().int().min(20).max(1_000_000).default(100),
      /** Share of the customers uplift targeting would skip who are chosen anyway, so learning covers them too. */
      explorationPercent: z.number().min(0).max(50).default(10),
    })
    .prefault({}),
});

export const campaignConfigSchema = z.strictObject({
  /** Editors use it to find the JSON Schema; Winback ignores it. */
  $schema: z.string().max(500).optional(),
  version: z.literal(2, 'this is campaign config version 2: see README "Campaign config"'),
  shop: shopSchema,
  classification: classificationSchema.prefault({}),
  guardrails: guardrailsSchema.prefault({}),
  attribution: attributionSchema.prefault({}),
  /** Optional: images, links and prices for the products recommended in emails (see docs/emails.md). */
  products: productFeedSchema.optional(),
  campaigns: z.array(campaignSchema).min(1, 'at least one campaign is required').max(50),
});

export type CampaignConfig = z.output<typeof campaignConfigSchema>;
export type Campaign = CampaignConfig['campaigns'][number];
export type CampaignStep = Campaign['steps'][number];
export type Offer = CampaignStep['offer'];
export type Variant = Campaign['experiment']['variants'][number];

/** The config's JSON Schema, so editors autocomplete and check campaign files. */
export function campaignConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(campaignConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
export type ClassificationSettings = CampaignConfig['classification'];

const sampleUnsubscribeUrl = 'https://winback.invalid/u/sample-token';

/**
 * Checks each template twice: on its parsed form, for what holds whoever the customer is (no file tags, the
 * unsubscribe link and postal address on every branch), and rendered against a sample customer, for what only a
 * render shows (a misspelt variable or filter, a loop over the render limits): a template that fails either is a
 * config error, not a 2 a.m. surprise.
 */
function checkTemplates(
  content: Partial<Campaign['steps'][number]['content']>,
  campaign: Pick<Campaign, 'id' | 'name'>,
  shop: CampaignConfig['shop'],
  base: (string | number)[],
  context: IssueSink,
  fields: readonly TemplatePart[] = ['subject', 'preheader', 'html', 'text'],
): void {
  const variables = sampleVariables(campaign, shop);
  for (const field of fields) {
    const template = content[field];
    if (!template) continue;
    const problems = templateProblems(template, field);
    for (const problem of problems) context.addIssue({ code: 'custom', path: [...base, field], message: `campaign "${campaign.id}": ${problem}` });
    if (problems.length > 0) continue;
    try {
      renderEmail({ subject: 'x', html: 'x', text: 'x', [field]: template }, variables, templateLimits.validationRenderLimit);
    } catch (error) {
      context.addIssue({ code: 'custom', path: [...base, field], message: `campaign "${campaign.id}": template does not render: ${(error as Error).message}` });
    }
  }
}

/** The sample customer every template is rendered against at validation time (and in previews). */
export function sampleVariables(campaign: Pick<Campaign, 'id' | 'name'>, shop: CampaignConfig['shop']): TemplateVariables {
  return {
    customer: { first_name: 'Sam', last_products: ['Linen Shirt', 'Canvas Tote'] },
    offer: { kind: 'percent', value: 15, text: '15% off your next order', code: 'SAMPLE-7Q2K9X', expires_on: '6 December 2026' },
    shop: {
      name: shop.name,
      postal_address: shop.postalAddress,
      url: shop.url ?? '',
      logo_url: shop.branding.logoUrl ?? '',
      brand_color: shop.branding.brandColor,
      footer: shop.branding.footer ?? '',
    },
    campaign: { id: campaign.id, name: campaign.name },
    unsubscribe_url: sampleUnsubscribeUrl,
    links: { shop: shop.url ?? '', cta: shop.url ?? '' },
    recommendations: [
      { title: 'Stoneware Mug, Sage', price: '€18.00', image_url: '', url: shop.url ?? '' },
      { title: 'Linen Tea Towel Set', price: '€24.00', image_url: '', url: shop.url ?? '' },
      { title: 'Beeswax Candle, Tall', price: '€12.50', image_url: '', url: shop.url ?? '' },
    ],
    feedback: feedbackVariables((code) => `https://winback.invalid/f/sample-token?answer=${code}`),
  };
}

export interface ConfigProblem {
  readonly path: string;
  readonly problem: string;
}

export class InvalidCampaignConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`invalid campaign config:\n${problems.map((p) => `  - ${p.path}: ${p.problem}`).join('\n')}`);
    this.name = 'InvalidCampaignConfigError';
  }
}

interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}
/** Where the checks across fields put what they find (the shape of zod's refinement context, for checkTemplates). */
interface IssueSink {
  addIssue(issue: { code: 'custom'; path: PropertyKey[]; message: string }): void;
}

/**
 * A campaign as far as it can be read: the parts that parse alone, so that a typo in one step still lets the
 * other steps' templates, the step order and the coupon be checked in the same round.
 */
interface CampaignParts {
  readonly id: string;
  readonly name: string;
  readonly steps: readonly (CampaignStep | undefined)[];
  readonly hasCoupon: boolean;
  readonly variants: readonly (Variant | undefined)[];
}

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

function campaignParts(raw: unknown, index: number): CampaignParts | undefined {
  const parsed = campaignSchema.safeParse(raw);
  if (parsed.success) return { ...parsed.data, hasCoupon: parsed.data.coupon !== undefined, variants: parsed.data.experiment.variants };
  const campaign = asRecord(raw);
  if (!campaign) return undefined;
  const rawSteps = Array.isArray(campaign.steps) ? campaign.steps : [];
  const rawVariants = asRecord(campaign.experiment)?.variants;
  return {
    id: typeof campaign.id === 'string' ? campaign.id : `#${index + 1}`,
    name: typeof campaign.name === 'string' ? campaign.name : '',
    steps: rawSteps.map((step) => stepSchema.safeParse(step).data),
    hasCoupon: campaign.coupon !== undefined,
    variants: Array.isArray(rawVariants) ? rawVariants.map((variant) => variantSchema.safeParse(variant).data) : [],
  };
}

/** The shop the templates are rendered with: the config's own when it is valid, else a stand-in (its problems are listed already). */
function shopForTemplates(raw: unknown): CampaignConfig['shop'] {
  const parsed = shopSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const shop = asRecord(raw);
  return {
    name: typeof shop?.name === 'string' ? shop.name : 'The shop',
    postalAddress: typeof shop?.postalAddress === 'string' ? shop.postalAddress : '1 Sample Street, 1000 AA Sample Town',
    timeZone: 'UTC',
    currency: 'EUR',
    locale: 'en-IE',
    platform: 'other',
    branding: { brandColor: '#1F4E3D' },
  };
}

/**
 * The checks across fields and campaigns. They run on whatever parts of the file can be read, whether or not the
 * rest is valid: a refinement on the whole schema would run only once every field is valid, so one typo would hide
 * every one of these problems until the next round.
 */
function crossChecks(input: unknown): Issue[] {
  const issues: Issue[] = [];
  const sink: IssueSink = { addIssue: ({ path, message }) => issues.push({ path, message }) };
  const config = asRecord(input);
  const rawCampaigns = Array.isArray(config?.campaigns) ? config.campaigns : [];
  const shop = shopForTemplates(config?.shop);
  const seen = new Set<string>();
  rawCampaigns.forEach((raw, index) => {
    const rawId = asRecord(raw)?.id;
    if (typeof rawId === 'string') {
      if (seen.has(rawId)) sink.addIssue({ code: 'custom', path: ['campaigns', index, 'id'], message: `duplicate campaign id "${rawId}"` });
      seen.add(rawId);
    }
    const campaign = campaignParts(raw, index);
    if (!campaign) return;
    const provider = asRecord(asRecord(raw)?.coupon)?.provider;
    const rawShop = asRecord(config?.shop);
    if (provider === 'shopify' && rawShop?.shopifyDomain === undefined) {
      sink.addIssue({
        code: 'custom',
        path: ['campaigns', index, 'coupon', 'provider'],
        message: "codes made in Shopify need the shop's address: set shop.shopifyDomain (NAME.myshopify.com)",
      });
    }
    if (provider === 'woocommerce' && rawShop?.woocommerceUrl === undefined) {
      sink.addIssue({
        code: 'custom',
        path: ['campaigns', index, 'coupon', 'provider'],
        message: "codes made in WooCommerce need the site's address: set shop.woocommerceUrl",
      });
    }
    campaign.steps.forEach((step, stepIndex) => {
      if (!step) return;
      const previous = campaign.steps[stepIndex - 1];
      if (stepIndex === 0 && step.delayDays !== 0) {
        sink.addIssue({ code: 'custom', path: ['campaigns', index, 'steps', 0, 'delayDays'], message: 'the first step is day 0' });
      }
      if (previous && step.delayDays <= previous.delayDays) {
        sink.addIssue({ code: 'custom', path: ['campaigns', index, 'steps', stepIndex, 'delayDays'], message: 'each step comes after the one before' });
      }
      if (step.offer.kind !== 'none' && !campaign.hasCoupon) {
        sink.addIssue({ code: 'custom', path: ['campaigns', index, 'coupon'], message: `step ${stepIndex + 1} has an offer: a coupon prefix is required` });
      }
      checkTemplates(step.content, campaign, shop, ['campaigns', index, 'steps', stepIndex, 'content'], sink);
    });
    const variantIds = new Set<string>();
    const percentSteps = campaign.steps.some((step) => step?.offer.kind === 'percent');
    campaign.variants.forEach((variant, variantIndex) => {
      if (!variant) return;
      if (variantIds.has(variant.id)) {
        sink.addIssue({
          code: 'custom',
          path: ['campaigns', index, 'experiment', 'variants', variantIndex, 'id'],
          message: `duplicate variant id "${variant.id}"`,
        });
      }
      variantIds.add(variant.id);
      if (variant.offerValue !== undefined && percentSteps && (variant.offerValue < 1 || variant.offerValue > 90)) {
        sink.addIssue({
          code: 'custom',
          path: ['campaigns', index, 'experiment', 'variants', variantIndex, 'offerValue'],
          message: 'this campaign has percent offers: 1 to 90',
        });
      }
      if (variant.subject)
        checkTemplates({ subject: variant.subject }, campaign, shop, ['campaigns', index, 'experiment', 'variants', variantIndex], sink, ['subject']);
    });
  });
  return issues;
}

export type CampaignConfigCheck =
  | { readonly config: CampaignConfig; readonly problems?: undefined }
  | { readonly config?: undefined; readonly problems: readonly ConfigProblem[] };

/**
 * Every problem of a config at once, by path: the schema's and the checks across fields, each campaign named by
 * its id (`campaigns[lost-winback].steps[1].content.subject`), so one round of fixes is enough. Never throws.
 */
export function checkCampaignConfig(input: unknown): CampaignConfigCheck {
  const result = campaignConfigSchema.safeParse(input);
  const issues: Issue[] = [...(result.success ? [] : result.error.issues.flatMap(expandIssue)), ...crossChecks(input)];
  if (issues.length === 0 && result.success) return { config: result.data };
  const label = campaignLabels(input);
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const problem = { path: formatConfigPath(issue.path, label), problem: issue.message };
    const key = `${problem.path}\u0000${problem.problem}`;
    if (!seen.has(key)) problems.push(problem);
    seen.add(key);
  }
  return { problems };
}

/** The same for the text of a config file: a JSON syntax error by line and column. Never throws. */
export function checkCampaignConfigText(text: string): CampaignConfigCheck {
  const withoutBom = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let input: unknown;
  try {
    input = JSON.parse(withoutBom);
  } catch (error) {
    return { problems: [{ path: '(file)', problem: `not valid JSON: ${describeJsonSyntaxError(withoutBom, error)}` }] };
  }
  return checkCampaignConfig(input);
}

/** Every problem is listed, by path, so one round of fixes is enough. */
export function parseCampaignConfig(input: unknown): CampaignConfig {
  const checked = checkCampaignConfig(input);
  if (checked.problems) throw new InvalidCampaignConfigError(checked.problems);
  return checked.config;
}

/** A campaign in a path: by its id when that names it alone (`campaigns[lost-winback]`), else by its place. */
function campaignLabels(input: unknown): (index: number) => string | number {
  const campaigns = asRecord(input)?.campaigns;
  const ids = Array.isArray(campaigns) ? campaigns.map((campaign) => asRecord(campaign)?.id) : [];
  return (index) => {
    const id = ids[index];
    const unique = typeof id === 'string' && slug.safeParse(id).success && ids.indexOf(id) === ids.lastIndexOf(id);
    return unique ? id : index;
  };
}

function formatConfigPath(path: readonly PropertyKey[], label: (index: number) => string | number): string {
  if (path[0] !== 'campaigns' || typeof path[1] !== 'number') return formatPath(path);
  const rest = formatPath(path.slice(2));
  return `campaigns[${label(path[1])}]${path.length === 2 ? '' : rest.startsWith('[') ? rest : `.${rest}`}`;
}

function expandIssue(issue: z.core.$ZodIssue): Issue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...issue.path, key], message: 'unknown key (a typo?)' }));
  }
  return [{ path: issue.path, message: issue.message }];
}
