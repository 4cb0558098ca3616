import { fileURLToPath } from 'node:url';
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, TimeZone, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { customerScanIndex, messageIndex, tableKeys, ttlAttribute } from '../lib/adapters/dynamodb/table.js';
import { senderDomain, type WinbackSettings } from './settings.js';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const fromRoot = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

/**
 * esbuild's ESM output turns a bundled CommonJS `require()` into a shim that throws unless a `require` exists,
 * so the bundle defines one. The alias keeps it from clashing with a bundled module's own `createRequire` import.
 */
const esmRequireBanner =
  "import { createRequire as topLevelCreateRequire } from 'node:module'; const require = topLevelCreateRequire(import.meta.url);";

export interface WinbackStackProps extends StackProps {
  readonly settings: WinbackSettings;
}

export class WinbackStack extends Stack {
  readonly table: dynamodb.Table;
  readonly nightlyCoordinator: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: WinbackStackProps) {
    const { settings, ...stackProps } = props;
    super(scope, id, { description: `Winback: customer win-back for ${settings.shopName}`, ...stackProps });

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: tableKeys.partition, type: dynamodb.AttributeType.STRING },
      sortKey: { name: tableKeys.sort, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Customers, orders and consent records outlive any one deployment of the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: customerScanIndex.name,
      partitionKey: { name: customerScanIndex.partitionKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: messageIndex.name,
      partitionKey: { name: messageIndex.partitionKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    // Signs unsubscribe tokens: replacing it would break every unsubscribe link already sent.
    const unsubscribeSigningKey = new secretsmanager.Secret(this, 'UnsubscribeSigningKey', {
      description: 'Winback: HMAC key that signs one-click unsubscribe tokens',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // One queue for "the night did not run": the schedule could not invoke the function, or the function
    // failed on every attempt (Scheduler invokes Lambda asynchronously, so function errors never reach
    // the schedule's retry policy; Lambda's own async retries and on-failure destination handle those).
    const nightFailures = new sqs.Queue(this, 'NightFailures', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });

    this.nightlyCoordinator = new nodejs.NodejsFunction(this, 'NightlyCoordinator', {
      entry: fromRoot('functions/nightly-coordinator/handler.ts'),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: fromRoot('package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.minutes(15),
      memorySize: 1024,
      environment: {
        TABLE_NAME: this.table.tableName,
        UNSUBSCRIBE_BASE_URL: settings.unsubscribeBaseUrl,
        UNSUBSCRIBE_SECRET_ARN: unsubscribeSigningKey.secretArn,
        POWERTOOLS_SERVICE_NAME: 'winback',
        POWERTOOLS_LOG_LEVEL: settings.logLevel,
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: esmRequireBanner,
        forceDockerBundling: false,
      },
      logGroup: new logs.LogGroup(this, 'NightlyCoordinatorLogs', { retention: logs.RetentionDays.THREE_MONTHS }),
      retryAttempts: 2,
      onFailure: new SqsDestination(nightFailures),
    });

    this.table.grantReadWriteData(this.nightlyCoordinator);
    unsubscribeSigningKey.grantRead(this.nightlyCoordinator);
    this.nightlyCoordinator.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          this.formatArn({
            service: 'ses',
            resource: 'identity',
            resourceName: senderDomain(settings),
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );

    new scheduler.Schedule(this, 'NightlySchedule', {
      description: `Winback: the nightly run at ${settings.scheduleHour}:00 ${settings.timeZone}`,
      schedule: scheduler.ScheduleExpression.cron({
        minute: '0',
        hour: String(settings.scheduleHour),
        timeZone: TimeZone.of(settings.timeZone),
      }),
      target: new schedulerTargets.LambdaInvoke(this.nightlyCoordinator, {
        // `asOf` is the instant the schedule was due (not when this attempt runs), so a retried or late
        // invocation still works on the same night: the handler derives the night's calendar date from it
        // in the shop's time zone (the campaign config's shop.timeZone, which should equal the `timeZone`
        // setting that times this schedule).
        input: scheduler.ScheduleTargetInput.fromObject({
          source: 'winback.schedule',
          asOf: scheduler.ContextAttribute.scheduledTime,
        }),
        retryAttempts: 3,
        maxEventAge: Duration.hours(2),
        deadLetterQueue: nightFailures,
      }),
    });

    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'NightFailuresQueueUrl', { value: nightFailures.queueUrl });
  }
}
