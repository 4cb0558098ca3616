import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** What a fresh Node process sees after importing the local process environment (or not) and then the handlers' instrumentation. */
function freshProcess(options: { withLocalEnv: boolean; env?: Record<string, string> }): {
  xrayNamespaces: number;
  metricsDisabled: string | null;
  logLevel: string;
} {
  const script = [
    options.withLocalEnv ? "await import('./lib/local/process-env.ts');" : '',
    "const { logger } = await import('./lib/observability.ts');",
    'console.log(JSON.stringify({ xrayNamespaces: Object.keys(process.namespaces ?? {}).length, metricsDisabled: process.env.POWERTOOLS_METRICS_DISABLED ?? null, logLevel: logger.getLevelName() }));',
  ].join('\n');
  const env: Record<string, string | undefined> = {
    ...process.env,
    AWS_XRAY_MANUAL_MODE: undefined,
    POWERTOOLS_METRICS_DISABLED: undefined,
    POWERTOOLS_LOG_LEVEL: undefined,
    ...options.env,
  };
  const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: env as NodeJS.ProcessEnv,
    encoding: 'utf8',
  });
  return JSON.parse(output.trim().split('\n').at(-1)!);
}

describe('the local process environment (lib/local/process-env.ts)', () => {
  it('keeps X-Ray from hooking every promise and quiets metrics and info logs, where nothing else was set', () => {
    // Prepare, Act
    const bare = freshProcess({ withLocalEnv: false });
    const local = freshProcess({ withLocalEnv: true });
    // Assess: without it, X-Ray's automatic mode creates its async-hook namespace on import
    expect(bare.xrayNamespaces).toBe(1);
    expect(bare.logLevel).toBe('INFO');
    expect(local).toEqual({ xrayNamespaces: 0, metricsDisabled: 'true', logLevel: 'WARN' });
  });

  it('leaves what the user set alone', () => {
    // Prepare, Act
    const chosen = freshProcess({ withLocalEnv: true, env: { AWS_XRAY_MANUAL_MODE: '', POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_LOG_LEVEL: 'DEBUG' } });
    // Assess
    expect(chosen).toEqual({ xrayNamespaces: 1, metricsDisabled: 'false', logLevel: 'DEBUG' });
  });
});
