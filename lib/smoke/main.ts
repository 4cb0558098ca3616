import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { webhookSecrets } from '../adapters/secrets.js';
import type { Environment } from '../config/environment.js';
import { formatSmoke, runSmoke, type SmokeCheck, type SmokeTarget } from './smoke.js';

/**
 * `npm run smoke -- --stack NAME [--outputs cdk-outputs.json] [--token TOKEN]`: after `npm run deploy`, checks the
 * deployed stack through its public API (see smoke.ts) and exits 1 when a check failed.
 *
 * The stack's outputs come from the file `cdk deploy --outputs-file` writes (`npm run deploy` writes cdk-outputs.json);
 * the webhook secrets from Secrets Manager, by the ARNs in those outputs, with the caller's AWS credentials and the
 * region of the SDK's default chain. `/api/*` needs a marketer's Cognito access token (`--token` or WINBACK_SMOKE_TOKEN).
 */
export interface SmokeArguments {
  readonly stack: string;
  readonly outputs: string;
  readonly token?: string;
}

export class SmokeUsageError extends Error {}

export function parseSmokeArguments(argv: readonly string[], environment: NodeJS.ProcessEnv = process.env): SmokeArguments {
  let values: { stack?: string; outputs?: string; token?: string };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { stack: { type: 'string' }, outputs: { type: 'string' }, token: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new SmokeUsageError(`${(error as Error).message}\nusage: npm run smoke -- --stack NAME [--outputs cdk-outputs.json] [--token COGNITO_ACCESS_TOKEN]`);
  }
  if (!values.stack) throw new SmokeUsageError('--stack: required, the name of the deployed stack (Winback unless you named it otherwise)');
  const token = values.token ?? environment.WINBACK_SMOKE_TOKEN;
  return { stack: values.stack, outputs: values.outputs ?? 'cdk-outputs.json', ...(token ? { token } : {}) };
}

/** The outputs `cdk deploy --outputs-file` wrote for one stack: `{ "<stack>": { "ApiUrl": ..., ... } }`. */
export async function stackOutputs(file: string, stack: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new SmokeUsageError(`${file}: cannot read the stack's outputs; deploy with \`npm run deploy\` (it writes them), or pass --outputs FILE`);
  }
  const all = JSON.parse(text) as Record<string, Record<string, string>>;
  const outputs = all[stack];
  if (!outputs) throw new SmokeUsageError(`${file} has no outputs for the stack "${stack}" (it has: ${Object.keys(all).join(', ') || 'none'})`);
  for (const name of ['ApiUrl', 'ShopifyWebhookSecretArn', 'WooCommerceWebhookSecretArn', 'GenericWebhookSecretArn']) {
    if (typeof outputs[name] !== 'string') throw new SmokeUsageError(`${file}: the stack "${stack}" has no ${name} output`);
  }
  return outputs;
}

/** The target from the outputs: the API's URL and the webhook secrets as the functions read them (the first of two). */
export async function smokeTarget(outputs: Record<string, string>, token?: string): Promise<SmokeTarget> {
  const environment = {
    SHOPIFY_WEBHOOK_SECRET_ARN: outputs.ShopifyWebhookSecretArn,
    WOOCOMMERCE_WEBHOOK_SECRET_ARN: outputs.WooCommerceWebhookSecretArn,
    WEBHOOK_SECRET_ARN: outputs.GenericWebhookSecretArn,
  } as unknown as Environment;
  const [shopify, wooCommerce, generic] = await Promise.all([
    webhookSecrets(environment, 'SHOPIFY_WEBHOOK_SECRET'),
    webhookSecrets(environment, 'WOOCOMMERCE_WEBHOOK_SECRET'),
    webhookSecrets(environment, 'WEBHOOK_SECRET'),
  ]);
  return {
    apiUrl: outputs.ApiUrl!,
    secrets: { shopify: shopify[0]!, wooCommerce: wooCommerce[0]!, generic: generic[0]! },
    ...(token ? { bearer: token } : {}),
  };
}

/** The whole command: 0 when every check that ran passed, 1 when one failed, 2 on a usage error. */
export async function smoke(
  argv: readonly string[],
  print: (text: string) => void = (text) => process.stdout.write(`${text}\n`),
): Promise<{ exitCode: number; checks: SmokeCheck[] }> {
  try {
    const args = parseSmokeArguments(argv);
    const target = await smokeTarget(await stackOutputs(args.outputs, args.stack), args.token);
    print(`Smoke check of ${args.stack} at ${target.apiUrl}`);
    const checks = await runSmoke(target);
    print(formatSmoke(checks));
    return { exitCode: checks.every((check) => check.ok) ? 0 : 1, checks };
  } catch (error) {
    print(`smoke: ${(error as Error).message}`);
    return { exitCode: error instanceof SmokeUsageError ? 2 : 1, checks: [] };
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = (await smoke(process.argv.slice(2))).exitCode;
}
