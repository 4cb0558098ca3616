import type { Command } from 'commander';
import { shopifyAdminToken, woocommerceCredentials } from '../adapters/platform-credentials.js';
import { ShopifyAdminClient, ShopifyApiError, shopifyEndpoint } from '../adapters/shopify/admin-client.js';
import { WooCommerceApiError, WooCommerceClient, woocommerceBase } from '../adapters/woocommerce/rest-client.js';
import { shopifyOrderTopics } from '../domain/orders/shopify.js';
import { wooCommerceOrderTopics } from '../domain/orders/woocommerce.js';

/**
 * `winback connect shopify|woocommerce`: checks the credentials and what they may do, then registers (or finds
 * already registered) a webhook subscription for every topic Winback handles, pointing at the deployed API. What it
 * cannot do itself it says in `cannot`, plainly. Credentials come from the environment (or Secrets Manager ARNs),
 * never from the command line.
 */
export interface ConnectReport {
  readonly platform: 'shopify' | 'woocommerce';
  readonly ok: boolean;
  readonly checks: readonly { readonly name: string; readonly ok: boolean; readonly detail: string }[];
  readonly webhooks: readonly {
    readonly topic: string;
    readonly address: string;
    readonly state: 'verified' | 'created' | 'failed' | 'disabled';
    readonly detail?: string;
  }[];
  readonly cannot: readonly string[];
}

/** Shopify topics as the Admin API names them (orders/create -> ORDERS_CREATE). */
export const shopifyWebhookTopics = [...shopifyOrderTopics, 'customers/update'] as const;
const shopifyTopicEnum = (topic: string) => topic.toUpperCase().replace('/', '_');

/** What Winback needs of a Shopify app: orders and customers to read (webhooks, import), discounts to write (codes). */
export const shopifyScopes = ['read_orders', 'read_customers', 'write_discounts'] as const;

export function webhookAddress(apiUrl: string, platform: 'shopify' | 'woocommerce'): string {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new Error(`--api-url: not a URL: "${apiUrl}" (the deployed API's address, as \`cdk deploy\` prints it)`);
  }
  const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
  if (url.protocol !== 'https:' && !local) throw new Error(`--api-url: the platforms deliver webhooks over https only, got "${apiUrl}"`);
  return `${apiUrl.replace(/\/+$/, '')}/webhooks/${platform}`;
}

export async function connectShopify(options: { shop: string; apiUrl: string }, source: NodeJS.ProcessEnv = process.env): Promise<ConnectReport> {
  const address = webhookAddress(options.apiUrl, 'shopify');
  const checks: { name: string; ok: boolean; detail: string }[] = [];
  const webhooks: ConnectReport['webhooks'][number][] = [];
  const cannot = [
    "Shopify's mandatory compliance webhooks (customers/data_request, customers/redact, shop/redact) are set in the app's configuration (shopify.app.toml `compliance_topics`, or the Partner Dashboard), not through the API: point them at " +
      address +
      '.',
    "Shopify signs every webhook with the app's client secret: SHOPIFY_WEBHOOK_SECRET (or its secret on AWS) must be that secret; this command cannot read it from Shopify.",
  ];
  let token: string;
  try {
    token = await shopifyAdminToken(source);
  } catch (error) {
    checks.push({ name: 'credentials', ok: false, detail: (error as Error).message });
    return { platform: 'shopify', ok: false, checks, webhooks, cannot };
  }
  const client = new ShopifyAdminClient({ endpoint: shopifyEndpoint(options.shop, source.SHOPIFY_ADMIN_API_URL), token, patienceMs: 20_000 });
  let granted: string[];
  try {
    const data = await client.request<{ currentAppInstallation: { accessScopes: { handle: string }[] }; shop: { myshopifyDomain?: string } }>(
      'query WinbackScopes { currentAppInstallation { accessScopes { handle } } shop { myshopifyDomain } }',
      {},
      2,
    );
    granted = data.currentAppInstallation.accessScopes.map((scope) => scope.handle);
    checks.push({ name: 'credentials', ok: true, detail: `the token works for ${data.shop.myshopifyDomain ?? options.shop}` });
  } catch (error) {
    const detail =
      error instanceof ShopifyApiError && error.code === 'unauthorized'
        ? 'Shopify refused SHOPIFY_ADMIN_TOKEN (a wrong or revoked Admin API access token)'
        : (error as Error).message;
    checks.push({ name: 'credentials', ok: false, detail });
    return { platform: 'shopify', ok: false, checks, webhooks, cannot };
  }
  // A write scope implies its read scope.
  const has = (scope: string) => granted.includes(scope) || (scope.startsWith('read_') && granted.includes(scope.replace('read_', 'write_')));
  for (const scope of shopifyScopes) {
    const why =
      scope === 'write_discounts'
        ? 'coupon codes made in Shopify (coupon.provider "shopify")'
        : scope === 'read_orders'
          ? 'order webhooks and the history import'
          : 'customer and consent webhooks';
    checks.push({
      name: `scope ${scope}`,
      ok: has(scope),
      detail: has(scope) ? `granted: ${why}` : `missing: needed for ${why}; add it to the app's access scopes and reinstall`,
    });
  }
  try {
    const existing = await client.request<{ webhookSubscriptions: { nodes: { id: string; topic: string; uri?: string | null }[] } }>(
      'query WinbackWebhooks { webhookSubscriptions(first: 100) { nodes { id topic uri } } }',
      {},
      5,
    );
    for (const topic of shopifyWebhookTopics) {
      const enumName = shopifyTopicEnum(topic);
      if (existing.webhookSubscriptions.nodes.some((node) => node.topic === enumName && node.uri === address)) {
        webhooks.push({ topic, address, state: 'verified' });
        continue;
      }
      const created = await client.request<{ webhookSubscriptionCreate: { webhookSubscription?: { id: string } | null; userErrors: { message: string }[] } }>(
        'mutation WinbackWebhook($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) { webhookSubscription { id topic uri } userErrors { field message } } }',
        { topic: enumName, webhookSubscription: { uri: address, format: 'JSON' } },
      );
      const payload = created.webhookSubscriptionCreate;
      webhooks.push(
        payload.webhookSubscription?.id
          ? { topic, address, state: 'created' }
          : { topic, address, state: 'failed', detail: payload.userErrors.map((error) => error.message).join('; ') || 'not created' },
      );
    }
  } catch (error) {
    checks.push({ name: 'webhooks', ok: false, detail: (error as Error).message });
  }
  return {
    platform: 'shopify',
    ok: checks.every((check) => check.ok) && webhooks.every((hook) => hook.state === 'verified' || hook.state === 'created'),
    checks,
    webhooks,
    cannot,
  };
}

export async function connectWooCommerce(options: { url: string; apiUrl: string }, source: NodeJS.ProcessEnv = process.env): Promise<ConnectReport> {
  const address = webhookAddress(options.apiUrl, 'woocommerce');
  const checks: { name: string; ok: boolean; detail: string }[] = [];
  const webhooks: ConnectReport['webhooks'][number][] = [];
  const cannot = [
    'WooCommerce never retries a failed delivery and disables a webhook after more than 5 failures in a row: run this command again after an outage; it says which webhooks are disabled (reactivate them under WooCommerce > Settings > Advanced > Webhooks).',
  ];
  let client: WooCommerceClient;
  try {
    client = new WooCommerceClient({
      base: woocommerceBase(options.url, source.WOOCOMMERCE_API_URL),
      credentials: await woocommerceCredentials(source),
      patienceMs: 20_000,
    });
  } catch (error) {
    checks.push({ name: 'credentials', ok: false, detail: (error as Error).message });
    return { platform: 'woocommerce', ok: false, checks, webhooks, cannot };
  }
  const describe = (error: unknown) => (error instanceof WooCommerceApiError ? `${error.code}: ${error.message}` : (error as Error).message);
  try {
    const { body } = await client.request<{ environment?: { version?: string } }>('GET', '/system_status');
    checks.push({ name: 'credentials', ok: true, detail: `the key reads the site (WooCommerce ${body.environment?.version ?? 'version unknown'})` });
  } catch (error) {
    checks.push({ name: 'credentials', ok: false, detail: describe(error) });
    return { platform: 'woocommerce', ok: false, checks, webhooks, cannot };
  }
  try {
    // An empty batch changes nothing, and WooCommerce still checks the key may write coupons.
    await client.request('POST', '/coupons/batch', {});
    checks.push({ name: 'permission write', ok: true, detail: 'the key may create coupons (coupon.provider "woocommerce") and webhooks' });
  } catch (error) {
    checks.push({ name: 'permission write', ok: false, detail: `the key cannot write (${describe(error)}): make a key with Read/Write permission` });
  }
  const secret = source.WOOCOMMERCE_WEBHOOK_SECRET?.split(',')[0]?.trim();
  try {
    const { body: existing } = await client.request<{ id: number; topic: string; delivery_url: string; status: string }[]>('GET', '/webhooks?per_page=100');
    for (const topic of wooCommerceOrderTopics) {
      const mine = existing.find((hook) => hook.topic === topic && hook.delivery_url === address);
      if (mine) {
        webhooks.push(
          mine.status === 'active'
            ? { topic, address, state: 'verified' }
            : { topic, address, state: 'disabled', detail: `webhook ${mine.id} is ${mine.status}: reactivate it` },
        );
        continue;
      }
      if (!secret) {
        webhooks.push({
          topic,
          address,
          state: 'failed',
          detail: 'WOOCOMMERCE_WEBHOOK_SECRET is not set: the secret WooCommerce signs with must be the one Winback verifies with',
        });
        continue;
      }
      try {
        await client.request('POST', '/webhooks', { name: `Winback ${topic}`, topic, delivery_url: address, secret, status: 'active' });
        webhooks.push({ topic, address, state: 'created' });
      } catch (error) {
        webhooks.push({ topic, address, state: 'failed', detail: describe(error) });
      }
    }
  } catch (error) {
    checks.push({ name: 'webhooks', ok: false, detail: describe(error) });
  }
  return {
    platform: 'woocommerce',
    ok: checks.every((check) => check.ok) && webhooks.every((hook) => hook.state === 'verified' || hook.state === 'created'),
    checks,
    webhooks,
    cannot,
  };
}

export function formatConnectReport(report: ConnectReport): string {
  const lines = [`${report.platform}: ${report.ok ? 'connected' : 'NOT fully connected'}`];
  for (const check of report.checks) lines.push(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`);
  for (const hook of report.webhooks)
    lines.push(
      `  ${hook.state === 'verified' || hook.state === 'created' ? 'ok  ' : 'FAIL'} webhook ${hook.topic} -> ${hook.address}: ${hook.state}${hook.detail ? ` (${hook.detail})` : ''}`,
    );
  if (report.cannot.length > 0) lines.push('What this command cannot do:', ...report.cannot.map((line) => `  - ${line}`));
  return `${lines.join('\n')}\n`;
}

export function registerConnectCommands(program: Command): void {
  const connect = program.command('connect').description("Check a shop platform's credentials and scopes, and register Winback's webhooks there");
  const apiUrl = (value: string | undefined) => {
    const url = value ?? process.env.WINBACK_API_URL;
    if (!url) throw new Error("--api-url is required (or WINBACK_API_URL): the deployed API's address, as `cdk deploy` prints it");
    return url;
  };
  const finish = (report: ConnectReport, json: boolean | undefined) => {
    process.stdout.write(json ? `${JSON.stringify(report)}\n` : formatConnectReport(report));
    if (!report.ok) process.exitCode = 1;
  };
  connect
    .command('shopify')
    .description('SHOPIFY_ADMIN_TOKEN (or SHOPIFY_ADMIN_TOKEN_ARN) from the environment; SHOPIFY_ADMIN_API_URL points elsewhere for tests')
    .requiredOption('--shop <domain>', 'the shop, NAME.myshopify.com')
    .option('--api-url <url>', "the deployed API's address (default: WINBACK_API_URL)")
    .option('--json', 'print the result as one JSON line')
    .action(async (options: { shop: string; apiUrl?: string; json?: boolean }) => {
      if (!/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/.test(options.shop)) throw new Error(`--shop: expected NAME.myshopify.com, got "${options.shop}"`);
      finish(await connectShopify({ shop: options.shop, apiUrl: apiUrl(options.apiUrl) }), options.json);
    });
  connect
    .command('woocommerce')
    .description(
      'WOOCOMMERCE_CONSUMER_KEY and _SECRET (or WOOCOMMERCE_CREDENTIALS_ARN) and WOOCOMMERCE_WEBHOOK_SECRET from the environment; WOOCOMMERCE_API_URL points elsewhere for tests',
    )
    .requiredOption('--url <url>', "the site's address, https://...")
    .option('--api-url <url>', "the deployed API's address (default: WINBACK_API_URL)")
    .option('--json', 'print the result as one JSON line')
    .action(async (options: { url: string; apiUrl?: string; json?: boolean }) => {
      finish(await connectWooCommerce({ url: options.url, apiUrl: apiUrl(options.apiUrl) }), options.json);
    });
}
