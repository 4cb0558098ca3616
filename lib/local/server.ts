import { createServer, type Server } from 'node:http';
import type { NightSummary } from '../usecases/run-night.js';

/** The local front door: links to what the stack serves and the latest run summary. */
export async function startLocalServer(options: { port: number; sesEndpoint: string; latestSummary: () => NightSummary | undefined }): Promise<Server> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method === 'GET' && path === '/health') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    } else if (request.method === 'GET' && path === '/runs/latest') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(options.latestSummary() ?? null, null, 2));
    } else if (request.method === 'GET' && path === '/') {
      const inbox = `http://localhost:${options.port + 1}/`;
      response
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(
          `<!doctype html><meta charset="utf-8"><title>Winback (local)</title><h1>Winback, local stack</h1><ul>` +
            `<li><a href="${inbox}">Sent mail inbox</a> (local SES)</li><li><a href="/runs/latest">Latest run summary</a> (JSON)</li></ul>`,
        );
    } else {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  return server;
}
