import { webhookSecrets } from '../../lib/adapters/secrets.js';
import { readEnvironment } from '../../lib/config/environment.js';
import { isWooCommercePing, parseWooCommerceDelivery } from '../../lib/domain/orders/woocommerce.js';
import { verifyWooCommerceSignature, wooCommerceSignatureHeader } from '../../lib/domain/webhooks/signatures.js';
import { unauthorized } from '../../lib/http/errors.js';
import { httpHandler } from '../../lib/http/middleware.js';
import { header, json, rawBody } from '../../lib/http/responses.js';
import { deliveryDependencies, storeDelivery, webhookBodyLimitBytes } from '../../lib/http/webhooks.js';
import { perContainer } from '../../lib/wiring.js';

// The secrets are read on every delivery, through Powertools' cache (five minutes): a rotated secret takes effect
// within minutes in warm containers too, not only after their next cold start.
const dependencies = perContainer(async () => {
  const environment = readEnvironment();
  return { deps: deliveryDependencies(environment), secrets: () => webhookSecrets(environment, 'WOOCOMMERCE_WEBHOOK_SECRET') };
});

/**
 * `POST /webhooks/woocommerce`. WooCommerce never retries and disables a webhook after five failures in a row, so
 * its unsigned creation ping must get 200; everything else is verified first.
 */
export const handler = httpHandler(async (event) => {
  const { deps, secrets } = await dependencies();
  const body = rawBody(event, webhookBodyLimitBytes);
  if (isWooCommercePing(body, event.headers ?? {})) return json(200, { status: 'ok', kind: 'ping' });
  if (!verifyWooCommerceSignature(body, header(event, wooCommerceSignatureHeader), await secrets())) throw unauthorized();
  const delivery = parseWooCommerceDelivery(body, event.headers ?? {}, deps.clock.now());
  if (delivery.kind === 'ping') return json(200, { status: 'ok', kind: 'ping' });
  return storeDelivery(delivery, deps);
});
