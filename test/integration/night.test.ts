import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { SesEmailSender } from '../../lib/adapters/ses/email-sender.js';
import { InvalidCampaignConfigError } from '../../lib/config/campaign-config.js';
import { hashEmail } from '../../lib/domain/email.js';
import { verifyUnsubscribeToken } from '../../lib/domain/unsubscribe-token.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { type NightDependencies, runNight } from '../../lib/usecases/run-night.js';
import { type CustomerSpec, customerFrom, testConfig } from '../support/customers.js';
import { inboxOf, localShop, testUnsubscribeSecret } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';

const asOf = '2026-11-22';
const lost = ['2026-03-01', '2026-04-01', '2026-05-01'];
const atRisk = ['2026-09-12', '2026-10-02', '2026-10-22'];
const active = ['2026-10-20', '2026-11-01', '2026-11-15'];

/** A small shop on its own table: the people who should be emailed and the ones who must never be. */
async function shopWith(specs: readonly CustomerSpec[], options: { email?: NightDependencies['email']; suppressed?: readonly string[] } = {}) {
  const shop = await localShop(options.email ? { email: options.email } : {});
  await applyCampaignConfig(testConfig(), 'test', shop.deps);
  const entries = specs.map((spec) => customerFrom(spec));
  await shop.deps.customers.putMany(entries);
  const byName = new Map(entries.map((entry) => [entry.customer.firstName!, entry.customer]));
  for (const name of options.suppressed ?? []) {
    await shop.deps.suppressions.add({ emailHash: hashEmail(byName.get(name)!.email!), reason: 'bounced', source: 'test', at: '2026-01-01T00:00:00Z' });
  }
  const inbox = (name: string) => inboxOf(shop.sesEndpoint, byName.get(name)!.email!);
  return { ...shop, byName, inbox };
}

describe('the night, on DynamoDB Local and the local SES', () => {
  it('emails at-risk and lost customers once, personalised, with one-click unsubscribe headers', async () => {
    // Prepare
    const shop = await shopWith([
      { name: 'Lena', orderDays: lost },
      { name: 'Rita', orderDays: atRisk },
      { name: 'Aldo', orderDays: active },
    ]);
    // Act
    const summary = await workflowNight(shop, asOf);
    // Assess
    expect(summary).toMatchObject({
      customersScanned: 3,
      active: 1,
      atRisk: 1,
      lost: 1,
      emailsSent: 2,
      sentByCampaign: { 'lost-winback': 1, 'at-risk-nudge': 1 },
    });
    expect(await shop.inbox('Aldo')).toHaveLength(0);
    const [mail] = await shop.inbox('Lena');
    const [send] = await shop.deps.ledger.sendsOf(shop.byName.get('Lena')!.customerId);
    const offerPercent = send!.arm === 'bigger-first-offer' ? 20 : 15;
    expect(mail!.subject).toBe(`We miss you, Lena — ${offerPercent}% off your next order`);
    expect(send).toMatchObject({
      status: 'sent',
      step: 0,
      offer: { kind: 'percent', value: offerPercent },
      offerCode: expect.stringMatching(/^WELCOMEBACK-[0-9A-Z]{8}$/),
    });
    expect(mail!.body.text).toContain(`with code ${send!.offerCode}, valid until 13 December 2026`);
    expect(mail!.body.text).toContain('Prinsengracht 263');
    const header = (name: string) => mail!.headers?.find((candidate) => candidate.name === name)?.value;
    expect(header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const url = /^<(https:\/\/shop\.example\/winback\/unsubscribe\/([^>]+))>$/.exec(header('List-Unsubscribe') ?? '');
    expect(url).not.toBeNull();
    expect(mail!.body.html).toContain(url![1]);
    expect(verifyUnsubscribeToken(url![2]!, testUnsubscribeSecret)).toEqual({
      customerId: shop.byName.get('Lena')!.customerId,
      campaignId: 'lost-winback',
      emailHash: hashEmail(shop.byName.get('Lena')!.email!),
    });
    const tampered = url![2]!.replace(/^./, (first) => (first === 'e' ? 'f' : 'e'));
    expect(verifyUnsubscribeToken(tampered, testUnsubscribeSecret)).toBeUndefined();
  });

  it('sends nobody a second email when the same night runs again', async () => {
    // Prepare
    const shop = await shopWith([
      { name: 'Lena', orderDays: lost },
      { name: 'Rita', orderDays: atRisk },
    ]);
    // Act
    const first = await workflowNight(shop, asOf);
    const second = await workflowNight(shop, asOf);
    // Assess
    expect(first.emailsSent).toBe(2);
    expect(second.emailsSent).toBe(0);
    expect(second.skipped).toEqual({ already_sent: 2 });
    expect(await shop.inbox('Lena')).toHaveLength(1);
    expect(await shop.inbox('Rita')).toHaveLength(1);
  });

  it('works on at most segmentConcurrency segments at once and still scans every customer once', async () => {
    // Prepare
    const names = ['Lena', 'Rita', 'Mona', 'Ines', 'Omar', 'Yuki', 'Pia'];
    const shop = await shopWith(names.map((name) => ({ name, orderDays: lost })));
    const open = new Set<number>();
    let mostOpen = 0;
    const scanPage = shop.deps.customers.scanPage.bind(shop.deps.customers);
    const customers = Object.assign(Object.create(shop.deps.customers) as typeof shop.deps.customers, {
      async scanPage(position: Parameters<typeof scanPage>[0]) {
        open.add(position.segment);
        mostOpen = Math.max(mostOpen, open.size);
        const page = await scanPage(position);
        if (!page.nextCursor) open.delete(position.segment);
        return page;
      },
    });
    // Act
    const summary = await runNight({ ...shop.deps, customers }, { asOf, totalSegments: 6, segmentConcurrency: 2 });
    // Assess
    expect(mostOpen).toBe(2);
    expect(summary).toMatchObject({ totalSegments: 6, customersScanned: names.length, emailsSent: names.length });
  });

  it('sends each customer at most one email when two runs start at the same moment', async () => {
    // Prepare
    const names = ['Ada', 'Ben', 'Cas', 'Dee', 'Eli', 'Fen', 'Gil', 'Hux'];
    const shop = await shopWith(names.map((name) => ({ name, orderDays: lost })));
    // Act
    const [one, two] = await Promise.all([runNight(shop.deps, { asOf }), runNight(shop.deps, { asOf })]);
    // Assess
    expect(one!.emailsSent + two!.emailsSent).toBe(names.length);
    expect((one!.skipped.already_sent ?? 0) + (two!.skipped.already_sent ?? 0)).toBe(names.length);
    for (const name of names) expect(await shop.inbox(name)).toHaveLength(1);
  });

  it('never emails suppressed, unsubscribed or non-consenting customers', async () => {
    // Prepare
    const shop = await shopWith(
      [
        { name: 'Sue', orderDays: lost },
        { name: 'Uma', orderDays: lost, consent: 'unsubscribed' },
        { name: 'Nia', orderDays: lost, consent: 'not_subscribed' },
        { name: 'Pip', orderDays: lost, consent: 'pending' },
        { name: 'Noe', orderDays: lost, email: null },
        { name: 'Ola', orderDays: lost },
      ],
      { suppressed: ['Sue'] },
    );
    // Act
    const summary = await workflowNight(shop, asOf);
    // Assess
    expect(summary.emailsSent).toBe(1);
    expect(summary.skipped).toEqual({ suppressed: 1, unsubscribed: 1, no_consent: 2, no_email: 1 });
    for (const name of ['Sue', 'Uma', 'Nia', 'Pip']) expect(await shop.inbox(name)).toHaveLength(0);
    expect(await shop.inbox('Ola')).toHaveLength(1);
  });

  it('refuses a bad stored config with its paths named, and sends nothing', async () => {
    // Prepare
    const shop = await shopWith([{ name: 'Lena', orderDays: lost }]);
    const raw = structuredClone(testConfig()) as Record<string, unknown> & { campaigns: Record<string, unknown>[] };
    raw.campaigns[1]!.audience = 'gone';
    raw.colour = 'blue';
    await shop.deps.configs.putVersion({ version: 2, config: raw as never, appliedAt: '2026-11-22T00:00:00Z', appliedBy: 'someone in a hurry' });
    // Act
    const night = runNight(shop.deps, { asOf });
    // Assess
    await expect(night).rejects.toBeInstanceOf(InvalidCampaignConfigError);
    await expect(night).rejects.toMatchObject({
      problems: expect.arrayContaining([expect.objectContaining({ path: 'campaigns[lost-winback].audience' }), expect.objectContaining({ path: 'colour' })]),
    });
    expect(await shop.inbox('Lena')).toHaveLength(0);
  });

  it('does not store a config that fails validation', async () => {
    // Prepare
    const shop = await shopWith([]);
    const before = await shop.deps.configs.latest();
    // Act
    const applying = applyCampaignConfig({ ...testConfig(), version: 3 }, 'test', shop.deps);
    // Assess
    await expect(applying).rejects.toMatchObject({ problems: [{ path: 'version' }] });
    expect((await shop.deps.configs.latest())!.version).toBe(before!.version);
  });

  it('stops sending when SES pauses the account, and a later night sends without doubles', async () => {
    // Prepare: an SES client that answers SendingPausedException, a fault the local SES cannot produce
    const pausedClient = new SESv2Client({ region: 'eu-west-1' });
    mockClient(pausedClient)
      .on(SendEmailCommand)
      .rejects(Object.assign(new Error('Sending paused for this account'), { name: 'SendingPausedException' }));
    const names = ['Ivo', 'Jan', 'Kai'];
    const shop = await shopWith(
      names.map((name) => ({ name, orderDays: lost })),
      { email: new SesEmailSender(pausedClient) },
    );
    const realSes = (await localShop()).deps.email;
    // Act
    const paused = await runNight(shop.deps, { asOf });
    const resumed = await runNight({ ...shop.deps, email: realSes }, { asOf });
    const again = await runNight({ ...shop.deps, email: realSes }, { asOf });
    // Assess
    expect(paused).toMatchObject({ emailsSent: 0, stoppedBy: 'SendingPausedException', skipped: { sending_paused: 3 } });
    expect(resumed.emailsSent).toBe(3);
    expect(again.emailsSent).toBe(0);
    for (const name of names) expect(await shop.inbox(name)).toHaveLength(1);
  });
});

describe('the night, when SES refuses', () => {
  it('marks a rejected message failed and never retries it', async () => {
    // Prepare
    const rejecting = new SESv2Client({ region: 'eu-west-1' });
    mockClient(rejecting)
      .on(SendEmailCommand)
      .rejects(Object.assign(new Error('Email address is not verified'), { name: 'MessageRejected' }));
    const shop = await shopWith([{ name: 'Liv', orderDays: lost }], { email: new SesEmailSender(rejecting) });
    // Act
    const first = await runNight(shop.deps, { asOf });
    const second = await runNight(shop.deps, { asOf: '2026-11-23' });
    // Assess
    expect(first).toMatchObject({ emailsSent: 0, skipped: { send_failed: 1 } });
    expect(second).toMatchObject({ emailsSent: 0, skipped: { failed_before: 1 } });
  });

  it('stops the night on AccessDenied instead of burning every customer in the ledger', async () => {
    // Prepare
    const denied = new SESv2Client({ region: 'eu-west-1' });
    mockClient(denied)
      .on(SendEmailCommand)
      .rejects(Object.assign(new Error('not authorized to perform ses:SendEmail'), { name: 'AccessDeniedException' }));
    const shop = await shopWith([{ name: 'Mo', orderDays: lost }], { email: new SesEmailSender(denied) });
    const realSes = (await localShop()).deps.email;
    // Act
    const stopped = await runNight(shop.deps, { asOf });
    const fixed = await runNight({ ...shop.deps, email: realSes }, { asOf });
    // Assess
    expect(stopped).toMatchObject({ emailsSent: 0, stoppedBy: 'AccessDeniedException' });
    expect(fixed.emailsSent).toBe(1);
  });
});
