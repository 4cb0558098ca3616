/**
 * One cold fit, in a process of its own (run-bench.ts starts five per model): CDNOW's summaries are read into memory
 * first, then the clock runs from them to the estimates and standard errors, the first fit this process makes. That is
 * what a night, a Lambda and `winback model fit` each do once; a warm fit (fitCdnowMs) hides the JIT's start.
 * Prints one JSON line: { model, ms, cpuMs, threadCpuMs, pageFaults, loadMs, iterations, params, standardErrors, logLikelihood,
 * converged }.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type CustomerSummary, fitModel, type ModelName, parseModelInput, readModelInput } from '../../lib/domain/scoring/index.js';

const model = (process.argv[2] ?? process.env.BENCH_MODEL) as ModelName;
if (!['bgnbd', 'mbgnbd', 'pareto', 'gamma-gamma'].includes(model)) throw new Error(`unknown model ${model}`);
const loadMs = performance.now();
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/cdnow/${name}`, import.meta.url));
let summaries: CustomerSummary[];
if (model === 'gamma-gamma') {
  // Spend needs the event log: the published summary has no monetary column.
  const events = await readModelInput(createReadStream(fixture('cdnow_events.csv')));
  if (events.format !== 'events') throw new Error('CDNOW events: unexpected format');
  summaries = events.log.summaries('1997-09-30', 'weeks');
} else {
  const input = parseModelInput(readFileSync(fixture('cdnow_customers_summary.csv'), 'utf8'));
  if (input.format !== 'summary') throw new Error('CDNOW summary: unexpected format');
  summaries = input.summaries;
}
// The main thread's own CPU (Node 23.9+; the bench runs under npm's Node 24) is what the fit itself costs: on a loaded
// machine the wall clock mostly measures the wait for a core, and all threads' CPU adds V8's background compiles.
const threadCpu = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage;
// A fresh process pays a page fault for each new page its garbage fills (about 12 us each on the machine of 2026-12-07):
// boxed numbers in a likelihood's loop showed here first.
const faultsBefore = process.resourceUsage().minorPageFault;
const cpu = process.cpuUsage();
const thread = threadCpu?.();
const start = performance.now();
const fitted = fitModel(model, summaries, { timeUnit: 'weeks' });
const ms = performance.now() - start;
const pageFaults = process.resourceUsage().minorPageFault - faultsBefore;
const used = process.cpuUsage(cpu);
const threadUsed = thread && threadCpu ? threadCpu() : undefined;
const cpuMs = (used.user + used.system) / 1000;
const threadCpuMs = thread && threadUsed ? (threadUsed.user - thread.user + threadUsed.system - thread.system) / 1000 : null;
process.stdout.write(
  `${JSON.stringify({ model, ms, cpuMs, threadCpuMs, pageFaults, loadMs, iterations: fitted.iterations, converged: fitted.converged, params: fitted.params, standardErrors: fitted.standardErrors, logLikelihood: fitted.logLikelihood })}\n`,
);
