#!/usr/bin/env node
// The CLI runs bundled by esbuild (bin/build-cli.js: rebuilt here whenever a source is newer, so there is still no
// build step between a change and `npm start`); without esbuild installed, or with WINBACK_CLI_TSX=1, through tsx.
import module from 'node:module';
import { builtCli, compileCacheDir } from './build-cli.js';

const built = await builtCli();
if (built) {
  // Node 22.1+ keeps V8's compiled code of the bundle between runs (a fifth of a start's CPU); older Node has no such API.
  module.enableCompileCache?.(compileCacheDir);
  await import(built);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  // Locally the handlers run in this process: their environment is set before anything imports them.
  await import('../lib/local/process-env.ts');
  const { main } = await import('../lib/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
}
