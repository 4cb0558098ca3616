import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterEach, describe, expect, it } from 'vitest';
import { SesEmailSender } from '../../lib/adapters/ses/email-sender.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { runNight } from '../../lib/usecases/run-night.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { inboxOf, localShop } from '../support/local-aws.js';

/**
 * The local SES never throttles, pauses or rejects, so a proxy on loopback answers some SendEmail calls the way
 * SES v2 does (status, x-amzn-ErrorType, JSON message) and forwards the rest to aws-ses-v2-local. The SDK's own
 * retry middleware sees these answers, which a stubbed `client.send` would skip.
 */
type SesFault = 'TooManyRequestsException' | 'SendingPausedException' | 'AccountSuspendedException' | 'MessageRejected';

const faultStatus: Record<SesFault, number> = {
  TooManyRequestsException: 429,
  SendingPausedException: 400,
  AccountSuspendedException: 400,
  MessageRejected: 400,
};

async function faultySes(target: string, faultFor: (index: number) => SesFault | undefined) {
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
      const forwarded = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: upstream.host } },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', () => outgoing.writeHead(502).end());
      forwarded.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { endpoint, sendCalls: () => sendCalls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let closeProxy: (() => Promise<void>) | undefined;
afterEach(async () => {
  await closeProxy?.();
  closeProxy = undefined;
});

const asOf = '2026-11-22';
const lost = ['2026-03-01', '2026-04-01', '2026-05-01'];

/** A shop whose night sends through the faulty SES, with the SDK client the sender uses on AWS, fewer attempts allowed. */
async function shopBehindFaultySes(names: readonly string[], faultFor: (index: number) => SesFault | undefined, maxAttempts = 3) {
  const shop = await localShop();
  await applyCampaignConfig(testConfig(), 'test', shop.deps);
  const entries = names.map((name) => customerFrom({ name, orderDays: lost }));
  await shop.deps.customers.putMany(entries);
  const proxy = await faultySes(shop.sesEndpoint, faultFor);
  closeProxy = proxy.close;
  const faultyEmail = new SesEmailSender(new SESv2Client({ endpoint: proxy.endpoint, region: 'eu-west-1', maxAttempts, retryMode: 'adaptive' }));
  const inboxes = async () => Promise.all(entries.map(({ customer }) => inboxOf(shop.sesEndpoint, customer.email!).then((mails) => mails.length)));
  return { ...shop, entries, proxy, faulty: { ...shop.deps, email: faultyEmail }, inboxes };
}

describe('SES TooManyRequestsException', () => {
  it('backs off and goes on: every customer gets their email once, however often SES said slow down', async () => {
    // Prepare: the first two SendEmail calls are throttled
    const shop = await shopBehindFaultySes(['Ann', 'Bea', 'Cal'], (index) => (index < 2 ? 'TooManyRequestsException' : undefined));
    // Act
    const night = await runNight(shop.faulty, { asOf, totalSegments: 1, sendConcurrency: 1 });
    // Assess
    expect(night).toMatchObject({ emailsSent: 3 });
    expect(night.skipped).toEqual({});
    expect(night.stoppedBy).toBeUndefined();
    expect(shop.proxy.sendCalls()).toBe(5);
    expect(await shop.inboxes()).toEqual([1, 1, 1]);
  });

  it('loses nothing when the retries run out: the step is given back and a later night sends it once', async () => {
    // Prepare: SES throttles every call tonight
    const shop = await shopBehindFaultySes(['Dan', 'Eli'], () => 'TooManyRequestsException', 2);
    // Act
    const throttled = await runNight(shop.faulty, { asOf });
    const entriesAfter = await Promise.all(shop.entries.map(({ customer }) => shop.deps.ledger.sendsOf(customer.customerId)));
    const later = await runNight(shop.deps, { asOf: '2026-11-23' });
    const again = await runNight(shop.deps, { asOf: '2026-11-24' });
    // Assess
    expect(throttled).toMatchObject({ emailsSent: 0, skipped: { send_failed: 2 } });
    expect(entriesAfter).toEqual([[], []]);
    expect(later.emailsSent).toBe(2);
    expect(again.emailsSent).toBe(0);
    expect(await shop.inboxes()).toEqual([1, 1]);
  });
});

describe('SES stops the account', () => {
  it.each(['SendingPausedException', 'AccountSuspendedException'] as const)(
    '%s stops the night, records it, and a later night sends without doubles',
    async (fault) => {
      // Prepare
      const names = ['Fia', 'Gio', 'Hep', 'Ida'];
      const shop = await shopBehindFaultySes(names, () => fault);
      // Act
      const stopped = await runNight(shop.faulty, { asOf, totalSegments: 1, sendConcurrency: 1 });
      const run = await shop.deps.runs.latest();
      const resumed = await runNight(shop.deps, { asOf });
      const again = await runNight(shop.deps, { asOf });
      // Assess: one refusal is enough to stop; SES is not asked again for the others tonight
      expect(stopped).toMatchObject({ emailsSent: 0, stoppedBy: fault, skipped: { sending_paused: names.length } });
      expect(shop.proxy.sendCalls()).toBe(1);
      expect(run).toMatchObject({ stoppedBy: fault });
      expect(resumed.emailsSent).toBe(names.length);
      expect(again.emailsSent).toBe(0);
      expect(await shop.inboxes()).toEqual(names.map(() => 1));
    },
  );
});

describe('SES MessageRejected', () => {
  it('marks the message failed once: neither the SDK nor a later night asks SES again', async () => {
    // Prepare
    const shop = await shopBehindFaultySes(['Jo'], () => 'MessageRejected', 5);
    // Act
    const first = await runNight(shop.faulty, { asOf });
    const second = await runNight(shop.faulty, { asOf: '2026-11-23' });
    // Assess
    expect(first).toMatchObject({ emailsSent: 0, skipped: { send_failed: 1 } });
    expect(second).toMatchObject({ emailsSent: 0, skipped: { failed_before: 1 } });
    expect(shop.proxy.sendCalls()).toBe(1);
    expect(await shop.deps.ledger.sendsOf(shop.entries[0]!.customer.customerId)).toEqual([
      expect.objectContaining({ status: 'failed', errorCode: 'MessageRejected' }),
    ]);
  });
});
