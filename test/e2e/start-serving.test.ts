import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { DynamoReportSnapshots } from '../../lib/adapters/dynamodb/report-snapshots.js';
import { useLocalCredentials } from '../../lib/local/stack.js';
import { threeFreePorts } from '../support/cli.js';
import type { StoredEmail } from '../support/local-aws.js';

const cli = fileURLToPath(new URL('../../bin/winback.js', import.meta.url));

/**
 * `npm start` as the README's first command runs it: the night, then serving until Ctrl-C. Started for real in a child
 * process, on its own embedded stack. The shop is big enough (1,200 customers) that its first night would email more
 * than the warm-up's 500: the one child run checks both the serving and the first night's emails (issue 24).
 */
describe('npm start (the night, then serving)', { timeout: 240_000 }, () => {
  let workDir: string;
  let port: number;
  let child: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;

  beforeAll(async () => {
    // Prepare: a fresh shop of 1,200 customers, started and left serving
    workDir = await mkdtemp(join(tmpdir(), 'winback-serving-'));
    port = await threeFreePorts();
    // As on a fresh machine: nothing of the test run's own settings (its log level, a table) reaches the CLI.
    const { TABLE_NAME: _table, WINBACK_ADMIN_TOKEN: _token, POWERTOOLS_LOG_LEVEL: _level, ...inherited } = process.env;
    child = spawn(process.execPath, [cli, 'start', '--reset', '--as-of', '2026-11-22', '--customers', '1200', '--port', String(port), '--report', join(workDir, 'night.json')], {
      env: { ...inherited, WINBACK_DATA_DIR: join(workDir, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((resolve) => child.on('exit', resolve));
    const started = Date.now();
    while (!output.includes('Serving until Ctrl-C')) {
      if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${output}`);
      if (Date.now() - started > 280_000) throw new Error(`npm start did not start serving in 280 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }, 300_000);
  afterAll(async () => {
    // SIGTERM first: the CLI then stops its DynamoDB Local too, which a SIGKILL would leave running, orphaned.
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      const stopped = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 15_000))]);
      if (stopped === 'timeout') child.kill('SIGKILL');
    }
    await rm(workDir, { recursive: true, force: true });
  });

  it('serves the API with the token it printed, has stored the report after its night, and printed no JSON log lines', async () => {
    // Act
    const token = /Admin token\s+(\S+)/.exec(output)?.[1];
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    const report = await fetch(`http://127.0.0.1:${port}/api/report`, { headers: { authorization: `Bearer ${token}` } });
    useLocalCredentials();
    const stored = await new DynamoReportSnapshots(createDocumentClient({ endpoint: `http://127.0.0.1:${port + 2}` }), 'winback').latest();
    // Assess
    expect(health.status).toBe(200);
    expect(report.status).toBe(200);
    const body = (await report.json()) as { servedFrom: string; campaigns: { id: string; sent: number }[] };
    expect(body.servedFrom).toBe('live');
    expect(body.campaigns.reduce((sum, campaign) => sum + campaign.sent, 0)).toBeGreaterThan(0);
    expect(stored?.report.campaigns.map((campaign) => campaign.id).sort()).toEqual(body.campaigns.map((campaign) => campaign.id).sort());
    expect(stored?.report.campaigns.map((campaign) => campaign.sent)).toEqual(stored?.report.campaigns.map((campaign) => body.campaigns.find((live) => live.id === campaign.id)!.sent));
    expect(output).not.toMatch(/^\{"level"/m);
  });

  it('sends between 1 and 500 emails on the first night, each branded, responsive, with a text part and tagged links into the shop', async () => {
    // Act: the child's local SES (port + 1) still holds every email the night sent
    const night = JSON.parse(await readFile(join(workDir, 'night.json'), 'utf8')) as { emailsSent: number; skipped: Record<string, number>; warmUp?: { limit: number; backlog: number } };
    const { emails } = (await (await fetch(`http://127.0.0.1:${port + 1}/store`)).json()) as { emails: StoredEmail[] };
    // Assess: the warm-up held the night back (without it, more than 500 would have gone)
    expect(night.warmUp).toMatchObject({ limit: 500 });
    expect(night.skipped.warm_up).toBeGreaterThan(0);
    expect(night.warmUp!.backlog).toBeGreaterThanOrEqual(night.skipped.warm_up!);
    expect(night.emailsSent).toBeGreaterThanOrEqual(1);
    expect(night.emailsSent).toBeLessThanOrEqual(500);
    expect(emails).toHaveLength(night.emailsSent);
    const problems = emails.flatMap((email) => emailProblems(email, 'https://alderandfinch.example').map((problem) => `${email.destination.to[0]}: ${problem}`));
    expect(problems).toEqual([]);
  });

  it('stops cleanly on SIGTERM', async () => {
    // Act
    child.kill('SIGTERM');
    const code = await exited;
    // Assess
    expect(code).toBe(0);
    expect(output).toContain('Stopping ...');
  });
});

/** What issue 24's acceptance asks of every sent email, as a list of what is missing (empty when nothing is). */
function emailProblems(email: StoredEmail, shopUrl: string): string[] {
  const html = email.body.html ?? '';
  const shopLinks = [...html.matchAll(/href="([^"]*)"/g)].map((match) => match[1]!.replaceAll('&amp;', '&')).filter((href) => href.startsWith(`${shopUrl}/`) || href === shopUrl);
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
