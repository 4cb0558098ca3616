import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parseOperation, ShopifyGraphqlFake, shopifyTestToken } from '../support/fakes/shopify-graphql.js';

let fake: ShopifyGraphqlFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function post(target: ShopifyGraphqlFake, query: string, variables: Record<string, unknown> = {}, token = shopifyTestToken) {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-shopify-access-token': token },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe('the Shopify GraphQL Admin API fake', () => {
  it('refuses a wrong token with 401, as Shopify does', async () => {
    // Prepare
    fake = await ShopifyGraphqlFake.start();
    // Act
    const answer = await post(fake, '{ shop { name } }', {}, 'shpat_wrong');
    // Assess
    expect(answer.status).toBe(401);
    expect(answer.body.errors).toMatch(/Invalid API key or access token/);
  });

  it('answers each root field by its resolver, under its alias, with the cost in extensions', async () => {
    // Prepare
    fake = await ShopifyGraphqlFake.start();
    fake.resolve('echo', ({ variables }) => ({ said: variables.word }), { cost: 3 });
    // Act
    const answer = await post(fake, 'mutation Say($word: String!) { first: echo(word: $word) { said } currentAppInstallation { accessScopes { handle } } }', {
      word: 'hi',
    });
    // Assess
    expect(answer.body.data.first).toEqual({ said: 'hi' });
    expect(answer.body.data.currentAppInstallation.accessScopes).toContainEqual({ handle: 'write_discounts' });
    expect(answer.body.extensions.cost).toMatchObject({
      requestedQueryCost: 4,
      actualQueryCost: 4,
      throttleStatus: { maximumAvailable: 2000, restoreRate: 100 },
    });
  });

  it('throttles a query that costs more than the bucket holds, and lets it through once the bucket refilled', async () => {
    // Prepare
    let clock = 0;
    fake = await ShopifyGraphqlFake.start({ bucket: { maximumAvailable: 100, restoreRate: 50 }, now: () => clock });
    fake.resolve('expensive', () => 'done', { cost: 80 });
    await post(fake, '{ expensive }');
    // Act
    const throttled = await post(fake, '{ expensive }');
    clock += 2000;
    const later = await post(fake, '{ expensive }');
    // Assess
    expect(throttled.status).toBe(200);
    expect(throttled.body.data).toBeUndefined();
    expect(throttled.body.errors[0]).toMatchObject({ message: 'Throttled', extensions: { code: 'THROTTLED' } });
    expect(throttled.body.extensions.cost).toMatchObject({ requestedQueryCost: 80, actualQueryCost: null, throttleStatus: { currentlyAvailable: 20 } });
    expect(later.body.data.expensive).toBe('done');
  });

  it('plays an injected fault for the requests that touch a field, then answers normally', async () => {
    // Prepare
    fake = await ShopifyGraphqlFake.start();
    fake.resolve('thing', () => 1).fail({ status: 503, body: { errors: 'Service Unavailable' } }, { field: 'thing', times: 1 });
    // Act
    const other = await post(fake, '{ shop { name } }');
    const failed = await post(fake, '{ thing }');
    const next = await post(fake, '{ thing }');
    // Assess
    expect(other.status).toBe(200);
    expect(failed.status).toBe(503);
    expect(next.body.data.thing).toBe(1);
  });

  it('reads root fields past comments, strings with braces and nested selections', () => {
    // Act
    const parsed = parseOperation('# a { comment\nquery Q($q: String) { a: bulk(query: """ { orders { id } } """) { id } other(x: "}") # }\n }');
    // Assess
    expect(parsed).toEqual({
      operation: 'query',
      fields: [
        { name: 'bulk', alias: 'a', argumentText: 'query: """ { orders { id } } """' },
        { name: 'other', argumentText: 'x: "}"' },
      ],
    });
  });

  it('never throws anything but a parse error on any text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          parseOperation(text);
        } catch (error) {
          expect((error as Error).message).toMatch(/^Parse error/);
        }
      }),
    );
  });
});
