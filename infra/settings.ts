import type { Construct } from 'constructs';
import { z } from 'zod';
import { isTimeZone } from '../lib/domain/dates.js';

/**
 * Deployment settings, read from CDK context (`cdk.json` "context" or `cdk synth -c key=value`).
 * Values given with `-c` arrive as strings, so numbers are accepted in either form.
 */
const hourOfDay = z.preprocess(
  (value) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
  z.number({ error: 'must be a whole hour from 0 to 23' }).int('must be a whole hour from 0 to 23').min(0, 'must be a whole hour from 0 to 23').max(23, 'must be a whole hour from 0 to 23'),
);

export const settingsSchema = z.object({
  shopName: z.string().trim().min(1, 'must not be empty').max(100).default('My shop'),
  /** The night runs at `scheduleHour` in this zone; the handler derives the night's date in it too. */
  timeZone: z
    .string()
    .refine(isTimeZone, 'not an IANA time zone such as "Europe/Amsterdam"')
    // Intl accepts any casing ("europe/amsterdam"); EventBridge Scheduler wants the canonical name.
    .transform((name) => new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone)
    .default('Europe/Amsterdam'),
  /** The From address; its domain is the SES identity the function may send as. */
  senderAddress: z.email('not a valid email address').default('winback@example.com'),
  scheduleHour: hourOfDay.default(3),
  /** The public base of the unsubscribe route (links are <base>/unsubscribe/<token>); the deployment issue wires the HTTP API's URL. */
  unsubscribeBaseUrl: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).default('https://winback.example.com'),
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
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

/** The domain part of the sender address: the SES identity that sends the mail. */
export function senderDomain(settings: Pick<WinbackSettings, 'senderAddress'>): string {
  return settings.senderAddress.slice(settings.senderAddress.lastIndexOf('@') + 1).toLowerCase();
}
