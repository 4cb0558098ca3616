/**
 * The environment of a process that runs the handlers outside Lambda (the CLI, the bench). Powertools and the X-Ray
 * SDK read it when they are imported, so this module is imported before anything else.
 */
export const localProcessEnv = {
  // One EMF line per request or night would bury the terminal's output; CloudWatch is not there to read them.
  POWERTOOLS_METRICS_DISABLED: 'true',
  // The tracer does nothing outside Lambda, but X-Ray's automatic mode still hooks every promise's life to carry its
  // context: about an eighth of the local server's CPU per webhook (measured: 7.8 against 6.9 ms per order; 90
  // against 101 deliveries/s in `npm run loadtest`). Manual mode installs no hook.
  AWS_XRAY_MANUAL_MODE: 'true',
  // The terminal shows a person the report; the handlers' JSON lines are for CloudWatch. Warnings and errors still show.
  POWERTOOLS_LOG_LEVEL: 'WARN',
  // These machines run Node 20 on purpose (Lambda runs 24): the SDK's notice about Node 22 says nothing to act on here.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
} as const;

for (const [name, value] of Object.entries(localProcessEnv)) process.env[name] ??= value;
