import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hashEmail } from '../../lib/domain/email.js';
import { signUnsubscribeToken } from '../../lib/domain/unsubscribe-token.js';
import { emailForLogs, logger, redactText } from '../../lib/observability.js';

/** Every line the shared logger prints, as written to stdout and stderr. */
function captureLogs() {
  const lines: string[] = [];
  const keep = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  return () => lines.join('');
}

beforeEach(() => logger.setLogLevel('DEBUG'));
afterEach(() => {
  vi.restoreAllMocks();
  logger.setLogLevel('ERROR');
});

const address = 'Zoë.Åström+vip@Example.org';
const secrets = {
  webhook: 'shpss_0123456789abcdef0123456789abcdef',
  admin: 'admin-token-0123456789abcdef0123',
  signing: 'unsubscribe-signing-key-0123456789abcdef',
};

describe('what the logger prints', () => {
  it('hashes every email address, wherever it hides: message, attributes, errors, query strings', () => {
    // Prepare
    const logs = captureLogs();
    // Act
    logger.error(`could not store the order of ${address}`, {
      customer: { email: address, note: `reply to <${address}>` },
      path: `/api/customers?email=${encodeURIComponent(address)}`,
      error: new Error(`SES refused ${address}`),
    });
    // Assess
    const printed = logs();
    for (const raw of [address, address.toLowerCase(), encodeURIComponent(address), 'Åström', 'Example.org']) expect(printed).not.toContain(raw);
    const masked = emailForLogs(address);
    expect(masked).toBe(`<email:${hashEmail(address).slice(0, 12)}>`);
    expect(JSON.parse(printed)).toMatchObject({
      message: `could not store the order of ${masked}`,
      customer: { email: masked, note: `reply to <${masked}>` },
      path: `/api/customers?email=${masked}`,
      error: { message: `SES refused ${masked}` },
    });
  });

  it('prints no credential: secret-named attributes, authorization and signature headers, signed links', () => {
    // Prepare
    const logs = captureLogs();
    const token = signUnsubscribeToken({ customerId: '9007199254740993', campaignId: 'lost-winback', emailHash: hashEmail(address) }, secrets.signing);
    // Act
    logger.warn('delivery refused', {
      headers: { Authorization: `Bearer ${secrets.admin}`, 'X-Shopify-Hmac-Sha256': 'c2lnbmF0dXJl', 'webhook-signature': 'v1,c2lnbmF0dXJl' },
      shopifyWebhookSecret: secrets.webhook,
      config: { UNSUBSCRIBE_SECRET: secrets.signing, apiKey: 'key-0123456789' },
      rawPath: `/unsubscribe/${token}`,
      retries: 3,
    });
    // Assess
    const printed = JSON.parse(logs()) as Record<string, unknown>;
    const text = JSON.stringify(printed);
    for (const value of [...Object.values(secrets), 'c2lnbmF0dXJl', 'key-0123456789', token]) expect(text).not.toContain(value);
    expect(printed).toMatchObject({
      headers: { Authorization: '[redacted]', 'X-Shopify-Hmac-Sha256': '[redacted]', 'webhook-signature': '[redacted]' },
      rawPath: '/unsubscribe/[token]',
      retries: 3,
    });
  });

  it('leaves no address readable for any local part and domain (property)', () => {
    const local = fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,20}$/);
    const label = fc.stringMatching(/^[a-z0-9]{1,12}$/);
    fc.assert(
      fc.property(
        local,
        label,
        fc.constantFrom('org', 'com', 'co.uk', 'de'),
        fc.string().filter((text) => !/[@%]/.test(text)),
        (name, host, tld, around) => {
          const email = `${name}@${host}.${tld}`;
          const masked = redactText(`${around} ${email} ${around}`);
          expect(masked).not.toContain(`${name}@`);
          expect(masked).toContain(emailForLogs(email));
        },
      ),
    );
  });
});
