#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so there is no build step between a change and `npm start`.
import { register } from 'tsx/esm/api';

register();
// Locally the handlers run in this process: their CloudWatch EMF lines would drown the night's own output.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
const { main } = await import('../lib/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
