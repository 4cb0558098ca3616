import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { HttpError } from '../../lib/http/errors.js';
import { json } from '../../lib/http/responses.js';
import { parseOr400, router } from '../../lib/http/router.js';
import { apiGatewayEvent } from '../support/http.js';

const context = {} as Context;
const route = router<{ readonly seen: string[] }>([
  { method: 'GET', path: '/api/campaigns/history', handle: async () => json(200, { route: 'history' }) },
  { method: 'GET', path: '/api/campaigns/{id}', handle: async ({ params }) => json(200, { route: 'campaign', id: params.id }) },
  { method: 'POST', path: '/api/campaigns/{id}/preview', handle: async ({ params }) => json(200, { route: 'preview', id: params.id }) },
]);
const answer = async (method: string, path: string) => {
  try {
    const result = await route(apiGatewayEvent(method, path), context, { seen: [] });
    return { status: result.statusCode, body: JSON.parse(result.body ?? '{}') as Record<string, unknown> };
  } catch (error) {
    return { status: (error as HttpError).status, body: (error as HttpError).body() };
  }
};

describe('the route table', () => {
  it('takes the first route that matches, with its named parts', async () => {
    expect(await answer('GET', '/api/campaigns/history')).toEqual({ status: 200, body: { route: 'history' } });
    expect(await answer('GET', '/api/campaigns/lost-winback')).toEqual({ status: 200, body: { route: 'campaign', id: 'lost-winback' } });
    expect(await answer('POST', '/api/campaigns/lost-winback/preview')).toEqual({ status: 200, body: { route: 'preview', id: 'lost-winback' } });
  });

  it('answers 405 for a known path with another method and 404 for anything else, ids outside the alphabet included', async () => {
    expect((await answer('DELETE', '/api/campaigns/lost-winback')).status).toBe(405);
    expect((await answer('GET', '/api/campaigns/lost-winback/preview')).status).toBe(405);
    expect((await answer('GET', '/api/campaigns/Lost_Winback')).status).toBe(404);
    expect((await answer('GET', '/api/campaigns/a/b/c')).status).toBe(404);
    expect((await answer('GET', '/api/campaigns/..%2F')).status).toBe(404);
  });
});

describe('parseOr400', () => {
  const schema = z.strictObject({ version: z.number('expected a version number').int() });

  it('names the field and the problem, an unknown key by its name, a problem without a path by the given field', () => {
    const refusal = (input: unknown) => {
      try {
        parseOr400(schema, input, 'body');
        return undefined;
      } catch (error) {
        return (error as HttpError).body();
      }
    };
    expect(refusal({ version: 'x' })).toEqual({ error: 'invalid_body', field: 'version', problem: 'expected a version number' });
    expect(refusal({ version: 1, extra: true })).toMatchObject({ error: 'invalid_body', field: 'extra' });
    expect(refusal('text')).toMatchObject({ error: 'invalid_body', field: 'body' });
    expect(parseOr400(schema, { version: 3 }, 'body')).toEqual({ version: 3 });
  });
});
