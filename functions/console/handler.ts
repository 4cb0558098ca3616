import { readFile } from 'node:fs/promises';
import { methodNotAllowed, notFound } from '../../lib/http/errors.js';
import { httpHandler } from '../../lib/http/middleware.js';
import type { HttpResult } from '../../lib/http/responses.js';
import { method } from '../../lib/http/route.js';

/** The console's static files, by the path they are served at; nothing else on disk is reachable. */
const files: Readonly<Record<string, { readonly file: string; readonly contentType: string }>> = {
  '/': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/console/app.js': { file: 'app.js', contentType: 'text/javascript; charset=utf-8' },
  '/console/style.css': { file: 'style.css', contentType: 'text/css; charset=utf-8' },
};
const consoleDir = new URL('../../lib/console/', import.meta.url);

/**
 * Only this origin's own script, styles and API; no inline script or style, no frames. The page holds the admin
 * token in sessionStorage, so anything injected could read it: the CSP is the second line after escaping.
 */
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** `GET /` and `GET /console/{file}`: the marketers' console. It needs no token itself; every API call it makes does. */
export const handler = httpHandler(async (event): Promise<HttpResult> => {
  if (method(event) !== 'GET') throw methodNotAllowed();
  const entry = files[event.rawPath ?? '/'];
  if (!entry) throw notFound();
  return {
    statusCode: 200,
    headers: {
      'content-type': entry.contentType,
      'content-security-policy': contentSecurityPolicy,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
    },
    body: await readFile(new URL(entry.file, consoleDir), 'utf8'),
  };
});
