import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';

/** Passes a request a fault proxy let through on to the emulator behind it, and its answer back unchanged. */
export function forwardTo(upstream: URL, incoming: IncomingMessage, outgoing: ServerResponse, body: Buffer | string): void {
  const forwarded = httpRequest(
    { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: upstream.host } },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    },
  );
  forwarded.on('error', () => outgoing.writeHead(502).end());
  forwarded.end(body);
}
