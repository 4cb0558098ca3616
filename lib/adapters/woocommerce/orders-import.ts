import type { ImportRecord } from '../../import/records.js';
import { wooCommerceRecord } from '../../import/woocommerce-orders.js';
import type { WooCommerceClient } from './rest-client.js';

/** WooCommerce's largest page. */
export const ordersPerPage = 100;

/**
 * A shop's order history through the REST API v3: `GET /orders?per_page=100&page=N` oldest first, page after page,
 * until the page count in `X-WP-TotalPages` (or, without it, the `Link: rel="next"` header, or an empty page) says
 * there is no more. Throttling (429) and server errors are retried by the client after Retry-After. Each order is
 * read exactly as its webhook is; `line` in a record is the order's place in the stream.
 */
export async function* wooCommerceApiOrders(
  client: WooCommerceClient,
  options: { readonly receivedAt: Date; readonly onPage?: (page: number, totalPages?: number) => void },
): AsyncGenerator<ImportRecord> {
  let position = 0;
  for (let page = 1; ; page += 1) {
    const { body, headers } = await client.request<unknown>('GET', `/orders?per_page=${ordersPerPage}&page=${page}&orderby=id&order=asc`);
    if (!Array.isArray(body)) throw new Error(`WooCommerce answered page ${page} with something other than a list of orders`);
    const totalPagesText = headers.get('x-wp-totalpages');
    const totalPages = totalPagesText !== null && /^\d+$/.test(totalPagesText) ? Number(totalPagesText) : undefined;
    options.onPage?.(page, totalPages);
    for (const order of body) {
      position += 1;
      yield { ...wooCommerceRecord(order, position, { receivedAt: options.receivedAt, exportedAt: options.receivedAt, defaultCurrency: 'EUR' }) };
    }
    const hasNext = totalPages !== undefined ? page < totalPages : /rel="?next"?/.test(headers.get('link') ?? '') || body.length === ordersPerPage;
    if (body.length === 0 || !hasNext) return;
  }
}
