import type { Readable } from 'node:stream';
import { wooCommerceOrderFrom } from '../domain/orders/woocommerce.js';
import { parseJsonText } from '../domain/webhooks/raw-json.js';
import { type JsonValueText, splitJsonValues } from './json-values.js';
import { type ImportRecord, invalidRecord, noEmailReason, type ParseOptions } from './records.js';

/**
 * WooCommerce REST v3 orders as saved from `GET /wp-json/wc/v3/orders` pages: a JSON array of orders, or one order per
 * line (several saved pages concatenated work too). Each order is read exactly as its webhook is (lib/domain/orders/
 * woocommerce.ts): ids exact, `customer_id` 0 a guest matched by `billing.email`, the status deciding whether it counts.
 */
export function readWooCommerceOrders(input: Readable, options: ParseOptions): AsyncGenerator<ImportRecord> {
  return wooCommerceOrdersFromValues(splitJsonValues(input), options);
}

export async function* wooCommerceOrdersFromValues(values: AsyncIterable<JsonValueText>, options: ParseOptions): AsyncGenerator<ImportRecord> {
  for await (const entry of values) {
    if (entry.kind === 'broken') {
      yield { kind: 'invalid', line: entry.line, rows: 1, field: 'json', problem: entry.problem };
      continue;
    }
    yield wooCommerceRecord(entry.text, entry.line, options);
  }
}

/** One order's JSON text (or parsed value) as a record; shared with the REST importer. */
export function wooCommerceRecord(text: string | unknown, line: number, options: ParseOptions): ImportRecord {
  try {
    const value = typeof text === 'string' ? parseJsonText(text) : text;
    // A saved page may hold the API's error instead of orders: say so rather than "id: required".
    if (value && typeof value === 'object' && !Array.isArray(value) && 'code' in value && 'message' in value && !('id' in value)) {
      return {
        kind: 'invalid',
        line,
        rows: 1,
        field: 'json',
        problem: `an API error, not an order: ${String((value as { message: unknown }).message).slice(0, 200)}`,
      };
    }
    const order = wooCommerceOrderFrom(value, options.receivedAt);
    if (!order.customer.email) return { kind: 'skipped', line, rows: 1, reason: noEmailReason };
    return { kind: 'order', line, rows: 1, order };
  } catch (error) {
    return invalidRecord(error, line, 1, 'json');
  }
}
