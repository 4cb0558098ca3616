import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { localProcessEnv } from '../lib/local/process-env.js';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['test/**/*.test.ts'],
    // DynamoDB Local and the local SES start once for the whole run; every test file gets its own table.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { ...localProcessEnv, POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_DEV: 'false' },
  },
});
