import { describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { SesEmailSender } from '../../lib/adapters/ses/email-sender.js';
import { SqsSendQueue } from '../../lib/adapters/sqs/send-queue.js';

const middlewareOf = (client: { middlewareStack: { identify(): string[] } }) => client.middlewareStack.identify().map((entry) => entry.split(' ')[0]);

describe('the SDK clients Winback builds', () => {
  it('carry no SDK logger middleware, and keep the rest of the stack (retries, signing)', () => {
    // Prepare
    const clients = [
      createDocumentClient({ endpoint: 'http://127.0.0.1:1' }),
      (SesEmailSender.create({ endpoint: 'http://127.0.0.1:1' }) as unknown as { client: { middlewareStack: { identify(): string[] } } }).client,
      (SqsSendQueue.create('http://127.0.0.1:1/queue') as unknown as { client: { middlewareStack: { identify(): string[] } } }).client,
    ];
    // Act
    const stacks = clients.map(middlewareOf);
    // Assess
    for (const stack of stacks) {
      expect(stack).not.toContain('loggerMiddleware');
      expect(stack).toContain('retryMiddleware');
    }
  });
});
