import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphqlFieldError, type ShopifyGraphqlFake } from './shopify-graphql.js';

/**
 * Bulk operations on the Shopify GraphQL fake, as shopify.dev documents them: `bulkOperationRunQuery` starts one (a
 * second while one runs gets the userError Shopify gives), `node(id:)` and `currentBulkOperation` report it CREATED,
 * RUNNING for `pollsWhileRunning` polls, then COMPLETED with `url` (the JSONL, served here without authentication,
 * like Shopify's signed storage URL) or with `url: null` when nothing matched, or FAILED with an `errorCode`.
 */
export interface BulkFakeOptions {
  /** The JSONL result, one object per line; children carry `__parentId`. */
  readonly jsonl: string;
  readonly pollsWhileRunning?: number;
  readonly outcome?: { readonly status: 'FAILED'; readonly errorCode: string };
}

interface Operation {
  readonly id: string;
  status: string;
  polls: number;
  readonly query: string;
}

export async function addBulkOperations(fake: ShopifyGraphqlFake, options: BulkFakeOptions) {
  const files = createServer((request, response) => {
    if (request.url !== '/bulk/result.jsonl') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/jsonl' }).end(options.jsonl);
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  const fileUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}/bulk/result.jsonl`;
  const operations: Operation[] = [];
  let next = 1;

  const view = (operation: Operation) => {
    const objectCount = String(options.jsonl.split('\n').filter((line) => line.trim() !== '').length);
    if (operation.status === 'COMPLETED')
      return { id: operation.id, status: 'COMPLETED', errorCode: null, objectCount, url: options.jsonl.trim() === '' ? null : fileUrl, partialDataUrl: null };
    if (operation.status === 'FAILED')
      return {
        id: operation.id,
        status: 'FAILED',
        errorCode: options.outcome?.errorCode ?? 'INTERNAL_SERVER_ERROR',
        objectCount: '0',
        url: null,
        partialDataUrl: null,
      };
    return { id: operation.id, status: operation.status, errorCode: null, objectCount: '0', url: null, partialDataUrl: null };
  };
  const advance = (operation: Operation) => {
    operation.polls += 1;
    if (operation.status === 'CREATED') operation.status = 'RUNNING';
    if (operation.status === 'RUNNING' && operation.polls > (options.pollsWhileRunning ?? 1)) operation.status = options.outcome?.status ?? 'COMPLETED';
  };
  const running = () => operations.find((operation) => operation.status === 'CREATED' || operation.status === 'RUNNING');

  fake.resolve(
    'bulkOperationRunQuery',
    ({ variables }) => {
      const query = variables.query;
      if (typeof query !== 'string' || !query.includes('orders'))
        return { bulkOperation: null, userErrors: [{ field: ['query'], message: 'Invalid bulk query' }] };
      const busy = running();
      if (busy)
        return {
          bulkOperation: null,
          userErrors: [{ field: null, message: `A bulk query operation for this app and shop is already in progress: ${busy.id}.` }],
        };
      const operation: Operation = { id: `gid://shopify/BulkOperation/${next++}`, status: 'CREATED', polls: 0, query };
      operations.push(operation);
      return { bulkOperation: { id: operation.id, status: operation.status }, userErrors: [] };
    },
    { cost: 10 },
  );
  fake.resolve('node', ({ variables }) => {
    const operation = operations.find((candidate) => candidate.id === variables.id);
    if (!operation) throw new GraphqlFieldError(`Invalid global id '${String(variables.id)}'`, 'argumentLiteralsIncompatible');
    advance(operation);
    return view(operation);
  });
  fake.resolve('currentBulkOperation', () => {
    const operation = operations.at(-1);
    if (!operation) return null;
    advance(operation);
    return view(operation);
  });

  return {
    operations,
    close: async () => {
      files.closeAllConnections();
      await new Promise<void>((resolve) => files.close(() => resolve()));
    },
  };
}
