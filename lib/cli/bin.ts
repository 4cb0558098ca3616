/**
 * The CLI's entry as esbuild bundles it (bin/build-cli.js). Locally the handlers run in this process: their
 * environment is set first, before anything imports them (ESM evaluates imports in order, and so does the bundle).
 */
import '../local/process-env.js';
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
