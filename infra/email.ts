import { Annotations, ArnFormat, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as ses from 'aws-cdk-lib/aws-ses';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { sesEventDetailTypes } from '../lib/domain/ses-events.js';

/** The detail-types SES v2 puts on the default event bus: the same list the events handler parses. */
export const sesDetailTypes = sesEventDetailTypes;

export interface WinbackEmailProps {
  /** The verified SES identity (domain or address) the senders may send as. */
  readonly identity: string;
  /** The From address of every email: a placeholder one gets a synth-time warning. */
  readonly senderAddress: string;
  /** The custom MAIL FROM domain's first label (bounce -> bounce.<identity domain>). */
  readonly mailFromSubdomain: string;
  /** The public hosted zone of the identity's domain: the DKIM and MAIL FROM records go there. */
  readonly hostedZone?: { readonly id: string; readonly name: string };
}

/** Domains reserved for documentation and tests (RFC 2606, RFC 6761): nobody receives mail sent from them. */
const placeholderDomain = /(^|\.)(example\.(com|org|net)|example|test|invalid|localhost)$/i;

export function isPlaceholderSender(address: string): boolean {
  return placeholderDomain.test(address.slice(address.lastIndexOf('@') + 1));
}

/**
 * SES for the win-back mail: a configuration set whose events (send, delivery, bounce, complaint, open, click ...)
 * go to the default EventBridge bus, the only bus SES delivers to.
 */
export class WinbackEmail extends Construct {
  readonly configurationSet: ses.ConfigurationSet;
  /** The sending identity: Easy DKIM (2048-bit) and, for a domain, a custom MAIL FROM domain. */
  readonly identity: ses.EmailIdentity;
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
    this.identity = this.sendingIdentity(props);
    if (isPlaceholderSender(props.senderAddress)) {
      Annotations.of(this).addWarningV2(
        'winback:placeholderSender',
        `The sender address "${props.senderAddress}" is a placeholder: SES cannot verify its domain and no email would be sent. Set it with -c senderAddress=news@your-shop.com (and hostedZoneId/hostedZoneName for its DNS records).`,
      );
    }
    this.identityArn = Stack.of(this).formatArn({
      service: 'ses',
      resource: 'identity',
      resourceName: props.identity,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  /**
   * A domain gets Easy DKIM and a MAIL FROM subdomain, so SPF and DKIM both align with the From domain (DMARC passes,
   * as Gmail and Yahoo require of bulk senders). With a hosted zone CDK writes the records; without one the outputs
   * list them for whoever runs the domain's DNS. An address identity is verified by the link SES mails to it.
   */
  private sendingIdentity(props: WinbackEmailProps): ses.EmailIdentity {
    if (props.identity.includes('@'))
      return new ses.EmailIdentity(this, 'Identity', { identity: ses.Identity.email(props.identity), configurationSet: this.configurationSet });
    const mailFromDomain = `${props.mailFromSubdomain}.${props.identity}`;
    const zone = props.hostedZone
      ? route53.PublicHostedZone.fromPublicHostedZoneAttributes(this, 'Zone', { hostedZoneId: props.hostedZone.id, zoneName: props.hostedZone.name })
      : undefined;
    const identity = new ses.EmailIdentity(this, 'Identity', {
      identity: zone ? ses.Identity.publicHostedZone(zone) : ses.Identity.domain(props.identity),
      configurationSet: this.configurationSet,
      dkimSigning: true,
      dkimIdentity: ses.DkimIdentity.easyDkim(ses.EasyDkimSigningKeyLength.RSA_2048_BIT),
      mailFromDomain,
      // Until the MX record resolves, SES falls back to its own MAIL FROM instead of refusing to send.
      mailFromBehaviorOnMxFailure: ses.MailFromBehaviorOnMxFailure.USE_DEFAULT_VALUE,
    });
    if (!zone) {
      identity.dkimRecords.forEach(
        (record, index) =>
          new CfnOutput(this, `DkimRecord${index + 1}`, {
            value: `${record.name} CNAME ${record.value}`,
            description: `Easy DKIM record ${index + 1} of 3 to add to ${props.identity}'s DNS`,
          }),
      );
      new CfnOutput(this, 'MailFromMxRecord', {
        value: `${mailFromDomain} MX 10 feedback-smtp.${Stack.of(this).region}.amazonses.com`,
        description: "The MAIL FROM domain's MX record",
      });
      new CfnOutput(this, 'MailFromSpfRecord', {
        value: `${mailFromDomain} TXT "v=spf1 include:amazonses.com ~all"`,
        description: "The MAIL FROM domain's SPF record",
      });
    }
    return identity;
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
