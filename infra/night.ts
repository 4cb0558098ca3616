import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

export interface WinbackNightProps {
  /** functions/night-start: plans the night and lists its segments. */
  readonly start: lambda.Function;
  /** functions/segment-worker: one segment, handing over its cursor when it nears the time limit. */
  readonly segmentWorker: lambda.Function;
  /** functions/night-finish: sums the tallies, or records the night as failed. */
  readonly finish: lambda.Function;
  /** functions/report-builder: after the night, the whole report built and stored for the console. */
  readonly report: lambda.Function;
  /** Segment workers running at once: `nightConcurrency(settings)` (infra/settings.ts). */
  readonly maxConcurrency: number;
  /** The send queue the segment workers fill: the report waits until the send worker has emptied it. */
  readonly sendQueue: sqs.IQueue;
}

/**
 * How the report waits for the night's sends: it is built once the send queue is empty (checked every 5 minutes, the
 * first time 5 minutes after the night finished), or after 6 hours whatever the queue says, so the console's
 * dashboard counts the night's emails. Each check costs 11 history events: 72 checks are 792.
 */
export const sendsWait = { interval: Duration.minutes(5), maxChecks: 72 } as const;

/**
 * The night as a Standard workflow: StartNight -> a Map over the scan segments, each a worker looped on its own
 * cursor and retried on its own -> FinishNight -> AwaitSends (until the send queue is empty) -> BuildReport; a segment that fails every retry sends the run to
 * FailNight. A report that cannot be built leaves the night succeeded (ReportNotBuilt; its function's errors alarm).
 * Why Step Functions and an inline Map: infra/DEPLOYMENT.md, "The night's fan-out".
 */
export class WinbackNight extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: WinbackNightProps) {
    super(scope, id);

    const start = new tasks.LambdaInvoke(this, 'StartNight', {
      ...invoking(props.start),
      // No payload: the schedule's input goes to the function as it is.
      payloadResponseOnly: true,
      resultPath: '$.night',
    });
    retried(start);

    const worker = new tasks.LambdaInvoke(this, 'ScoreSegment', {
      ...invoking(props.segmentWorker),
      payloadResponseOnly: true,
    });
    // Each segment on its own: a retry repeats only this invocation, from the cursor it was given.
    retried(worker);
    const segmentDone = new sfn.Succeed(this, 'SegmentDone');
    const more = new sfn.Choice(this, 'MoreOfSegment?').when(sfn.Condition.isPresent('$.cursor'), worker).otherwise(segmentDone);
    worker.next(more);

    const segments = new sfn.Map(this, 'Segments', {
      itemsPath: '$.night.segments',
      maxConcurrency: props.maxConcurrency,
      // The workers' tallies go to the table; the Map's output would outgrow the 256 KB payload at 1,000 segments.
      resultPath: sfn.JsonPath.DISCARD,
    });
    segments.itemProcessor(worker);

    const finish = new tasks.LambdaInvoke(this, 'FinishNight', {
      ...invoking(props.finish),
      payload: sfn.TaskInput.fromObject({ runId: sfn.JsonPath.stringAt('$.night.runId') }),
      payloadResponseOnly: true,
    });
    retried(finish);

    // The night is done whatever happens here: the console falls back to building the report itself when it can.
    const buildReport = new tasks.LambdaInvoke(this, 'BuildReport', {
      ...invoking(props.report),
      payload: sfn.TaskInput.fromObject({ runId: sfn.JsonPath.stringAt('$.runId') }),
      payloadResponseOnly: true,
    });
    retried(buildReport);
    buildReport.addCatch(new sfn.Pass(this, 'ReportNotBuilt'), { resultPath: '$.reportFailure' });

    // The queue's three counts are approximate and lag by up to a minute: the first check comes minutes after the
    // last message was queued, and all three must be zero.
    const startWaiting = new sfn.Pass(this, 'AwaitSends', { result: sfn.Result.fromObject({ checks: 0 }), resultPath: '$.sendsWait' });
    const waitForSends = new sfn.Wait(this, 'WaitForSends', { time: sfn.WaitTime.duration(sendsWait.interval) });
    const sendsPending = new tasks.CallAwsService(this, 'SendsPending', {
      service: 'sqs',
      action: 'getQueueAttributes',
      parameters: {
        QueueUrl: props.sendQueue.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      },
      iamResources: [props.sendQueue.queueArn],
      resultSelector: {
        'visible.$': '$.Attributes.ApproximateNumberOfMessages',
        'inFlight.$': '$.Attributes.ApproximateNumberOfMessagesNotVisible',
        'delayed.$': '$.Attributes.ApproximateNumberOfMessagesDelayed',
      },
      resultPath: '$.sendsWait.queue',
    });
    sendsPending.addRetry({ errors: ['States.ALL'], ...functionRetry, jitterStrategy: sfn.JitterType.FULL });
    // A queue that cannot be read does not keep the report from being built.
    sendsPending.addCatch(buildReport, { resultPath: '$.sendsWaitFailure' });
    const countCheck = new sfn.Pass(this, 'CountSendsCheck', {
      parameters: { 'checks.$': 'States.MathAdd($.sendsWait.checks, 1)', 'queue.$': '$.sendsWait.queue' },
      resultPath: '$.sendsWait',
    });
    const sendsSettled = new sfn.Choice(this, 'SendsSettled?')
      .when(
        sfn.Condition.and(
          sfn.Condition.stringEquals('$.sendsWait.queue.visible', '0'),
          sfn.Condition.stringEquals('$.sendsWait.queue.inFlight', '0'),
          sfn.Condition.stringEquals('$.sendsWait.queue.delayed', '0'),
        ),
        buildReport,
      )
      .when(sfn.Condition.numberGreaterThanEquals('$.sendsWait.checks', sendsWait.maxChecks), buildReport)
      .otherwise(waitForSends);
    const awaitSends = startWaiting.next(waitForSends).next(sendsPending).next(countCheck).next(sendsSettled);

    const failNight = new tasks.LambdaInvoke(this, 'FailNight', {
      ...invoking(props.finish),
      payload: sfn.TaskInput.fromObject({ runId: sfn.JsonPath.stringAt('$.night.runId'), error: sfn.JsonPath.objectAt('$.failure') }),
      payloadResponseOnly: true,
      resultPath: sfn.JsonPath.DISCARD,
    });
    retried(failNight);
    const failed = new sfn.Fail(this, 'NightFailed', { error: 'NightFailed', causePath: '$.failure.Cause' });
    segments.addCatch(failNight.next(failed), { resultPath: '$.failure' });

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.THREE_MONTHS });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'Winback: the nightly run, one worker per scan segment',
      definitionBody: sfn.DefinitionBody.fromChainable(start.next(segments).next(finish).next(awaitSends)),
      // Far beyond any real night, short enough that a stuck one is noticed the next morning.
      timeout: Duration.hours(12),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    // LambdaInvoke grants lambda:InvokeFunction on each function and on `<function ARN>:*` (its versions); the
    // tasks call the unqualified ARNs. Log delivery actions support no resource-level permissions.
    const policy = this.stateMachine.role.node.findChild('DefaultPolicy');
    for (const fn of [props.start, props.segmentWorker, props.finish, props.report]) {
      const logicalId = Stack.of(this).getLogicalId(fn.node.defaultChild as CfnElement);
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
        reason: `The LambdaInvoke task's grant on the versions of ${fn.node.path}; the state machine invokes only the function itself.`,
      });
    }
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'CloudWatch Logs delivery (logs:CreateLogDelivery, GetLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray tracing actions support no resource-level permissions.',
    });
  }
}

/**
 * Errors of the Lambda service rather than of the function: throttling (the account's concurrency is shared with
 * every other function in it, and a new account may have as little as 10) and Lambda's own transient failures.
 */
export const lambdaServiceErrors = [
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
];

/**
 * How long a throttled task keeps trying: 30 s, doubling to at most 10 minutes between attempts, 20 attempts with full
 * jitter: up to about 2.7 hours of waiting (half that on average), inside the night's 12 hours. A throttled segment
 * waits for concurrency to free up instead of failing the night; each attempt costs 3 history events.
 */
export const serviceRetry = { interval: Duration.seconds(30), backoffRate: 2, maxDelay: Duration.minutes(10), maxAttempts: 20 } as const;

/** The function's own failures: three more attempts, a few seconds apart (a bug does not heal by waiting longer). */
export const functionRetry = { interval: Duration.seconds(5), backoffRate: 3, maxAttempts: 3 } as const;

/**
 * Lambda's errors first (the first matching retrier wins), then the function's. CDK's default retrier (6 attempts
 * over about a minute, no throttling) is replaced: it would fail a throttled night in a minute.
 */
function retried(task: tasks.LambdaInvoke): void {
  task.addRetry({ errors: lambdaServiceErrors, ...serviceRetry, jitterStrategy: sfn.JitterType.FULL });
  task.addRetry({ errors: ['States.ALL'], ...functionRetry, jitterStrategy: sfn.JitterType.FULL });
}

/**
 * The function a task invokes, without CDK's default retrier, and a task timeout a minute past the function's own:
 * Step Functions' default would wait for a lost invocation for a year.
 */
function invoking(fn: lambda.Function): Pick<tasks.LambdaInvokeProps, 'lambdaFunction' | 'retryOnServiceExceptions' | 'taskTimeout'> {
  const seconds = (fn.timeout ?? Duration.seconds(3)).toSeconds() + 60;
  return { lambdaFunction: fn, retryOnServiceExceptions: false, taskTimeout: sfn.Timeout.duration(Duration.seconds(seconds)) };
}
