import { z } from 'zod';
import { minimumSecretLength } from '../domain/unsubscribe-token.js';

/**
 * The Lambda environment (and the local runner's), validated once at cold start with every problem named.
 * The unsubscribe signing key comes as a value locally and as a Secrets Manager ARN on AWS.
 */
const environmentSchema = z
  .object({
    TABLE_NAME: z.string().min(3).default('winback'),
    UNSUBSCRIBE_BASE_URL: z.url('expected the public base URL of the unsubscribe route'),
    UNSUBSCRIBE_SECRET: z.string().min(minimumSecretLength, `must be at least ${minimumSecretLength} characters`).optional(),
    UNSUBSCRIBE_SECRET_ARN: z.string().startsWith('arn:', 'expected a Secrets Manager ARN').optional(),
    SES_CONFIGURATION_SET: z.string().min(1).optional(),
    SEND_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(8),
  })
  .refine((env) => env.UNSUBSCRIBE_SECRET !== undefined || env.UNSUBSCRIBE_SECRET_ARN !== undefined, {
    message: 'set UNSUBSCRIBE_SECRET (local) or UNSUBSCRIBE_SECRET_ARN (AWS)',
    path: ['UNSUBSCRIBE_SECRET'],
  });

export type Environment = z.output<typeof environmentSchema>;

export function readEnvironment(source: NodeJS.ProcessEnv = process.env): Environment {
  const result = environmentSchema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  - ${issue.path.join('.')}: ${issue.message}`).join('\n');
  throw new Error(`invalid environment:\n${problems}`);
}
