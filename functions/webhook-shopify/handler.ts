import { webhookSecrets } from '../../lib/adapters/secrets.js';
import { readEnvironment } from '../../lib/config/environment.js';
import { parseShopifyDelivery } from '../../lib/domain/orders/shopify.js';
import { shopifySignatureHeader, verifyShopifySignature } from '../../lib/domain/webhooks/signatures.js';
import { unauthorized } from '../../lib/http/errors.js';
import { httpHandler } from '../../lib/http/middleware.js';
import { header, rawBody } from '../../lib/http/responses.js';
import { deliveryDependencies, storeDelivery, webhookBodyLimitBytes } from '../../lib/http/webhooks.js';
import { perContainer } from '../../lib/wiring.js';

// The secrets are read on every delivery, through Powertools' cache (five minutes): a rotated secret takes effect
// within minutes in warm containers too, not only after their next cold start.
const dependencies = perContainer(async () => {
  const environment = readEnvironment();
  return { deps: deliveryDependencies(environment), secrets: () => webhookSecrets(environment, 'SHOPIFY_WEBHOOK_SECRET') };
});

/** `POST /webhooks/shopify`: HMAC over the raw bytes first, then the body, then storage. */
export const handler = httpHandler(async (event) => {
  const { deps, secrets } = await dependencies();
  const body = rawBody(event, webhookBodyLimitBytes);
  if (!verifyShopifySignature(body, header(event, shopifySignatureHeader), await secrets())) throw unauthorized();
  return storeDelivery(parseShopifyDelivery(body, event.headers ?? {}, deps.clock.now()), deps);
});
