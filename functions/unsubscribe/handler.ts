import { verifyUnsubscribeToken } from '../../lib/domain/unsubscribe-token.js';
import { brandedHtml, pageBranding } from '../../lib/http/branded-page.js';
import { methodNotAllowed } from '../../lib/http/errors.js';
import { httpHandler } from '../../lib/http/middleware.js';
import { formFields } from '../../lib/http/responses.js';
import { method, pathToken } from '../../lib/http/route.js';
import { logger } from '../../lib/observability.js';
import { unsubscribe } from '../../lib/usecases/unsubscribe.js';
import { signedLinkDependencies } from '../../lib/wiring.js';

const dependencies = signedLinkDependencies;

const formLimitBytes = 16_384;

/**
 * RFC 8058 one-click unsubscribe. POST (from the mail client's button or our page) unsubscribes at once and answers
 * 200, never a redirect. GET only shows a page with a button: link scanners prefetch GETs and must not unsubscribe.
 */
export const handler = httpHandler(async (event) => {
  const deps = await dependencies();
  const token = pathToken(event);
  const verb = method(event);
  if (verb === 'GET' || verb === 'HEAD') {
    const branding = await pageBranding(deps.config, brandingUnreadable);
    if (!verifyUnsubscribeToken(token, deps.secret)) return brandedHtml(400, 'Link not valid', invalidLink, branding);
    return brandedHtml(
      200,
      'Unsubscribe',
      `<h1>Unsubscribe?</h1><p>You will get no more of these emails.</p><form method="post" action=""><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
      branding,
    );
  }
  if (verb !== 'POST') throw methodNotAllowed();
  formFields(event, formLimitBytes); // enforces the size limit; the one-click body carries nothing we need beyond the token
  const outcome = await unsubscribe(token, deps);
  // Read after the unsubscribe, so a config store that does not answer can only make the page plain.
  const branding = await pageBranding(deps.config, brandingUnreadable);
  if (outcome === 'invalid_token') return brandedHtml(400, 'Link not valid', invalidLink, branding);
  return brandedHtml(
    200,
    'Unsubscribed',
    '<h1>You are unsubscribed</h1><p>We will not send you these emails again. Changed your mind? Subscribe again at the shop.</p>',
    branding,
  );
});

const invalidLink = '<h1>This link is not valid</h1><p>It may have been changed or cut short. Use the link from the email as it is.</p>';

const brandingUnreadable = (error: unknown) => logger.warn('page shown without branding: the campaign config could not be read', { error });
