import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SendKey } from '../../domain/sends.js';
import type { SendQueue } from '../../ports/send-queue.js';
import { withoutSdkLogging } from '../sdk-logging.js';

/** The night's send queue on SQS: one message per reserved send, its body the ledger key and nothing personal. */
export class SqsSendQueue implements SendQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  static create(queueUrl: string): SqsSendQueue {
    return new SqsSendQueue(withoutSdkLogging(new SQSClient({ maxAttempts: 5, retryMode: 'adaptive' })), queueUrl);
  }

  async enqueue(key: SendKey & { readonly dueAt?: string }): Promise<void> {
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: sendMessageBody(key) }));
  }
}

/** A send's message body: its ledger key and nothing else (the local runner's queue sends the same text). */
export function sendMessageBody(key: SendKey & { readonly dueAt?: string }): string {
  return JSON.stringify({
    customerId: key.customerId,
    campaignId: key.campaignId,
    episode: key.episode,
    step: key.step,
    ...(key.dueAt ? { dueAt: key.dueAt } : {}),
  });
}
