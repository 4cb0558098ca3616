import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ses from 'aws-cdk-lib/aws-ses';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { sesEventDetailTypes } from '../lib/domain/ses-events.js';

/** The detail-types SES v2 puts on the default event bus: the same list the events handler parses. */
export const sesDetailTypes = sesEventDetailTypes;

export interface WinbackEmailProps {
  /** The verified SES identity (domain or address) the senders may send as. */
  readonly identity: string;
}

/**
 * SES for the win-back mail: a configuration set whose events (send, delivery, bounce, complaint, open, click ...)
 * go to the default EventBridge bus, the only bus SES delivers to.
 */
export class WinbackEmail extends Construct {
  readonly configurationSet: ses.ConfigurationSet;
  private readonly identityArn: string;

  constructor(scope: Construct, id: string, props: WinbackEmailProps) {
    super(scope, id);
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      // Per-configuration-set reputation metrics, beside the account-wide ones the alarms watch.
      reputationMetrics: true,
      sendingEnabled: true,
      // SES's own list backs up ours: an address that hard-bounced or complained is not mailed again.
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    this.configurationSet.addEventDestination('ToEventBridge', {
      destination: ses.EventDestination.eventBus(events.EventBus.fromEventBusName(this, 'DefaultBus', 'default')),
      events: [
        ses.EmailSendingEvent.SEND,
        ses.EmailSendingEvent.DELIVERY,
        ses.EmailSendingEvent.BOUNCE,
        ses.EmailSendingEvent.COMPLAINT,
        ses.EmailSendingEvent.OPEN,
        ses.EmailSendingEvent.CLICK,
        ses.EmailSendingEvent.REJECT,
        ses.EmailSendingEvent.DELIVERY_DELAY,
        ses.EmailSendingEvent.RENDERING_FAILURE,
        ses.EmailSendingEvent.SUBSCRIPTION,
      ],
    });
    this.identityArn = Stack.of(this).formatArn({ service: 'ses', resource: 'identity', resourceName: props.identity, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  }

  /**
   * Lets a function send as the identity through this configuration set. SES authorizes SendEmail against both the
   * identity and the configuration set named in the request, so both ARNs are needed and nothing else is allowed.
   */
  grantSend(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          this.identityArn,
          Stack.of(this).formatArn({
            service: 'ses',
            resource: 'configuration-set',
            resourceName: this.configurationSet.configurationSetName,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );
  }

  /**
   * Routes this configuration set's SES events on the default bus to the handler. The pattern also matches the
   * configuration set (SES tags every event with it), so another application's SES mail in the same account never
   * reaches Winback's handler.
   */
  routeEventsTo(handler: lambda.IFunction, deadLetterQueue: sqs.IQueue): events.Rule {
    return new events.Rule(this, 'EventsRule', {
      description: 'Winback: SES delivery, bounce, complaint, open and click events to the email-events function',
      eventPattern: {
        source: ['aws.ses'],
        detailType: [...sesDetailTypes],
        detail: { mail: { tags: { 'ses:configuration-set': [this.configurationSet.configurationSetName] } } },
      },
      targets: [
        new targets.LambdaFunction(handler, {
          // These cover getting the event to Lambda; the function's own failures are Lambda's async retries and its
          // on-failure destination (the same queue), set where the function is defined.
          retryAttempts: 8,
          maxEventAge: Duration.hours(24),
          deadLetterQueue,
        }),
      ],
    });
  }
}
