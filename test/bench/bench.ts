/**
 * `npm run bench [-- --json FILE] [-- --quick] [-- --customers N] [-- --rss-customers M]`: the hot paths of issue 8, each next to
 * what bounds it. N (default 100,000; 10,000 quick) for the night and the sender, M (default 10 N; 2 N quick) for memory.
 * The handlers log through Powertools; quiet them before anything imports the logger.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
await import('./run-bench.js');
