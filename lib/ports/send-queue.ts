import type { SendKey } from '../domain/sends.js';

/** Hands a reserved send to the sender that keeps under SES's rate (an SQS queue on AWS). */
export interface SendQueue {
  /** `dueAt`: a send that waited out quiet hours is recorded as sent when it fell due, or later, never before. */
  enqueue(key: SendKey & { readonly dueAt?: string }): Promise<void>;
}
