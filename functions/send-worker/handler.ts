import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import pThrottle from 'p-throttle';
import { readEnvironment } from '../../lib/config/environment.js';
import { parseJsonText } from '../../lib/domain/webhooks/raw-json.js';
import { describeIssues, queuedSendSchema } from '../../lib/lambda/night-inputs.js';
import { count, instrumentation, logger } from '../../lib/observability.js';
import type { OutgoingEmail } from '../../lib/ports/email-sender.js';
import { type QueuedSendOutcome, queuedSender } from '../../lib/usecases/send-due.js';
import { asBuiltFor, nightDependencies, perContainer } from '../../lib/wiring.js';

const dependencies = perContainer(async () => {
  const environment = readEnvironment();
  // Paced per container: the event source's maximum concurrency times this rate stays under SES's MaxSendRate, so
  // SES's own throttle (which puts a send back on the due list for later) stays a safety net, not the pace.
  const pace = pThrottle({
    limit: Math.max(1, Math.floor(environment.SEND_RATE_PER_SECOND)),
    interval: (1_000 * Math.max(1, Math.floor(environment.SEND_RATE_PER_SECOND))) / environment.SEND_RATE_PER_SECOND,
  });
  const deps = asBuiltFor('send-worker', await nightDependencies(environment));
  // Only the call to SES is paced: a batch's reads and writes go together, before and after.
  const send = pace((email: OutgoingEmail) => deps.email.send(email));
  return { ...deps, email: { send } };
});
const processor = new BatchProcessor(EventType.SQS);

/**
 * The send queue's consumer: each message is one reserved send, sent now; the batch's reads and writes go together.
 * A message that fails (storage errors, a body that is not a send key) is reported alone, so SQS redelivers only it
 * and, after the queue's maxReceiveCount, moves it to the dead-letter queue, whose alarm wakes someone; the ledger
 * keeps any redelivery from sending twice.
 */
export const handler = middy(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const send = await queuedSender(await dependencies());
  const keys = new Map(event.Records.map((record) => [record.messageId, queuedSendSchema.safeParse(parseJsonText(record.body, { exactIntegers: false }))]));
  const valid = [...keys].flatMap(([messageId, key]) => (key.success ? [[messageId, key.data] as const] : []));
  const sent = send(valid.map(([, key]) => key));
  const outcomeOf = new Map(valid.map(([messageId], index) => [messageId, sent[index]!]));
  for (const outcome of sent) outcome.catch(() => {}); // each is awaited below, by its own record
  const outcomes: Partial<Record<QueuedSendOutcome, number>> = {};
  const result = await processPartialResponse(
    event,
    async (record: SQSRecord) => {
      const key = keys.get(record.messageId)!;
      if (!key.success) throw new Error(`invalid send message ${record.messageId}: ${describeIssues(key.error)}`);
      const outcome = await outcomeOf.get(record.messageId)!;
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    },
    processor,
    { context },
  );
  logger.info('send batch done', { received: event.Records.length, outcomes, failures: result.batchItemFailures.length });
  const metricNames: Record<QueuedSendOutcome, string> = {
    sent: 'EmailsSent',
    cancelled: 'SendsCancelled',
    failed: 'SendsFailed',
    rescheduled: 'SendsRescheduled',
    paused: 'SendingStopped',
    campaign_paused: 'SendsHeldByPause',
    taken: 'SendsAlreadyTaken',
  };
  count('SendBatches');
  for (const [outcome, times] of Object.entries(outcomes)) count(metricNames[outcome as QueuedSendOutcome], times);
  count('SendMessagesFailed', result.batchItemFailures.length);
  if (outcomes.paused) logger.error('SES stopped sending: queued sends wait on the due list', { paused: outcomes.paused });
  return result;
}).use(instrumentation());
