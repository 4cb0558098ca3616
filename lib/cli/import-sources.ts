import { shopifyAdminToken, woocommerceCredentials } from '../adapters/platform-credentials.js';
import { ShopifyAdminClient, shopifyEndpoint } from '../adapters/shopify/admin-client.js';
import { shopifyBulkOrders } from '../adapters/shopify/bulk-orders.js';
import { wooCommerceApiOrders } from '../adapters/woocommerce/orders-import.js';
import { WooCommerceClient, woocommerceBase } from '../adapters/woocommerce/rest-client.js';
import type { ImportRecord } from '../import/records.js';

/**
 * The API importers' records. Credentials come from the environment (or Secrets Manager ARNs), never the command line.
 * SHOPIFY_ADMIN_API_URL and WOOCOMMERCE_API_BASE point them elsewhere (the tests' protocol fakes).
 */
export async function shopifyWoo(
  source: 'shopify' | 'woocommerce',
  options: { shop?: string; url?: string },
  receivedAt: Date,
): Promise<{ records: AsyncIterable<ImportRecord>; unit: string }> {
  if (source === 'shopify') {
    if (!options.shop || !/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/i.test(options.shop))
      throw new Error('--shop NAME.myshopify.com is required with `winback import shopify`');
    const client = new ShopifyAdminClient({
      endpoint: shopifyEndpoint(options.shop, process.env.SHOPIFY_ADMIN_API_URL),
      token: await shopifyAdminToken(),
      patienceMs: 10 * 60_000,
    });
    return {
      records: shopifyBulkOrders(client, {
        receivedAt,
        onStatus: ({ status, objectCount }) => process.stderr.write(`Shopify bulk operation: ${status}${objectCount ? `, ${objectCount} objects` : ''}\n`),
      }),
      unit: 'export line',
    };
  }
  if (!options.url || !/^https?:\/\//.test(options.url)) throw new Error('--url https://SHOP is required with `winback import woocommerce`');
  const client = new WooCommerceClient({
    base: woocommerceBase(options.url, process.env.WOOCOMMERCE_API_BASE),
    credentials: await woocommerceCredentials(),
    patienceMs: 10 * 60_000,
  });
  return { records: wooCommerceApiOrders(client, { receivedAt }), unit: 'order' };
}
