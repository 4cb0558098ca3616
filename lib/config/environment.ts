import { z } from 'zod';
import { minimumSecretLength } from '../domain/unsubscribe-token.js';

export const secretList = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().min(16, 'each secret must be at least 16 characters')).min(1).max(2, 'at most two secrets at once (rotation)'));

export const standardWebhookSecretList = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'expected whsec_ followed by base64'))
      .min(1)
      .max(2),
  );

const arn = z.string().startsWith('arn:', 'expected a Secrets Manager ARN').optional();

/**
 * The Lambda environment (and the local runner's), validated once at cold start with every problem named. Secrets
 * come as values locally and as Secrets Manager ARNs on AWS; each function asks only for what it uses.
 */
const environmentSchema = z.object({
  TABLE_NAME: z.string().min(3).default('winback'),
  UNSUBSCRIBE_BASE_URL: z.url('expected the public base URL of the unsubscribe route').optional(),
  UNSUBSCRIBE_SECRET: z.string().min(minimumSecretLength, `must be at least ${minimumSecretLength} characters`).optional(),
  UNSUBSCRIBE_SECRET_ARN: z.string().startsWith('arn:', 'expected a Secrets Manager ARN').optional(),
  SES_CONFIGURATION_SET: z.string().min(1).optional(),
  /** Attempts the SES client makes per email (the SDK backs off between them on throttling); tests lower it to be quick. */
  SES_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  SEND_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(8),
  /** On AWS: the night's segment workers put each reserved send on this queue; its sender calls SES. */
  SEND_QUEUE_URL: z.url("expected the send queue's URL").optional(),
  /** The send queue's sender: emails per second one invocation starts, so that all of them stay under SES's MaxSendRate. */
  SEND_RATE_PER_SECOND: z.coerce.number().min(0.1).max(1_000).default(5),
  /** One secret, or two separated by a comma while a rotation is under way. */
  SHOPIFY_WEBHOOK_SECRET: secretList.optional(),
  WOOCOMMERCE_WEBHOOK_SECRET: secretList.optional(),
  WEBHOOK_SECRET: standardWebhookSecretList.optional(),
  WINBACK_ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  /** On AWS each secret is read from Secrets Manager at cold start instead (two values comma-separated while rotating). */
  SHOPIFY_WEBHOOK_SECRET_ARN: arn,
  WOOCOMMERCE_WEBHOOK_SECRET_ARN: arn,
  WEBHOOK_SECRET_ARN: arn,
  WINBACK_ADMIN_TOKEN_ARN: arn,
});

export type Environment = z.output<typeof environmentSchema>;

export function readEnvironment(source: NodeJS.ProcessEnv = process.env): Environment {
  const result = environmentSchema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  - ${issue.path.join('.')}: ${issue.message}`).join('\n');
  throw new Error(`invalid environment:\n${problems}`);
}

/** A setting this function cannot work without, named in the error when it is missing. */
export function required<K extends keyof Environment>(environment: Environment, name: K, why: string): NonNullable<Environment[K]> {
  const value = environment[name];
  if (value === undefined || value === null) throw new Error(`invalid environment:\n  - ${String(name)}: required ${why}`);
  return value as NonNullable<Environment[K]>;
}
