import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';
import { hashEmail } from './domain/email.js';

/**
 * Attribute names whose values are credentials: signing keys, tokens, signatures and the headers that carry them.
 * Whatever a caller puts under such a name is replaced, so a careless `logger.info('...', { headers })` cannot
 * leak a webhook signature or the admin token.
 */
const secretNames = /secret|token|password|passwd|authorization|signature|hmac|api[-_]?key|credential|cookie/i;

/**
 * An address, plain or percent-encoded in a query string; letters of any script, as customers' addresses have. The
 * rarer local-part characters (/ ? = & ...) are left out: in logs they are far more often URL syntax around an address.
 * The
 * lookbehind lets a match start only where a run of address characters starts, so a long blob (a base64 body) is
 * scanned once, not once per character.
 */
const emailAddress = /(?<![\p{L}\p{M}\p{N}._%+-])[\p{L}\p{M}\p{N}._%+-]+(?:@|%40)[\p{L}\p{M}\p{N}-]+(?:\.[\p{L}\p{M}\p{N}-]+)+/giu;

/** Signed links are credentials too: whoever has one can unsubscribe or answer for that customer. */
const signedLinkPath = /\/(unsubscribe|feedback)\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;

/**
 * How an email address appears in logs: a short prefix of the hash the suppression list and the email pointer use,
 * enough to match an address you already know (hash it and compare), not enough to read or harvest one.
 */
export function emailForLogs(address: string): string {
  let decoded = address;
  try {
    decoded = decodeURIComponent(address);
  } catch {
    // Not valid percent-encoding: hash the text as it is.
  }
  return `<email:${hashEmail(decoded).slice(0, 12)}>`;
}

/** Masks what must never reach the logs in one string: email addresses and signed-link tokens. */
export function redactText(text: string): string {
  return text.replace(emailAddress, (address) => emailForLogs(address)).replace(signedLinkPath, '/$1/[token]');
}

/** The JSON replacer every log line goes through: by name for credentials, by content for addresses and links. */
export function redactForLogs(key: string, value: unknown): unknown {
  if (key !== '' && secretNames.test(key) && value !== undefined && value !== null && typeof value !== 'boolean' && typeof value !== 'number')
    return '[redacted]';
  return typeof value === 'string' ? redactText(value) : value;
}

/** The one logger, created once per process; handlers add the Lambda context to it. Every line passes the redactor. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'winback', jsonReplacerFn: redactForLogs });

/**
 * The one metrics emitter (CloudWatch EMF through standard output), created once per process. Dimensions are the
 * service only: never a customer, an address or an id, so no personal data reaches CloudWatch metrics. Locally the
 * runner sets POWERTOOLS_METRICS_DISABLED, so the terminal shows the night, not EMF lines.
 */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Winback',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'winback',
  logger,
});

/** The one tracer (X-Ray; active tracing is on for every function). Outside Lambda it does nothing. */
export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'winback' });

/** Counts something that happened, in this invocation's metrics. */
export function count(name: string, value = 1): void {
  if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
}

/**
 * The middlewares every handler shares, in the order Powertools documents: the logger's Lambda context, the trace
 * segment, and the metrics flushed once at the end (with a cold-start metric).
 */
export function instrumentation(): MiddlewareObj[] {
  // With metrics disabled (local processes) the flush would still warn "No application metrics to publish" whenever
  // handlers running side by side in one process share the instance and one batch's flush empties another's.
  const flushMetrics = process.env.POWERTOOLS_METRICS_DISABLED === 'true' ? [] : [logMetrics(metrics, { captureColdStartMetric: true })];
  return [injectLambdaContext(logger), captureLambdaHandler(tracer), ...flushMetrics] as MiddlewareObj[];
}
