import type { Construct } from 'constructs';
import { z } from 'zod';
import { isTimeZone } from '../lib/domain/dates.js';

/**
 * Deployment settings, read from CDK context (`cdk.json` "context" or `cdk synth -c key=value`).
 * Values given with `-c` arrive as strings, so numbers are accepted in either form.
 */
const wholeNumber = (min: number, max: number, message: string) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
    z.number({ error: message }).int(message).min(min, message).max(max, message),
  );

const hourOfDay = wholeNumber(0, 23, 'must be a whole hour from 0 to 23');

/** A domain name as SES verifies it: labels of letters, digits and hyphens, at least one dot. */
const domainName = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export const settingsSchema = z
  .object({
    shopName: z.string().trim().min(1, 'must not be empty').max(100).default('My shop'),
    /** The night runs at `scheduleHour` in this zone; the handler derives the night's date in it too. */
    timeZone: z
      .string()
      .refine(isTimeZone, 'not an IANA time zone such as "Europe/Amsterdam"')
      // Intl accepts any casing ("europe/amsterdam"); EventBridge Scheduler wants the canonical name.
      .transform((name) => new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone)
      .default('Europe/Amsterdam'),
    /** The From address; it must belong to the SES identity (`sesIdentity`). */
    senderAddress: z.email('not a valid email address').default('winback@example.com'),
    /**
     * The verified SES identity the functions may send as: a domain (covering its addresses and subdomains) or one
     * email address. Default: the sender address's domain.
     */
    sesIdentity: z
      .string()
      .trim()
      .toLowerCase()
      .refine((value) => domainName.test(value) || z.email().safeParse(value).success, 'must be a domain such as "shop.example" or an email address')
      .optional(),
    /**
     * The public Route 53 hosted zone of the sending domain (its id and its name, which must be the SES identity's
     * domain): given both, the stack writes the identity's three Easy DKIM CNAMEs and its MAIL FROM MX and SPF records
     * there. Without them the stack outputs the records to add wherever the domain's DNS lives.
     */
    hostedZoneId: z
      .string()
      .regex(/^Z[A-Z0-9]{1,31}$/, 'expected a Route 53 hosted zone id such as "Z0123456789ABCDEFGHIJ"')
      .optional(),
    hostedZoneName: z
      .string()
      .trim()
      .toLowerCase()
      .transform((name) => name.replace(/\.$/, ''))
      .refine((name) => domainName.test(name), 'must be a domain such as "shop.example"')
      .optional(),
    /** The custom MAIL FROM domain is <mailFromSubdomain>.<identity domain>: bounces and SPF align with the sender's domain. */
    mailFromSubdomain: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be one DNS label: lowercase letters, digits and hyphens')
      .default('bounce'),
    scheduleHour: hourOfDay.default(3),
    /**
     * The public base of the unsubscribe and feedback routes (links are <base>/unsubscribe/<token>). Default: the
     * HTTP API's own URL; set it when a custom domain fronts the API.
     */
    unsubscribeBaseUrl: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).optional(),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    /** Where alarm notifications go (an SNS email subscription, confirmed once by the recipient). */
    alarmEmail: z.email('not a valid email address').optional(),
    /**
     * Emails the night sends at once. Keep it under the account's SES MaxSendRate (1 per second in the sandbox,
     * 14 on a new production account): each send takes roughly 50-100 ms.
     */
    sendConcurrency: wholeNumber(1, 100, 'must be a whole number from 1 to 100').default(8),
    /**
     * The account's SES MaxSendRate (emails per second: 1 in the sandbox, 14 on a new production account, more on
     * request). The send queue's sender keeps to 90% of it.
     */
    sesMaxSendRate: wholeNumber(1, 10_000, 'must be a whole number from 1 to 10000 (the SES MaxSendRate)').default(14),
    /**
     * Segment workers the night runs at most at once (each scans one segment): the table's read rate bounds it (a new
     * on-demand table serves 12,000 reads a second at first). The account's concurrency may bound it lower.
     */
    nightMaxConcurrency: wholeNumber(1, 40, 'must be a whole number from 1 to 40 (an inline Map runs at most 40 at once)').default(20),
    /**
     * The account's Lambda concurrent executions quota in this region (Service Quotas, "Concurrent executions"): 1,000
     * by default, as little as 10 on a new account. The night takes at most half of it (nightConcurrency).
     */
    accountLambdaConcurrency: wholeNumber(10, 1_000_000, "must be a whole number of at least 10 (the account's Lambda concurrent executions quota)").default(
      1_000,
    ),
    /**
     * The prefix of the console's Cognito hosted login domain, <prefix>.auth.<region>.amazoncognito.com: unique in
     * the region. Default: winback-<account id>; set it when two stacks share an account.
     */
    signInDomainPrefix: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be lowercase letters, digits and hyphens, 1 to 63 characters')
      .refine((prefix) => !/aws|amazon|cognito/.test(prefix), 'must not contain "aws", "amazon" or "cognito" (Cognito refuses them)')
      .optional(),
    /** Steady-state requests per second the HTTP API accepts before answering 429. */
    apiRateLimit: wholeNumber(1, 10_000, 'must be a whole number from 1 to 10000').default(50),
    /** Requests the HTTP API accepts in a burst above the rate. */
    apiBurstLimit: wholeNumber(1, 5_000, 'must be a whole number from 1 to 5000').default(100),
    /**
     * Where this deployment's coupon codes are made (docs/coupons.md): "local" (Winback alone; the shop loads its codes
     * itself) or the shop's platform, whose API credentials the stack then keeps in Secrets Manager and gives, as an
     * ARN, to the functions that create and remove codes. It should match the campaigns' `coupon.provider`.
     */
    couponPlatform: z.enum(['local', 'shopify', 'woocommerce'], 'must be "local", "shopify" or "woocommerce"').default('local'),
    /** The shop the Shopify credentials belong to (NAME.myshopify.com): codes are made there and nowhere else. */
    shopifyDomain: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com$/, "must be the shop's NAME.myshopify.com address")
      .optional(),
    /** The WooCommerce site (https) the REST API key belongs to: codes are made there and nowhere else. */
    woocommerceUrl: z
      .url({ protocol: /^https$/, error: "must be the site's https:// address" })
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
    /**
     * An existing Secrets Manager secret with the platform's credentials (its complete ARN, with the 6-character
     * suffix, so the grant names exactly it). Default: the stack creates one, to be filled in after deploying.
     */
    couponCredentialsSecretArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/,
        'must be the complete ARN of a Secrets Manager secret (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf)',
      )
      .optional(),
  })
  .superRefine((settings, context) => {
    if ((settings.hostedZoneId === undefined) !== (settings.hostedZoneName === undefined)) {
      context.addIssue({
        code: 'custom',
        path: [settings.hostedZoneId === undefined ? 'hostedZoneId' : 'hostedZoneName'],
        message: 'give both hostedZoneId and hostedZoneName, or neither',
      });
    }
    if (settings.hostedZoneName !== undefined && settings.hostedZoneName !== sesIdentity(settings)) {
      context.addIssue({
        code: 'custom',
        path: ['hostedZoneName'],
        message: `must be the SES identity's domain "${sesIdentity(settings)}" (the zone that holds its DKIM and MAIL FROM records)`,
      });
    }
    if (settings.couponPlatform === 'shopify' && settings.shopifyDomain === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['shopifyDomain'],
        message: 'is required with couponPlatform "shopify": the shop whose discounts Winback makes',
      });
    }
    if (settings.couponPlatform === 'woocommerce' && settings.woocommerceUrl === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['woocommerceUrl'],
        message: 'is required with couponPlatform "woocommerce": the site whose coupons Winback makes',
      });
    }
    if (settings.couponPlatform === 'local' && settings.couponCredentialsSecretArn !== undefined) {
      context.addIssue({ code: 'custom', path: ['couponCredentialsSecretArn'], message: 'is only read with couponPlatform "shopify" or "woocommerce"' });
    }
    const identity = settings.sesIdentity;
    if (identity === undefined) return;
    const sender = settings.senderAddress.toLowerCase();
    const domain = senderDomain(settings);
    const covered = identity.includes('@') ? identity === sender : domain === identity || domain.endsWith(`.${identity}`);
    if (!covered) context.addIssue({ code: 'custom', path: ['sesIdentity'], message: `does not cover the sender address "${settings.senderAddress}"` });
  });

export type WinbackSettings = z.output<typeof settingsSchema>;
export const settingKeys = Object.keys(settingsSchema.shape) as (keyof WinbackSettings)[];

/** Reads and validates the settings; a bad value throws an error that names its context key. */
export function readSettings(scope: Construct): WinbackSettings {
  const raw = Object.fromEntries(settingKeys.map((key) => [key, scope.node.tryGetContext(key) as unknown]));
  const parsed = settingsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '?');
    return `context "${key}": ${issue.message} (got ${JSON.stringify(raw[key])})`;
  });
  throw new Error(`Invalid Winback settings:\n  ${problems.join('\n  ')}\nSet them in cdk.json "context" or with \`cdk synth -c key=value\`.`);
}

/**
 * Segment workers at once: `nightMaxConcurrency`, but never more than half the account's Lambda concurrency, so the
 * webhooks, the API and the senders (and whatever else the account runs) keep the other half while the night runs.
 */
export function nightConcurrency(settings: Pick<WinbackSettings, 'nightMaxConcurrency' | 'accountLambdaConcurrency'>): number {
  return Math.max(1, Math.min(settings.nightMaxConcurrency, Math.floor(settings.accountLambdaConcurrency / 2)));
}

/**
 * The most queued sends one send worker takes at once. Measured locally, 50 gained little over 25 (1.96 against 2.06
 * ms of DynamoDB Local's CPU per email) and would hold twice as many sends back when a batch fails.
 */
export const maxSendBatch = 25;

/**
 * The send worker's batch: as many queued sends as its pace lets it send in 20 s, a third of its timeout, from 1 to
 * `maxSendBatch`. A batch reads and writes together, so larger batches ask DynamoDB for less per email (measured
 * locally, 25 instead of 10 made the sender 17% faster); a sandbox account's 1 email a second still fits the timeout.
 */
export function sendBatchSize(ratePerContainer: number): number {
  return Math.max(1, Math.min(maxSendBatch, Math.floor(ratePerContainer * 20)));
}

/** The domain part of the sender address. */
export function senderDomain(settings: Pick<WinbackSettings, 'senderAddress'>): string {
  return settings.senderAddress.slice(settings.senderAddress.lastIndexOf('@') + 1).toLowerCase();
}

/** The SES identity that sends the mail: the configured one, or the sender address's domain. */
export function sesIdentity(settings: Pick<WinbackSettings, 'senderAddress' | 'sesIdentity'>): string {
  return settings.sesIdentity ?? senderDomain(settings);
}
