import { createHash, timingSafeEqual } from 'node:crypto';
import { unauthorized } from './errors.js';
import { header, type HttpEvent } from './responses.js';

/** Checks `Authorization: Bearer <token>` in constant time (both sides hashed to the same length first). */
export function requireBearer(event: HttpEvent, expected: string): void {
  const given = /^Bearer\s+(.+)$/i.exec(header(event, 'authorization') ?? '')?.[1]?.trim() ?? '';
  const digest = (text: string) => createHash('sha256').update(text).digest();
  if (!given || !timingSafeEqual(digest(given), digest(expected))) throw unauthorized('missing or invalid bearer token');
}
