import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { localProcessEnv } from '../lib/local/process-env.js';

const env = { ...localProcessEnv, POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_DEV: 'false' };
// DynamoDB Local and the local SES start once per run (shared by the tiers that need them); every test file gets its own table.
const emulators = ['test/support/global-setup.ts'];

/**
 * Three tiers: `unit` starts no emulator and bundles nothing (seconds), `integration` runs against the emulators and
 * synthesizes the CDK app, `e2e` drives the CLI and the console as a person would. `npm test` runs all three.
 *
 * Workers: vitest's default is one fewer than the cores, i.e. one on a two-core CI machine, where every file then
 * waits for the one before even while it only waits on DynamoDB Local, a child process or esbuild. One more worker
 * than cores keeps both cores busy; more do not help, since what the files wait on (the JVMs of DynamoDB Local, the
 * CLI's children) needs those same cores. Files stay isolated (each in its own process): several unit files spy on
 * or mock modules, and the integration files stub the environment their handlers read at cold start.
 *
 * Order: vitest runs the projects' files in the order of their names (e2e, integration, unit), each project's
 * slowest first by the durations it cached on the last run (largest first on a fresh clone): the long end-to-end
 * files start at once and the short unit files fill the gaps at the end.
 */
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: availableParallelism() + 1,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], env } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts', 'test/infra/**/*.test.ts'], globalSetup: emulators, env } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], globalSetup: emulators, env } },
    ],
  },
});
