import type { SendKey } from '../domain/sends.js';

/** Hands a reserved send to the sender that keeps under SES's rate (an SQS queue on AWS). */
export interface SendQueue {
  enqueue(key: SendKey): Promise<void>;
}
