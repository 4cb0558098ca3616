import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { threeFreePorts } from '../support/cli.js';
import type { StoredEmail } from '../support/local-aws.js';

const cli = fileURLToPath(new URL('../../bin/winback.js', import.meta.url));

/**
 * Issue 24's acceptance: `npm start -- --reset` on the demo shop, its first night's emails as the local SES keeps them.
 * The shop is big enough (1,200 customers) that the night would email more than the warm-up's 500 without it. The
 * CLI serves after the night, so its local SES (port + 1) is still there to be read; `--once` would take it down.
 */
describe("npm start -- --reset: the first night's emails", { timeout: 60_000 }, () => {
  let workDir: string;
  let port: number;
  let child: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;

  beforeAll(async () => {
    // Prepare: a fresh demo shop of 1,200 customers, its first night run, left serving
    workDir = await mkdtemp(join(tmpdir(), 'winback-first-night-'));
    port = await threeFreePorts();
    const { TABLE_NAME: _table, WINBACK_ADMIN_TOKEN: _token, POWERTOOLS_LOG_LEVEL: _level, ...inherited } = process.env;
    child = spawn(
      process.execPath,
      [cli, 'start', '--reset', '--as-of', '2026-11-22', '--customers', '1200', '--port', String(port), '--report', join(workDir, 'night.json')],
      {
        env: { ...inherited, WINBACK_DATA_DIR: join(workDir, 'data') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
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
    // SIGTERM: the CLI then stops its DynamoDB Local too, which a SIGKILL would leave running, orphaned.
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      const stopped = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 15_000))]);
      if (stopped === 'timeout') child.kill('SIGKILL');
    }
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
    const token = /Admin token\s+(\S+)/.exec(output)?.[1];
    const report = (await (await fetch(`http://127.0.0.1:${port}/api/report`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      shop: { warmUp?: { backlog: number } };
    };
    // Assess: the warm-up held the night back (without it, more than 500 would have gone)
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
