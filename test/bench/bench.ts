/**
 * `npm run bench [-- --json FILE] [-- --quick] [-- --customers N] [-- --rss-customers M]`: the hot paths of issue 8, each next to
 * what bounds it. N (default 100,000; 10,000 quick) for the night and the sender, M (default 10 N; 2 N quick) for memory.
 * `npm run bench -- --cold-fits [--cold-fit-runs K]` runs only the cold fits (K processes per model, default 5).
 * `npm run bench -- --sender [--customers N]` runs only the sender's figures (its shop: N/10 customers, at least 6,000).
 * `npm run bench -- --webhooks [--quick]` runs only the webhook figures on a fresh stack (2,000 orders; 500 with --quick).
 * `npm run bench -- --nights [--quick] [--customers N] [--policy rule|auto|model]` runs only the nights' figures.
 * A night builds the report after it up to 30,000 customers; `--report` or `--no-report` decides for every size.
 * The handlers log and emit metrics through Powertools; quiet both before anything imports them (one EMF line per
 * webhook buried the table under two thousand lines).
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
await import('../../lib/local/process-env.js');
await import('./run-bench.js');
