#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so there is no build step between a change and `npm start`.
import { register } from 'tsx/esm/api';

register();
// Locally the handlers run in this process: their environment is set before anything imports them.
await import('../lib/local/process-env.ts');
const { main } = await import('../lib/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
