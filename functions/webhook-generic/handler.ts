import { webhookSecrets } from '../../lib/adapters/secrets.js';
import { readEnvironment } from '../../lib/config/environment.js';
import { parseGenericDelivery } from '../../lib/domain/orders/generic.js';
import { standardWebhookHeaderValues, verifyStandardWebhook } from '../../lib/domain/webhooks/signatures.js';
import { unauthorized } from '../../lib/http/errors.js';
import { httpHandler } from '../../lib/http/middleware.js';
import { rawBody } from '../../lib/http/responses.js';
import { deliveryDependencies, storeDelivery, webhookBodyLimitBytes } from '../../lib/http/webhooks.js';
import { perContainer } from '../../lib/wiring.js';

// The secrets are read on every delivery, through Powertools' cache (five minutes): a rotated secret takes effect
// within minutes in warm containers too, not only after their next cold start.
const dependencies = perContainer(async () => {
  const environment = readEnvironment();
  return { deps: deliveryDependencies(environment), secrets: () => webhookSecrets(environment, 'WEBHOOK_SECRET') };
});

/** `POST /webhooks/generic`: the documented order schema, signed the Standard Webhooks way (5-minute tolerance). */
export const handler = httpHandler(async (event) => {
  const { deps, secrets } = await dependencies();
  const body = rawBody(event, webhookBodyLimitBytes);
  const verification = verifyStandardWebhook(body, standardWebhookHeaderValues(event.headers ?? {}), await secrets(), deps.clock.now());
  if (!verification.ok) throw unauthorized(verification.problem);
  return storeDelivery(parseGenericDelivery(body, event.headers ?? {}, deps.clock.now()), deps);
});
