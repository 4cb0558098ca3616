import { createHash, timingSafeEqual } from 'node:crypto';
import { unauthorized } from './errors.js';
import { type HttpEvent, header } from './responses.js';

/**
 * Checks `Authorization: Bearer <token>` in constant time (both sides hashed to the same length first). On AWS the
 * API Gateway JWT authorizer (Cognito) has already verified the caller and put the claims in the request context,
 * which no client can set: then the token in the header is Cognito's, and the shared admin token is not asked for.
 */
export function requireBearer(event: HttpEvent, expected: string): void {
  const claims = (event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } } | undefined)?.authorizer?.jwt?.claims;
  if (claims && typeof claims.sub === 'string') return;
  const given = /^Bearer\s+(.+)$/i.exec(header(event, 'authorization') ?? '')?.[1]?.trim() ?? '';
  const digest = (text: string) => createHash('sha256').update(text).digest();
  if (!given || !timingSafeEqual(digest(given), digest(expected))) throw unauthorized('missing or invalid bearer token');
}
