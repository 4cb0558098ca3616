import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { sendMessageBody } from '../adapters/sqs/send-queue.js';
import type { SendKey } from '../domain/sends.js';
import type { SendQueue } from '../ports/send-queue.js';

/** The send queue and its event source mapping, as infra configures them (lib/local/night-workflow.generated.json). */
export interface SendQueueSettings {
  readonly batchSize: number;
  readonly maximumBatchingWindowSeconds: number;
  readonly maximumConcurrency: number;
  readonly reportBatchItemFailures: boolean;
  readonly maxReceiveCount: number;
}

export interface SendQueuePlayed {
  /** Messages put on the queue. */
  readonly enqueued: number;
  /** Batches delivered to the consumer (redeliveries included). */
  readonly batches: number;
  /** Receives of a message that its batch reported failed (or the whole batch, when the consumer threw). */
  readonly failedReceives: number;
  /** Messages received maxReceiveCount times without success: on AWS, in the dead-letter queue. */
  readonly deadLetters: readonly SQSRecord[];
}

interface Message {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
}

/**
 * The send queue played in one process: what the night puts on it reaches the consumer (the send worker's real
 * handler) as Lambda's SQS event source delivers it: records shaped as SQS's, in batches of the mapping's size, at
 * most `maximumConcurrency` batches at once, a short batch after the batching window; partial batch failures put
 * only the failed records back, and a record received `maxReceiveCount` times goes to the dead letters instead.
 * Redeliveries come at once, not after the visibility timeout: nothing else would happen meanwhile here.
 */
export class PlayedSendQueue implements SendQueue {
  private readonly waiting: Message[] = [];
  private readonly deadLetters: SQSRecord[] = [];
  private inFlight = 0;
  private window: NodeJS.Timeout | undefined;
  private windowOpen = false;
  private idle: { promise: Promise<void>; resolve: () => void } | undefined;
  private counts = { enqueued: 0, batches: 0, failedReceives: 0 };

  constructor(
    private readonly settings: SendQueueSettings,
    private readonly consumer: (event: SQSEvent) => Promise<SQSBatchResponse | void>,
    private readonly queue: { readonly arn: string; readonly region: string; readonly senderId: string },
  ) {}

  async enqueue(key: SendKey & { readonly dueAt?: string }): Promise<void> {
    this.waiting.push({ messageId: randomUUID(), body: sendMessageBody(key), sentAt: Date.now(), receiveCount: 0 });
    this.counts.enqueued += 1;
    this.pump();
  }

  /** Resolves once every message was consumed or dead-lettered and no batch is running. */
  async drain(): Promise<SendQueuePlayed> {
    // Nothing more is coming: a short batch need not wait out its window.
    this.windowOpen = true;
    try {
      this.pump();
      while (this.waiting.length > 0 || this.inFlight > 0) {
        this.idle ??= withResolvers();
        await this.idle.promise;
        this.pump();
      }
    } finally {
      this.windowOpen = false;
    }
    return { ...this.counts, deadLetters: [...this.deadLetters] };
  }

  private pump(): void {
    while (this.inFlight < this.settings.maximumConcurrency && this.waiting.length > 0) {
      const full = this.waiting.length >= this.settings.batchSize;
      if (!full && !this.windowOpen) {
        // Lambda waits up to the batching window for a full batch before it invokes with fewer records.
        this.window ??= setTimeout(() => {
          this.window = undefined;
          this.windowOpen = true;
          this.pump();
          this.windowOpen = false;
        }, this.settings.maximumBatchingWindowSeconds * 1000);
        return;
      }
      if (this.window) clearTimeout(this.window);
      this.window = undefined;
      const batch = this.waiting.splice(0, this.settings.batchSize);
      this.inFlight += 1;
      void this.deliver(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
        if (this.inFlight === 0 && (this.waiting.length === 0 || this.windowOpen)) {
          this.idle?.resolve();
          this.idle = undefined;
        }
      });
    }
  }

  private async deliver(batch: Message[]): Promise<void> {
    const now = Date.now();
    for (const message of batch) {
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
    }
    const records = batch.map((message) => this.recordOf(message));
    this.counts.batches += 1;
    let failedIds: Set<string>;
    try {
      const response = await this.consumer({ Records: records });
      failedIds = new Set(this.settings.reportBatchItemFailures ? (response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier) : []);
    } catch {
      // A consumer that throws fails the whole batch: every record is received again.
      failedIds = new Set(batch.map((message) => message.messageId));
    }
    for (const [index, message] of batch.entries()) {
      if (!failedIds.has(message.messageId)) continue;
      this.counts.failedReceives += 1;
      if (message.receiveCount >= this.settings.maxReceiveCount) this.deadLetters.push(records[index]!);
      else this.waiting.push(message);
    }
  }

  private recordOf(message: Message): SQSRecord {
    return {
      messageId: message.messageId,
      receiptHandle: randomBytes(48).toString('base64'),
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        SenderId: this.queue.senderId,
        ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(message.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: this.queue.arn,
      awsRegion: this.queue.region,
    };
  }
}

function withResolvers(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}
