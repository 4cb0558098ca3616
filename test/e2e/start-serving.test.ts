import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { DynamoReportSnapshots } from '../../lib/adapters/dynamodb/report-snapshots.js';
import { useLocalCredentials } from '../../lib/local/stack.js';
import { type ServingCli, startServing, threeFreePorts } from '../support/cli.js';
import type { StoredEmail } from '../support/local-aws.js';

/**
 * `npm start -- --reset` as the README's first command runs it on a fresh machine: the demo shop seeded, its first
 * night, then serving until Ctrl-C. Started for real in a child process, on its own embedded stack, once for every
 * check of this file. Issue 24's acceptance reads the first night's emails as the local SES keeps them: the shop is
 * big enough (1,200 customers) that the night would email more than the warm-up's 500 without it. The CLI serves
 * after the night, so its local SES (port + 1) is still there to be read; `--once` would take it down.
 */
describe('npm start -- --reset (the first night, then serving)', { timeout: 60_000 }, () => {
  let workDir: string;
  let port: number;
  let serving: ServingCli;

  beforeAll(async () => {
    // Prepare: a fresh demo shop of 1,200 customers, its first night run, left serving
    workDir = await mkdtemp(join(tmpdir(), 'winback-serving-'));
    port = await threeFreePorts();
    serving = await startServing(['--reset', '--as-of', '2026-11-22', '--customers', '1200', '--port', String(port), '--report', join(workDir, 'night.json')], {
      dataDir: join(workDir, 'data'),
    });
  }, 600_000);
  afterAll(async () => {
    await serving?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('sends between 1 and 500 emails on the first night, each branded, responsive, with a text part and tagged links into the shop', async () => {
    // Act: the child's local SES (port + 1) still holds every email the night sent
    const night = JSON.parse(await readFile(join(workDir, 'night.json'), 'utf8')) as {
      emailsSent: number;
      skipped: Record<string, number>;
      warmUp?: { limit: number; backlog: number };
    };
    const { emails } = (await (await fetch(`http://127.0.0.1:${port + 1}/store`)).json()) as { emails: StoredEmail[] };
    const report = (await (await fetch(`http://127.0.0.1:${port}/api/report`, { headers: { authorization: `Bearer ${serving.token}` } })).json()) as {
      shop: { warmUp?: { backlog: number } };
    };
    // Assess: the demo shop was seeded by this very command
    expect(serving.output()).toContain('Seeded 1,200 customers');
    // the warm-up held the night back (without it, more than 500 would have gone)
    expect(night.warmUp).toMatchObject({ limit: 500, warmingUp: true });
    expect(night.skipped.warm_up).toBeGreaterThan(0);
    expect(night.warmUp!.backlog).toBeGreaterThanOrEqual(night.skipped.warm_up!);
    expect(night.emailsSent).toBeGreaterThanOrEqual(1);
    expect(night.emailsSent).toBeLessThanOrEqual(500);
    expect(emails).toHaveLength(night.emailsSent);
    expect(report.shop.warmUp).toMatchObject({ limit: 500, warmingUp: true, backlog: night.warmUp!.backlog });
    const problems = emails.flatMap((email) =>
      emailProblems(email, 'https://alderandfinch.example').map((problem) => `${email.destination.to[0]}: ${problem}`),
    );
    expect(problems).toEqual([]);
  });

  it('serves the API with the token it printed, has stored the report after its night, and printed no JSON log lines', async () => {
    // Act
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    const report = await fetch(`http://127.0.0.1:${port}/api/report`, { headers: { authorization: `Bearer ${serving.token}` } });
    useLocalCredentials();
    const stored = await new DynamoReportSnapshots(createDocumentClient({ endpoint: `http://127.0.0.1:${port + 2}` }), 'winback').latest();
    // Assess
    expect(health.status).toBe(200);
    expect(report.status).toBe(200);
    const body = (await report.json()) as { servedFrom: string; campaigns: { id: string; sent: number }[] };
    expect(body.servedFrom).toBe('live');
    expect(body.campaigns.reduce((sum, campaign) => sum + campaign.sent, 0)).toBeGreaterThan(0);
    expect(stored?.report.campaigns.map((campaign) => campaign.id).sort()).toEqual(body.campaigns.map((campaign) => campaign.id).sort());
    expect(stored?.report.campaigns.map((campaign) => campaign.sent)).toEqual(
      stored?.report.campaigns.map((campaign) => body.campaigns.find((live) => live.id === campaign.id)!.sent),
    );
    expect(serving.output()).not.toMatch(/^\{"level"/m);
  });

  it('stops cleanly on SIGTERM', async () => {
    // Act
    const code = await serving.stop();
    // Assess
    expect(code).toBe(0);
    expect(serving.output()).toContain('Stopping ...');
  });
});

/** What issue 24's acceptance asks of every sent email, as a list of what is missing (empty when nothing is). */
function emailProblems(email: StoredEmail, shopUrl: string): string[] {
  const html = email.body.html ?? '';
  const shopLinks = [...html.matchAll(/href="([^"]*)"/g)]
    .map((match) => match[1]!.replaceAll('&amp;', '&'))
    .filter((href) => href.startsWith(`${shopUrl}/`) || href === shopUrl);
  const tagged = shopLinks.filter((href) => {
    const query = new URL(href).searchParams;
    return query.get('utm_source') && query.get('utm_medium') === 'email' && query.get('utm_campaign');
  });
  return [
    ...(tagged.length === 0 ? ['no link into the shop with UTM tags'] : []),
    ...(tagged.length < shopLinks.length ? [`${shopLinks.length - tagged.length} links into the shop without UTM tags`] : []),
    ...(new Set(shopLinks).size < 2 ? ['no product or call-to-action link beyond one'] : []),
    ...(/@media[^{]*\((?:max|min)-width/.test(html) ? [] : ['no @media rule (not responsive)']),
    ...((email.body.text ?? '').trim().length > 0 ? [] : ['no plain-text part']),
  ];
}
