import { z } from 'zod';
import { isTimeZone } from '../domain/dates.js';
import { formatPath } from '../domain/field-path.js';

export { formatPath };
import { feedbackVariables, renderEmail, type TemplateVariables } from '../domain/templating.js';

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'use 1-48 lowercase letters, digits and dashes');
const nonBlank = z.string().trim().min(1, 'must not be empty');

const shopSchema = z.strictObject({
  name: nonBlank.max(100),
  /** CAN-SPAM: every marketing email carries the sender's physical postal address. */
  postalAddress: z.string().trim().min(10, 'a full postal address is required in every marketing email').max(300),
  timeZone: z.string().refine(isTimeZone, 'not an IANA time zone such as "Europe/Amsterdam"'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as "EUR"'),
  locale: z.string().min(2).default('en-IE'),
});

const classificationSchema = z
  .strictObject({
    atRiskMultiplier: z.number().min(1).max(10).default(1.5),
    lostMultiplier: z.number().min(1).max(20).default(2),
    /** A floor on the expected gap, so a customer who bought twice in one week is not "lost" a fortnight later. */
    minExpectedGapDays: z.number().int().min(1).max(365).default(14),
    /** Used for one-time buyers until the shop has enough repeat customers to measure its own second-order gap. */
    fallbackSecondOrderGapDays: z.number().int().min(1).max(730).default(60),
    minRepeatCustomersForShopGap: z.number().int().min(1).default(20),
  })
  .refine((value) => value.lostMultiplier > value.atRiskMultiplier, {
    message: 'must be greater than atRiskMultiplier',
    path: ['lostMultiplier'],
  });

const guardrailsSchema = z.strictObject({
  /** No customer gets a second win-back email (of any campaign) within this many days. */
  minDaysBetweenEmails: z.number().int().min(0).max(365).default(7),
});

const attributionSchema = z.strictObject({
  /** An order this many days or fewer after a win-back email is credited to it (clicked emails first). */
  windowDays: z.number().int().min(1).max(90).default(7),
});

export const audiences = ['at_risk', 'lost'] as const;
export type Audience = (typeof audiences)[number];

const campaignSchema = z.strictObject({
  id: slug,
  name: nonBlank.max(100),
  audience: z.enum(audiences),
  enabled: z.boolean().default(true),
  thresholds: z
    .strictObject({
      /** Customers worth less than this per year (in minor units) are not worth a discount. */
      minValueAtStakeMinor: z.number().int().min(0).default(0),
      /** Beyond this a customer is too long gone to email at all: old addresses bounce and complaints rise. */
      maxDaysSinceLastOrder: z.number().int().min(1).default(730),
    })
    .prefault({}),
  sender: z.strictObject({
    fromAddress: z.email('not a valid email address'),
    fromName: nonBlank.max(100),
    replyTo: z.email('not a valid email address').optional(),
  }),
  content: z.strictObject({
    subject: nonBlank.max(200),
    preheader: z.string().max(200).optional(),
    html: nonBlank.max(100_000),
    text: nonBlank.max(50_000),
  }),
  offer: z
    .strictObject({
      text: z.string().max(300).default(''),
      code: z.string().regex(/^[A-Za-z0-9_-]{0,40}$/, 'letters, digits, "_" and "-" only').default(''),
    })
    .prefault({}),
});

export const campaignConfigSchema = z
  .strictObject({
    version: z.literal(1),
    shop: shopSchema,
    classification: classificationSchema.prefault({}),
    guardrails: guardrailsSchema.prefault({}),
    attribution: attributionSchema.prefault({}),
    campaigns: z.array(campaignSchema).min(1, 'at least one campaign is required').max(50),
  })
  .superRefine((config, context) => {
    const seen = new Set<string>();
    config.campaigns.forEach((campaign, index) => {
      if (seen.has(campaign.id)) {
        context.addIssue({ code: 'custom', path: ['campaigns', index, 'id'], message: `duplicate campaign id "${campaign.id}"` });
      }
      seen.add(campaign.id);
    });
    for (const audience of audiences) {
      const enabled = config.campaigns.filter((campaign) => campaign.enabled && campaign.audience === audience);
      if (enabled.length > 1) {
        const index = config.campaigns.lastIndexOf(enabled.at(-1)!);
        context.addIssue({ code: 'custom', path: ['campaigns', index, 'enabled'], message: `only one enabled campaign per audience; "${audience}" has ${enabled.length}` });
      }
    }
    config.campaigns.forEach((campaign, index) => checkTemplates(campaign, config.shop, index, context));
  });

export type CampaignConfig = z.output<typeof campaignConfigSchema>;
export type Campaign = CampaignConfig['campaigns'][number];
export type ClassificationSettings = CampaignConfig['classification'];

const sampleUnsubscribeUrl = 'https://winback.invalid/u/sample-token';

/** Exercises each template against a sample customer: a template that does not render is a config error, not a 2 a.m. surprise. */
function checkTemplates(campaign: Campaign, shop: CampaignConfig['shop'], index: number, context: z.RefinementCtx): void {
  const variables: TemplateVariables = {
    customer: { first_name: 'Sam', last_products: ['Linen Shirt', 'Canvas Tote'] },
    offer: { text: campaign.offer.text, code: campaign.offer.code },
    shop: { name: shop.name, postal_address: shop.postalAddress },
    campaign: { id: campaign.id, name: campaign.name },
    unsubscribe_url: sampleUnsubscribeUrl,
    feedback: feedbackVariables((code) => `https://winback.invalid/f/sample-token?answer=${code}`),
  };
  const base = ['campaigns', index, 'content'];
  for (const field of ['subject', 'preheader', 'html', 'text'] as const) {
    const template = campaign.content[field];
    if (!template) continue;
    try {
      renderEmail({ subject: 'x', html: 'x', text: 'x', [field]: template }, variables);
    } catch (error) {
      context.addIssue({ code: 'custom', path: [...base, field], message: `template does not render: ${(error as Error).message}` });
    }
  }
  for (const field of ['html', 'text'] as const) {
    let rendered = '';
    try {
      rendered = renderEmail({ subject: 'x', html: 'x', text: 'x', [field]: campaign.content[field] }, variables)[field];
    } catch {
      continue;
    }
    if (!rendered.includes(sampleUnsubscribeUrl)) {
      context.addIssue({ code: 'custom', path: [...base, field], message: 'must show the unsubscribe link: include {{ unsubscribe_url }}' });
    }
    if (!rendered.includes(field === 'html' ? escapeHtml(shop.postalAddress) : shop.postalAddress)) {
      context.addIssue({ code: 'custom', path: [...base, field], message: "must show the shop's postal address: include {{ shop.postal_address }}" });
    }
  }
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');
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


/** Every problem is listed, by path, so one round of fixes is enough. */
export function parseCampaignConfig(input: unknown): CampaignConfig {
  const result = campaignConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidCampaignConfigError(result.error.issues.flatMap(describeIssue));
}

function describeIssue(issue: z.core.$ZodIssue): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), problem: 'unknown key (a typo?)' }));
  }
  return [{ path: formatPath(issue.path), problem: issue.message }];
}
