import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { hashEmail } from '../../lib/domain/email.js';
import { signFeedbackToken, signUnsubscribeToken } from '../../lib/domain/unsubscribe-token.js';
import { localEventsHeaders } from '../../lib/local/server.js';
import { sesEventEnvelope } from '../../lib/local/ses-event-envelopes.js';
import { customerFrom } from '../support/customers.js';
import { localApi } from '../support/http.js';
import { localShop, testUnsubscribeSecret, useShopEnvironment } from '../support/local-aws.js';

let api: Awaited<ReturnType<typeof localApi>>;
let shop: Awaited<ReturnType<typeof localShop>>;

beforeAll(async () => {
  shop = await localShop();
  useShopEnvironment(shop, { WINBACK_ADMIN_TOKEN: 'test-admin-token-0123456789abcdef' });
  api = await localApi();
});
afterAll(async () => {
  await api.close();
  vi.unstubAllEnvs();
});

async function storedCustomer(name: string) {
  const { customer } = customerFrom({ name, orderDays: ['2026-03-01', '2026-05-01'] });
  await shop.deps.customers.putMany([{ customer, orders: [] }]);
  const emailHash = hashEmail(customer.email!);
  const isSuppressed = async () => (await shop.deps.suppressions.suppressedAmong([emailHash])).has(emailHash);
  return { customer, emailHash, isSuppressed };
}

describe('POST /local/ses-events refuses what a web page could send', () => {
  it('answers 415 to a cross-origin text/plain post and 403 to JSON without the local header, and acts on neither', async () => {
    // Prepare
    const { customer, isSuppressed } = await storedCustomer('Cora');
    const envelope = JSON.stringify(sesEventEnvelope({ type: 'Complaint', messageId: 'forged-message-id', recipient: customer.email!, at: new Date() }));
    // Act: what <form enctype="text/plain"> or fetch(..., {mode: 'no-cors'}) can send without a preflight
    const plain = await api.request('POST', '/local/ses-events', {
      body: envelope,
      headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'https://evil.example' },
    });
    const noHeader = await api.request('POST', '/local/ses-events', { body: envelope, headers: { 'content-type': 'application/json' } });
    const suppressedByRefused = await isSuppressed();
    const withHeader = await api.request('POST', '/local/ses-events', { body: envelope, headers: { ...localEventsHeaders } });
    // Assess
    expect(plain.status).toBe(415);
    expect(plain.json).toMatchObject({ field: 'content-type' });
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    expect(noHeader.status).toBe(403);
    expect(noHeader.json).toMatchObject({ field: 'x-winback-local' });
    expect(suppressedByRefused).toBe(false);
    // the same complaint with the header is acted on: the refusals above were about the request, not the event
    expect(withHeader.status).toBe(200);
    expect(await isSuppressed()).toBe(true);
  });
});

describe('signed link routes', () => {
  it.each(['/unsubscribe/abc%E0%A4%A', '/feedback/%zz', '/unsubscribe/%', '/feedback/x%C0%80'])(
    'answers 400, never 500, to the malformed escape in %s',
    async (path) => {
      // Act
      const get = await api.request('GET', path);
      const post = await api.request('POST', path, { body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      // Assess
      expect([get.status, post.status]).toEqual([400, 400]);
      expect(get.text).not.toContain('URIError');
      expect(get.json).toMatchObject({ field: 'token' });
    },
  );

  it('answers HEAD on an unsubscribe link like GET, with no body, and does not unsubscribe', async () => {
    // Prepare
    const { customer, emailHash, isSuppressed } = await storedCustomer('Hedda');
    const token = signUnsubscribeToken({ customerId: customer.customerId, campaignId: 'lost-winback', emailHash }, testUnsubscribeSecret);
    // Act
    const head = await api.request('HEAD', `/unsubscribe/${token}`);
    const get = await api.request('GET', `/unsubscribe/${token}`);
    // Assess
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
    expect(await isSuppressed()).toBe(false);
  });

  it('answers HEAD on a feedback link and on the console like GET, with no body', async () => {
    // Prepare
    const token = signFeedbackToken({ customerId: '7001', campaignId: 'lost-winback', episode: '2026-11-22', step: 0 }, testUnsubscribeSecret);
    // Act
    const feedback = await api.request('HEAD', `/feedback/${token}?answer=delivery`);
    const health = await api.request('HEAD', '/health');
    // Assess
    expect([feedback.status, health.status]).toEqual([200, 200]);
    expect(feedback.text + health.text).toBe('');
  });
});

/** Every address of this machine that is not loopback, as a client would dial it. */
function nonLoopbackAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((entry) => entry !== undefined && !entry.internal && !(entry.family === 'IPv6' && entry.address.startsWith('fe80')))
    .map((entry) => entry!.address);
}

function dial(host: string, port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('DynamoDB Local', () => {
  const port = Number(new URL(inject('dynamoEndpoint')).port);

  if (nonLoopbackAddresses().length === 0) console.warn('Skipping the dial test of DynamoDB Local: this machine has no non-loopback address to dial.');

  it.skipIf(nonLoopbackAddresses().length === 0)('cannot be reached on any non-loopback address of this machine', async () => {
    // Act
    const outcomes = await Promise.all(nonLoopbackAddresses().map(async (address) => [address, await dial(address, port)] as const));
    const loopback = await dial('127.0.0.1', port);
    // Assess
    expect(loopback).toBe('connected');
    for (const [address, outcome] of outcomes) expect(outcome, address).not.toBe('connected');
  });

  it('listens on loopback only, as the kernel reports its listening sockets', () => {
    // Prepare
    let listing: string;
    try {
      listing = execFileSync('ss', ['-Hltn', `sport = :${port}`]).toString();
    } catch {
      return; // no `ss` here: the test above dials the addresses instead
    }
    // Act
    const localAddresses = listing
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[3]!);
    // Assess
    expect(localAddresses.length).toBeGreaterThan(0);
    for (const address of localAddresses) expect(address).toMatch(/^(127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]|\[::1\]):\d+$/);
  });
});
