export interface OutgoingEmail {
  readonly from: string;
  readonly replyTo?: string | undefined;
  readonly to: string;
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  readonly headers: readonly { readonly name: string; readonly value: string }[];
  /** Only letters, digits, "_" and "-": never personal data. */
  readonly tags: Readonly<Record<string, string>>;
}

/** Why a send failed, in the terms the night acts on. */
export class EmailSendError extends Error {
  constructor(
    /**
     * 'rejected': this message never goes; 'paused': the account cannot send, stop the night; 'throttled': retries
     * ran out and the provider certainly did not take it; 'unknown': it may or may not have gone out.
     */
    readonly kind: 'rejected' | 'paused' | 'throttled' | 'unknown',
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`email send failed: ${code}`, options);
    this.name = 'EmailSendError';
  }
}

export interface EmailSender {
  /** Returns the provider's message id. Throws {@link EmailSendError}. */
  send(email: OutgoingEmail): Promise<string>;
}
