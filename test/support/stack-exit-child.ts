/**
 * Starts the local stack, prints DynamoDB Local's process id, and ends without stopping it: with process.exit()
 * (what a crash or an impatient script does), or, given `--wait`, when a signal kills it. test/integration/
 * local-stack.test.ts checks nothing is left behind.
 */
import { execFileSync } from 'node:child_process';
import { findFreePort, startLocalStack } from '../../lib/local/stack.js';

await startLocalStack({ dynamoPort: await findFreePort(), sesPort: await findFreePort() });
const javaPid = execFileSync('pgrep', ['-P', String(process.pid), 'java'])
  .toString()
  .trim()
  .split('\n')[0];
process.stdout.write(`${javaPid}\n`);
if (process.argv.includes('--wait')) setInterval(() => {}, 60_000);
else process.exit(0);
