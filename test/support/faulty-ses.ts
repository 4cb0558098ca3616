import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forwardTo } from './forward.js';

/**
 * The local SES never throttles, pauses or rejects, so a proxy on loopback answers some SendEmail calls the way
 * SES v2 does (status, x-amzn-ErrorType, JSON message) and forwards the rest to aws-ses-v2-local. The SDK's own
 * retry middleware sees these answers, which a stubbed `client.send` would skip; and the handlers build their own
 * SES client, as on Lambda, pointed at it by the environment.
 */
export type SesFault = 'TooManyRequestsException' | 'SendingPausedException' | 'AccountSuspendedException' | 'AccessDeniedException' | 'MessageRejected';

const faultStatus: Record<SesFault, number> = {
  TooManyRequestsException: 429,
  SendingPausedException: 400,
  AccountSuspendedException: 400,
  AccessDeniedException: 403,
  MessageRejected: 400,
};

/**
 * A proxy in front of the local SES at `target` that answers the `index`th SendEmail call with `faultFor(index)`.
 * A night's handlers reach it through AWS_ENDPOINT_URL_SESV2 (see faultySesEnvironment).
 */
export async function faultySes(target: string, faultFor: (index: number) => SesFault | undefined) {
  let sendCalls = 0;
  const upstream = new URL(target);
  const server: Server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const isSend = incoming.method === 'POST' && incoming.url === '/v2/email/outbound-emails';
      const fault = isSend ? faultFor(sendCalls) : undefined;
      if (isSend) sendCalls += 1;
      if (fault) {
        outgoing
          .writeHead(faultStatus[fault], { 'content-type': 'application/json', 'x-amzn-errortype': fault, 'x-amzn-requestid': 'fault' })
          .end(JSON.stringify({ message: `simulated ${fault}` }));
        return;
      }
      forwardTo(upstream, incoming, outgoing, Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { endpoint, sendCalls: () => sendCalls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * The environment that points a night's handlers at the proxy: their own SES client calls it, with `maxAttempts`
 * SDK attempts per email (SES_MAX_ATTEMPTS; 6 on AWS, whose backoff on throttling takes seconds).
 */
export function faultySesEnvironment(proxy: { endpoint: string }, maxAttempts = 3): Record<string, string> {
  return { AWS_ENDPOINT_URL_SESV2: proxy.endpoint, SES_MAX_ATTEMPTS: String(maxAttempts) };
}
