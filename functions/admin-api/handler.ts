import { z } from 'zod';
import { readEnvironment, required } from '../../lib/config/environment.js';
import { badRequest, notFound } from '../../lib/http/errors.js';
import { requireBearer } from '../../lib/http/bearer.js';
import { httpHandler } from '../../lib/http/middleware.js';
import { json } from '../../lib/http/responses.js';
import { viewCustomer } from '../../lib/usecases/customer-view.js';
import { perContainer, tableAdapters } from '../../lib/wiring.js';

const dependencies = perContainer(async () => {
  const environment = readEnvironment();
  return { ...tableAdapters(environment), adminToken: required(environment, 'WINBACK_ADMIN_TOKEN', 'to authorize the admin API') };
});

const customerQuery = z.strictObject({ email: z.email('expected an email address') });

/** The read API: `GET /api/customers?email=ADDRESS` (bearer token) and `GET /health`. */
export const handler = httpHandler(async (event) => {
  if ((event.rawPath ?? '') === '/health') return json(200, { ok: true });
  const deps = await dependencies();
  requireBearer(event, deps.adminToken);
  if (event.rawPath === '/api/customers') {
    const query = customerQuery.safeParse(event.queryStringParameters ?? {});
    if (!query.success) {
      const issue = query.error.issues[0]!;
      throw badRequest(issue.code === 'unrecognized_keys' ? issue.keys.join(',') : issue.path.join('.') || 'email', issue.message);
    }
    const view = await viewCustomer(query.data.email, deps);
    if (!view) throw notFound('no customer with that email');
    return json(200, view);
  }
  throw notFound();
});
