/**
 * `npm run bench [-- --json FILE] [-- --quick] [-- --customers N]`: the hot paths of issue 8, each next to what bounds it.
 * The handlers log through Powertools; quiet them before anything imports the logger.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
await import('./run-bench.js');
