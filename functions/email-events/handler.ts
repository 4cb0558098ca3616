import middy from '@middy/core';
import { readEnvironment } from '../../lib/config/environment.js';
import { InvalidInputError } from '../../lib/domain/errors.js';
import { parseSesEvent } from '../../lib/domain/ses-events.js';
import { count, instrumentation, logger } from '../../lib/observability.js';
import { type EmailEventResult, recordEmailEvent } from '../../lib/usecases/record-email-event.js';
import { perContainer, tableAdapters } from '../../lib/wiring.js';

const dependencies = perContainer(async () => tableAdapters(readEnvironment()));

export type EmailEventOutcome = EmailEventResult | { readonly ignored: string; readonly field?: string };

/**
 * The EventBridge rule target for `aws.ses` events. A malformed event is logged and dropped (retrying cannot fix
 * it); a storage failure throws, so EventBridge retries and finally dead-letters it: nothing is silently lost.
 */
export const handler = middy(async (envelope: unknown): Promise<EmailEventOutcome> => {
  const deps = await dependencies();
  let event;
  try {
    event = parseSesEvent(envelope, deps.clock.now());
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    logger.warn('SES event ignored', { field: error.field, problem: error.problem });
    count('EmailEventsIgnored');
    return { ignored: error.problem, field: error.field };
  }
  const result = await recordEmailEvent(event, deps);
  // By SES's event type (Bounce, Complaint, Open ...): a fixed set, nothing about the recipient.
  count(`EmailEvent${event.type.replace(/[^A-Za-z]/g, '')}`);
  if (result.suppressed > 0) count('AddressesSuppressed', result.suppressed);
  return result;
}).use(instrumentation());
