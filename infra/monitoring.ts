import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/**
 * Where we pause ourselves, well before SES does: SES reviews an account at a 5% bounce rate and a 0.1% complaint
 * rate, Gmail wants spam complaints under 0.1%. The reputation metrics are fractions (0.02 = 2%).
 */
export const reputationThresholds = { bounceRate: 0.02, complaintRate: 0.0008 } as const;

export interface WinbackMonitoringProps {
  readonly alarmEmail?: string;
  readonly night: sfn.IStateMachine;
  readonly sendWorker: lambda.IFunction;
  readonly sendQueue: sqs.IQueue;
  readonly scheduledSender: lambda.IFunction;
  readonly emailEvents: lambda.IFunction;
  readonly reportBuilder: lambda.IFunction;
  readonly webhooks: readonly lambda.IFunction[];
  readonly api: apigw.HttpApi;
  /** Dead-letter queues by what their messages mean. */
  readonly deadLetterQueues: Record<string, sqs.IQueue>;
}

/** Alarms to an SNS topic (by email), and one dashboard of the night, the sending and the responses. */
export class WinbackMonitoring extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: WinbackMonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'Winback alarms', enforceSSL: true });
    // The topic policy that enforceSSL creates replaces SNS's default one, so CloudWatch is let in explicitly,
    // and only for this account's alarms.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
          },
        },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const action = new cwActions.SnsAction(this.topic);

    const alarm = (alarmId: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No data is good news here: no failures queued, no errors, no mail sent.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      this.alarms.push(created);
      return created;
    };

    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      alarm(
        `${name}Queued`,
        queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
        1,
        `Winback: a message is waiting in the ${name} dead-letter queue: something failed after every retry. Read it, fix the cause, then redrive or delete it.`,
      );
    }

    alarm(
      'NightFailed',
      new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: props.night.metricFailed({ statistic: cloudwatch.Stats.SUM }),
          timedOut: props.night.metricTimedOut({ statistic: cloudwatch.Stats.SUM }),
          aborted: props.night.metricAborted({ statistic: cloudwatch.Stats.SUM }),
        },
        period: Duration.minutes(5),
        label: 'nights failed, timed out or aborted',
      }),
      1,
      'Winback: the night failed (a segment failed every retry, or the start or finish did). The run record says why; re-run it by starting an execution with {"asOf":"YYYY-MM-DD"}: nobody is emailed twice.',
    );
    alarm(
      'SendsStuck',
      props.sendQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
      3_600,
      'Winback: a queued send has waited an hour: the sender is failing or SES is throttling or paused. The entries stay on the due list; check the SendWorker logs and the SES account status.',
    );
    alarm(
      'ReportNotBuilt',
      props.reportBuilder.metricErrors({ period: Duration.minutes(15), statistic: cloudwatch.Stats.SUM }),
      1,
      'Winback: the report could not be built after the night (the night itself finished). The console builds it on request when that fits in 30 seconds, else shows the previous one; check the ReportBuilder logs, then invoke that function with {} to build it again.',
    );
    // The handlers' own metrics (Powertools EMF, namespace Winback, dimension service).
    const winback = (metricName: string, period = Duration.minutes(5)) =>
      new cloudwatch.Metric({ namespace: 'Winback', metricName, dimensionsMap: { service: 'winback' }, period, statistic: cloudwatch.Stats.SUM });
    alarm(
      'SendingStopped',
      winback('SendingStopped'),
      1,
      'Winback: SES refused to send (SendingPausedException, AccountSuspendedException or AccessDenied): the night or the sender stopped and its sends wait on the due list. Check the SES account status and the identity; sending resumes by itself once SES accepts mail again, with nobody emailed twice.',
    );
    alarm(
      'Api5xx',
      props.api.metricServerError({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      1,
      'Winback: the HTTP API answered 5xx (webhooks, unsubscribe, admin). Shopify retries a failed webhook for 4 hours; WooCommerce never retries and disables a webhook after 5 failures in a row.',
    );
    const bounceRate = new cloudwatch.Metric({
      namespace: 'AWS/SES',
      metricName: 'Reputation.BounceRate',
      period: Duration.hours(1),
      statistic: cloudwatch.Stats.MAXIMUM,
    });
    const complaintRate = new cloudwatch.Metric({
      namespace: 'AWS/SES',
      metricName: 'Reputation.ComplaintRate',
      period: Duration.hours(1),
      statistic: cloudwatch.Stats.MAXIMUM,
    });
    alarm(
      'BounceRateHigh',
      bounceRate,
      reputationThresholds.bounceRate,
      'Winback: the account bounce rate reached 2% (SES reviews the account at 5%). Pause campaigns and check the list sources.',
    );
    alarm(
      'ComplaintRateHigh',
      complaintRate,
      reputationThresholds.complaintRate,
      'Winback: the account complaint rate reached 0.08% (SES reviews at 0.1%, Gmail wants under 0.1%). Pause campaigns and check targeting and frequency.',
    );

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${stack.stackName}-winback`,
      defaultInterval: Duration.days(7),
    });
    const fnMetrics = (fn: lambda.IFunction) => [fn.metricInvocations(), fn.metricErrors(), fn.metricThrottles()];
    const ses = (metricName: string) => new cloudwatch.Metric({ namespace: 'AWS/SES', metricName, period: Duration.hours(1), statistic: cloudwatch.Stats.SUM });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: "# Winback\nThe night, the mail it sends, the shop platforms' webhooks and the alarms.", width: 24, height: 2 }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 3 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Night: executions',
        left: [props.night.metricStarted(), props.night.metricSucceeded(), props.night.metricFailed()],
        width: 8,
      }),
      new cloudwatch.GraphWidget({ title: 'Night: duration (ms)', left: [props.night.metricTime({ statistic: cloudwatch.Stats.MAXIMUM })], width: 8 }),
      new cloudwatch.GraphWidget({
        title: 'Send queue: waiting and oldest (s)',
        left: [props.sendQueue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM })],
        right: [props.sendQueue.metricApproximateAgeOfOldestMessage({ statistic: cloudwatch.Stats.MAXIMUM })],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Nights: customers scanned, emails queued, sent and held out',
        left: [winback('CustomersScanned', Duration.days(1))],
        right: ['EmailsQueued', 'EmailsSent', 'HeldOut'].map((name) => winback(name, Duration.days(1))),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Webhook and API answers',
        left: ['Responses2xx', 'Responses4xx', 'Responses5xx'].map((name) => winback(name)),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Queued sends: sender runs and errors', left: fnMetrics(props.sendWorker), width: 12 }),
      new cloudwatch.GraphWidget({ title: 'Due sends: sender runs and errors', left: fnMetrics(props.scheduledSender), width: 12 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Campaign mail (SES, hourly)',
        left: ['Send', 'Delivery', 'Open', 'Click'].map(ses),
        right: ['Bounce', 'Complaint', 'Reject'].map(ses),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Reputation (fraction; alarms at 0.02 and 0.0008)',
        left: [bounceRate],
        right: [complaintRate],
        leftAnnotations: [{ value: reputationThresholds.bounceRate, label: 'bounce alarm' }],
        rightAnnotations: [{ value: reputationThresholds.complaintRate, label: 'complaint alarm' }],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'HTTP API requests and errors',
        left: [props.api.metricCount()],
        right: [props.api.metricClientError(), props.api.metricServerError()],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Webhook functions: invocations and errors',
        left: props.webhooks.map((fn) => fn.metricInvocations()),
        right: props.webhooks.map((fn) => fn.metricErrors()),
        width: 8,
      }),
      new cloudwatch.GraphWidget({ title: 'SES events: handler runs and errors', left: fnMetrics(props.emailEvents), width: 8 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queues (messages waiting)',
        left: Object.values(props.deadLetterQueues).map((queue) => queue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM })),
        width: 24,
      }),
    );
  }
}
