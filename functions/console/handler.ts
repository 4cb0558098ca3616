import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { campaignConfigJsonSchema } from '../../lib/config/campaign-config.js';
import { consoleLabels } from '../../lib/domain/labels.js';
import { methodNotAllowed, notFound } from '../../lib/http/errors.js';
import { httpHandler } from '../../lib/http/middleware.js';
import type { HttpResult } from '../../lib/http/responses.js';
import { method } from '../../lib/http/route.js';

/** The console's ES modules: each is served at /console/<name>.js; nothing else on disk is reachable. */
const modules = [
  'app',
  'api',
  'dom',
  'format',
  'dashboard',
  'campaigns',
  'schema-form',
  'segments',
  'customer',
  'live-config',
  'email-frame',
  'coupons',
  'uplift',
] as const;

/** The console's static files, by the path they are served at. */
const files: Readonly<Record<string, { readonly file: string; readonly contentType: string }>> = {
  '/': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/console/style.css': { file: 'style.css', contentType: 'text/css; charset=utf-8' },
  '/console/email-frame.html': { file: 'email-frame.html', contentType: 'text/html; charset=utf-8' },
  ...Object.fromEntries(modules.map((name) => [`/console/${name}.js`, { file: `${name}.js`, contentType: 'text/javascript; charset=utf-8' }])),
};

/** What the console reads besides its files: generated from the code, so form fields and labels follow the schema. */
const generated: Readonly<Record<string, () => unknown>> = {
  '/console/campaign-config.schema.json': campaignConfigJsonSchema,
  '/console/labels.json': consoleLabels,
};

/** In the Lambda bundle the files sit next to the handler (infra copies them there); in the repository, in lib/. */
const bundled = new URL('./console/', import.meta.url);
const consoleDir = existsSync(new URL('index.html', bundled)) ? bundled : new URL('../../lib/console/', import.meta.url);

/**
 * How marketers sign in. On AWS the admin API sits behind a Cognito JWT authorizer, so the console signs in through
 * the user pool's hosted login (authorization code with PKCE); locally it asks for the admin token once.
 */
const signInSchema = z.object({
  CONSOLE_SIGN_IN_URL: z.url({ protocol: /^https$/, error: 'expected the https:// base URL of the Cognito domain' }).optional(),
  CONSOLE_CLIENT_ID: z
    .string()
    .regex(/^[a-z0-9]{1,128}$/, 'expected a Cognito app client id')
    .optional(),
});

function signIn(): { readonly kind: 'token' } | { readonly kind: 'cognito'; readonly url: string; readonly clientId: string } {
  const settings = signInSchema.parse(process.env);
  if (settings.CONSOLE_SIGN_IN_URL && settings.CONSOLE_CLIENT_ID)
    return { kind: 'cognito', url: settings.CONSOLE_SIGN_IN_URL.replace(/\/+$/, ''), clientId: settings.CONSOLE_CLIENT_ID };
  return { kind: 'token' };
}

/**
 * Only this origin's own scripts, styles, API and frames (and, on AWS, Cognito's token endpoint); no inline script or
 * style. The page holds its token in sessionStorage, so anything injected could read it: the CSP is the second line
 * after escaping.
 */
function contentSecurityPolicy(connectTo: string | undefined): string {
  return `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; frame-src 'self'; connect-src 'self'${connectTo ? ` ${connectTo}` : ''}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`;
}

/**
 * The email preview frame's page: the console loads it in a sandboxed iframe (an opaque origin: no access to the
 * console or its token) and posts the email's HTML to it. Emails need inline styles and outside images; no script of
 * the email's own runs, only the frame's one file.
 */
const emailFramePolicy =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src https: data:; font-src https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/**
 * `GET /`, `GET /console/{file}`, `GET /console/config.json` (how to sign in), the config's JSON Schema and the
 * labels: the marketers' console. The
 * page needs no token itself; every API call it makes does.
 */
export const handler = httpHandler(async (event): Promise<HttpResult> => {
  if (method(event) !== 'GET') throw methodNotAllowed();
  const how = signIn();
  const headers = {
    'content-security-policy': contentSecurityPolicy(how.kind === 'cognito' ? how.url : undefined),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
  if (event.rawPath === '/console/config.json') {
    return { statusCode: 200, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ signIn: how }) };
  }
  const make = generated[event.rawPath ?? ''];
  if (make) return { statusCode: 200, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(make()) };
  const entry = files[event.rawPath ?? '/'];
  if (!entry) throw notFound();
  const framePolicy = entry.file === 'email-frame.html' ? { 'content-security-policy': emailFramePolicy } : {};
  return {
    statusCode: 200,
    headers: { ...headers, ...framePolicy, 'content-type': entry.contentType },
    body: await readFile(new URL(entry.file, consoleDir), 'utf8'),
  };
});
