import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { EmailSendError, type EmailSender, type OutgoingEmail } from '../../ports/email-sender.js';
import { withoutSdkLogging } from '../sdk-logging.js';

// AccessDenied is a deployment problem (IAM, identity) that fails every message alike: stop, don't burn the ledger.
const stopSendingErrors = new Set(['SendingPausedException', 'AccountSuspendedException', 'AccessDeniedException']);
const throttlingErrors = new Set(['TooManyRequestsException', 'LimitExceededException', 'ThrottlingException']);
const rejectedErrors = new Set(['MessageRejected', 'MailFromDomainNotVerifiedException', 'BadRequestException', 'NotFoundException']);

/**
 * SES v2 with Simple content: it keeps our List-Unsubscribe headers and builds the MIME itself. The SDK honours
 * AWS_ENDPOINT_URL_SESV2, so the same code sends to aws-ses-v2-local.
 */
export class SesEmailSender implements EmailSender {
  constructor(
    private readonly client: SESv2Client,
    private readonly configurationSetName?: string,
  ) {}

  static create(options: { endpoint?: string; region?: string; configurationSetName?: string; maxAttempts?: number } = {}): SesEmailSender {
    const client = withoutSdkLogging(
      new SESv2Client({
        // The SDK's default chain otherwise (AWS_REGION in Lambda, the profile elsewhere): no region of ours.
        ...(options.region ? { region: options.region } : {}),
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        // TooManyRequestsException is retried by the SDK with backoff and jitter before it reaches us.
        maxAttempts: options.maxAttempts ?? 6,
        retryMode: 'adaptive',
      }),
    );
    return new SesEmailSender(client, options.configurationSetName);
  }

  async send(email: OutgoingEmail): Promise<string> {
    try {
      const result = await this.client.send(
        new SendEmailCommand({
          FromEmailAddress: email.from,
          Destination: { ToAddresses: [email.to] },
          ...(email.replyTo ? { ReplyToAddresses: [email.replyTo] } : {}),
          Content: {
            Simple: {
              Subject: { Data: email.subject, Charset: 'UTF-8' },
              Body: { Html: { Data: email.html, Charset: 'UTF-8' }, Text: { Data: email.text, Charset: 'UTF-8' } },
              Headers: email.headers.map((header) => ({ Name: header.name, Value: header.value })),
            },
          },
          EmailTags: Object.entries(email.tags).map(([Name, Value]) => ({ Name, Value })),
          ...(this.configurationSetName ? { ConfigurationSetName: this.configurationSetName } : {}),
        }),
      );
      if (!result.MessageId) throw new EmailSendError('unknown', 'NoMessageId');
      return result.MessageId;
    } catch (error) {
      if (error instanceof EmailSendError) throw error;
      const name = (error as { name?: string }).name ?? 'UnknownError';
      if (stopSendingErrors.has(name)) throw new EmailSendError('paused', name, { cause: error });
      if (rejectedErrors.has(name)) throw new EmailSendError('rejected', name, { cause: error });
      if (throttlingErrors.has(name)) throw new EmailSendError('throttled', name, { cause: error });
      throw new EmailSendError('unknown', name, { cause: error });
    }
  }
}
