import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Local-only defaults, printed at start so a developer can sign test deliveries. On AWS every one of these comes
 * from Secrets Manager instead.
 */
export const localSecrets = {
  UNSUBSCRIBE_SECRET: 'winback-local-unsubscribe-signing-key-not-for-production',
  SHOPIFY_WEBHOOK_SECRET: 'winback-local-shopify-webhook-secret',
  WOOCOMMERCE_WEBHOOK_SECRET: 'winback-local-woocommerce-webhook-secret',
  WEBHOOK_SECRET: `whsec_${Buffer.from('winback-local-generic-webhook-secret').toString('base64')}`,
} as const;

export type LocalSecretName = keyof typeof localSecrets;

/** Fills the environment with the local defaults where nothing is set; returns the names it filled. */
export function useLocalSecrets(): LocalSecretName[] {
  const filled: LocalSecretName[] = [];
  for (const [name, value] of Object.entries(localSecrets) as [LocalSecretName, string][]) {
    if (process.env[name] === undefined) {
      process.env[name] = value;
      filled.push(name);
    }
  }
  return filled;
}

/** The local admin API token: WINBACK_ADMIN_TOKEN, or one generated once and kept beside the local data. */
export async function localAdminToken(file: string): Promise<{ token: string; generated: boolean }> {
  if (process.env.WINBACK_ADMIN_TOKEN) return { token: process.env.WINBACK_ADMIN_TOKEN, generated: false };
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (token.length >= 24) return { token, generated: false };
  } catch {
    // not generated yet
  }
  const token = randomBytes(24).toString('base64url');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return { token, generated: true };
}
