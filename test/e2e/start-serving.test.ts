import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { DynamoReportSnapshots } from '../../lib/adapters/dynamodb/report-snapshots.js';
import { useLocalCredentials } from '../../lib/local/stack.js';
import { threeFreePorts } from '../support/cli.js';

const cli = fileURLToPath(new URL('../../bin/winback.js', import.meta.url));

/**
 * `npm start` as the README's first command runs it: the night, then serving until Ctrl-C. Started for real in a child
 * process, on its own embedded stack.
 */
describe('npm start (the night, then serving)', { timeout: 240_000 }, () => {
  let workDir: string;
  let port: number;
  let child: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;

  beforeAll(async () => {
    // Prepare: a fresh shop of 300 customers, started and left serving
    workDir = await mkdtemp(join(tmpdir(), 'winback-serving-'));
    port = await threeFreePorts();
    // As on a fresh machine: nothing of the test run's own settings (its log level, a table) reaches the CLI.
    const { TABLE_NAME: _table, WINBACK_ADMIN_TOKEN: _token, POWERTOOLS_LOG_LEVEL: _level, ...inherited } = process.env;
    child = spawn(process.execPath, [cli, 'start', '--reset', '--as-of', '2026-11-22', '--customers', '300', '--port', String(port)], {
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
    expect(stored?.report.campaigns.map((campaign) => campaign.sent)).toEqual(
      stored?.report.campaigns.map((campaign) => body.campaigns.find((live) => live.id === campaign.id)!.sent),
    );
    expect(output).not.toMatch(/^\{"level"/m);
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
