import { Aws, CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps, TimeZone, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { customerScanIndex, messageIndex, sentNightIndex, tableKeys, ttlAttribute } from '../lib/adapters/dynamodb/table.js';
import { adminApiTimeoutSeconds } from '../lib/http/route.js';
import { WinbackEmail } from './email.js';
import { WinbackFunction } from './function.js';
import { WinbackHttpApi } from './http-api.js';
import { WinbackMonitoring } from './monitoring.js';
import { WinbackNight } from './night.js';
import { nightConcurrency, sendBatchSize, sesIdentity, type WinbackSettings } from './settings.js';
import { standardWebhookSecret } from './standard-webhook-secret.js';

export interface WinbackStackProps extends StackProps {
  readonly settings: WinbackSettings;
}

/**
 * The environment variables that carry Secrets Manager ARNs (never secret values: CloudFormation templates and the
 * Lambda console show environment variables in clear). Each function reads its secret at cold start and caches it.
 */
export const secretArnVariables = {
  unsubscribeSigningKey: 'UNSUBSCRIBE_SECRET_ARN',
  shopifyWebhookSecret: 'SHOPIFY_WEBHOOK_SECRET_ARN',
  wooCommerceWebhookSecret: 'WOOCOMMERCE_WEBHOOK_SECRET_ARN',
  genericWebhookSecret: 'WEBHOOK_SECRET_ARN',
  adminToken: 'WINBACK_ADMIN_TOKEN_ARN',
  shopifyAdminToken: 'SHOPIFY_ADMIN_TOKEN_ARN',
  wooCommerceCredentials: 'WOOCOMMERCE_CREDENTIALS_ARN',
} as const;

/**
 * A Scheduler target that may invoke only the function itself. The stock target grants `lambda:InvokeFunction` on
 * the function and on `<function ARN>:*` (every version and alias), but the schedule always calls the unqualified ARN.
 */
class InvokeFunction extends schedulerTargets.LambdaInvoke {
  constructor(
    private readonly target: lambda.IFunction,
    props: schedulerTargets.ScheduleTargetBaseProps,
  ) {
    super(target, props);
  }

  protected override addTargetActionToRole(role: iam.IRole): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.target.functionArn] }));
  }
}

/** Item-level DynamoDB actions every function that uses the table needs (transactions check each item's action). */
const tableItemActions = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];

/**
 * The whole system in the shop's own account: the table, the nightly run and the due-send sender on EventBridge
 * Scheduler, the HTTP API (webhooks, unsubscribe, feedback, admin API behind Cognito), SES with its events back
 * through EventBridge, secrets in Secrets Manager, dead-letter queues, alarms and a dashboard.
 */
export class WinbackStack extends Stack {
  readonly table: dynamodb.Table;
  readonly night: WinbackNight;
  readonly sendQueue: sqs.Queue;
  readonly sendWorker: nodejs.NodejsFunction;
  readonly scheduledSender: nodejs.NodejsFunction;
  readonly emailEvents: nodejs.NodejsFunction;
  readonly reportBuilder: nodejs.NodejsFunction;
  readonly httpApi: WinbackHttpApi;
  readonly email: WinbackEmail;
  readonly monitoring: WinbackMonitoring;
  /** Every function, by its handler's folder under functions/. */
  readonly functions: Record<string, nodejs.NodejsFunction> = {};

  constructor(scope: Construct, id: string, props: WinbackStackProps) {
    const { settings, ...stackProps } = props;
    super(scope, id, { description: `Winback: customer win-back for ${settings.shopName}`, ...stackProps });

    // ---- data ---------------------------------------------------------------------------------------------------
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
    // Added to a deployed table by the next deploy (one new index per deploy, as CloudFormation allows); the guard
    // reads it once it covers its window (SHOP / SENT_NIGHTS), and scans the messages index until then.
    this.table.addGlobalSecondaryIndex({
      indexName: sentNightIndex.name,
      partitionKey: { name: sentNightIndex.partitionKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...sentNightIndex.projected],
    });

    // ---- secrets: values never appear in the template; the functions get ARNs -------------------------------------
    // Signs unsubscribe tokens: replacing it would break every unsubscribe link already sent.
    const unsubscribeSigningKey = this.secret('UnsubscribeSigningKey', 'HMAC key that signs one-click unsubscribe and feedback tokens', {
      retain: true,
      noRotation:
        'Rotating it would invalidate every unsubscribe link already sent, and RFC 8058 and CAN-SPAM require those links to keep working; it is generated here and never leaves Secrets Manager.',
    });
    const issuedByPlatform = (platform: string) =>
      `The value is issued by ${platform}, not by us, so a Lambda rotation could not change it; the merchant rotates it there and puts the new value here (the handler accepts two comma-separated values during the switch).`;
    const shopifyWebhookSecret = this.secret(
      'ShopifyWebhookSecret',
      'Shopify app client secret that signs Shopify webhooks (put the real value after deploying)',
      {
        noRotation: issuedByPlatform('Shopify (the app client secret)'),
      },
    );
    const wooCommerceWebhookSecret = this.secret(
      'WooCommerceWebhookSecret',
      'WooCommerce webhook secret (copy this value into the WooCommerce webhook, or put yours here)',
      {
        noRotation: issuedByPlatform('the WooCommerce webhook settings'),
      },
    );
    const genericWebhookSecret = standardWebhookSecret(
      this,
      'GenericWebhookSecret',
      "Standard Webhooks signing secret, whsec_<base64> (put the sending system's value after deploying)",
      issuedByPlatform('the system that sends the generic webhooks'),
    );
    const adminToken = this.secret('AdminToken', 'Bearer token of the admin API (in addition to the Cognito JWT)', {
      noRotation:
        'The admin API clients hold this token; it is replaced by hand together with them (a scheduled rotation would lock them out). Marketers authenticate with Cognito first.',
    });

    // The shop platform's API credentials, with couponPlatform "shopify" or "woocommerce": only the functions that
    // create codes (the segment worker, and the send worker for an email that waited for its code) and remove them
    // (night-finish's housekeeping) get them. The scheduled sender only hands due sends to the queue.
    const coupons = this.couponCredentials(settings, issuedByPlatform);

    // ---- queues for what failed after every retry ------------------------------------------------------------------
    // One queue per pipeline, each alarmed. Scheduler and EventBridge invoke Lambda asynchronously, so a function's
    // own errors never reach their retry policies: Lambda's async retries and on-failure destination handle those.
    const nightFailures = this.deadLetterQueue('NightFailures', 'the night did not start: the schedule could not start the state machine after every retry');
    const senderFailures = this.deadLetterQueue('SenderFailures', 'a due-send tick failed on every attempt');
    const emailEventFailures = this.deadLetterQueue('EmailEventFailures', 'an SES event could not be recorded after every retry');

    // ---- email ---------------------------------------------------------------------------------------------------
    this.email = new WinbackEmail(this, 'Email', {
      identity: sesIdentity(settings),
      senderAddress: settings.senderAddress,
      mailFromSubdomain: settings.mailFromSubdomain,
      ...(settings.hostedZoneId && settings.hostedZoneName ? { hostedZone: { id: settings.hostedZoneId, name: settings.hostedZoneName } } : {}),
    });

    // ---- functions -------------------------------------------------------------------------------------------------
    const common = {
      TABLE_NAME: this.table.tableName,
      POWERTOOLS_SERVICE_NAME: 'winback',
      POWERTOOLS_LOG_LEVEL: settings.logLevel,
      POWERTOOLS_METRICS_NAMESPACE: 'Winback',
    };
    const linkSigning = { [secretArnVariables.unsubscribeSigningKey]: unsubscribeSigningKey.secretArn };
    const sending = { SES_CONFIGURATION_SET: this.email.configurationSet.configurationSetName };

    // The HTTP API comes first: its URL is the default base of the unsubscribe links the senders put in every email.
    const webhookShopify = this.fn('WebhookShopify', 'webhook-shopify', 'POST /webhooks/shopify: verifies and stores Shopify orders', {
      timeout: Duration.seconds(10),
      environment: { ...common, [secretArnVariables.shopifyWebhookSecret]: shopifyWebhookSecret.secretArn },
      secrets: [shopifyWebhookSecret],
    });
    const webhookWooCommerce = this.fn('WebhookWooCommerce', 'webhook-woocommerce', 'POST /webhooks/woocommerce: verifies and stores WooCommerce orders', {
      timeout: Duration.seconds(10),
      environment: { ...common, [secretArnVariables.wooCommerceWebhookSecret]: wooCommerceWebhookSecret.secretArn },
      secrets: [wooCommerceWebhookSecret],
    });
    const webhookGeneric = this.fn('WebhookGeneric', 'webhook-generic', 'POST /webhooks/generic: verifies and stores Standard Webhooks orders', {
      timeout: Duration.seconds(10),
      environment: { ...common, [secretArnVariables.genericWebhookSecret]: genericWebhookSecret.secretArn },
      secrets: [genericWebhookSecret],
    });
    const unsubscribe = this.fn('Unsubscribe', 'unsubscribe', 'ANY /unsubscribe/{token}: RFC 8058 one-click unsubscribe', {
      timeout: Duration.seconds(10),
      environment: { ...common, ...linkSigning },
      secrets: [unsubscribeSigningKey],
    });
    const feedback = this.fn('Feedback', 'feedback', 'ANY /feedback/{token}: why a customer stopped ordering', {
      timeout: Duration.seconds(10),
      environment: { ...common, ...linkSigning },
      secrets: [unsubscribeSigningKey],
    });
    // Its environment needs the API's URL, so it is completed below; API Gateway waits at most 30 s for it.
    const adminEnvironment: Record<string, string> = { ...common, ...linkSigning, [secretArnVariables.adminToken]: adminToken.secretArn };
    const adminApi = this.fn('AdminApi', 'admin-api', 'The admin API: customers, campaigns, previews, health', {
      timeout: Duration.seconds(adminApiTimeoutSeconds),
      memorySize: 1024,
      environment: adminEnvironment,
      secrets: [unsubscribeSigningKey, adminToken],
      runsNight: true,
      scansTable: true,
    });

    // The console's page and files: copied next to its handler in the bundle; it reads no data and holds no secret.
    const consoleFiles = this.fn('Console', 'console', "GET / and /console/{file}: the marketers' console (static files and sign-in settings)", {
      timeout: Duration.seconds(5),
      environment: { ...common },
      copyIntoBundle: { from: 'lib/console', to: 'console' },
      noTable: true,
    });

    this.httpApi = new WinbackHttpApi(
      this,
      'Http',
      {
        'webhook-shopify': webhookShopify,
        'webhook-woocommerce': webhookWooCommerce,
        'webhook-generic': webhookGeneric,
        unsubscribe,
        feedback,
        'admin-api': adminApi,
        console: consoleFiles,
      },
      {
        shopName: settings.shopName,
        rateLimit: settings.apiRateLimit,
        burstLimit: settings.apiBurstLimit,
        signInDomainPrefix: settings.signInDomainPrefix ?? Fn.join('-', ['winback', Aws.ACCOUNT_ID]),
      },
    );
    const unsubscribeBaseUrl = settings.unsubscribeBaseUrl ?? this.httpApi.url;
    adminApi.addEnvironment('UNSUBSCRIBE_BASE_URL', unsubscribeBaseUrl);
    consoleFiles.addEnvironment('CONSOLE_SIGN_IN_URL', this.httpApi.signInDomain.baseUrl());
    consoleFiles.addEnvironment('CONSOLE_CLIENT_ID', this.httpApi.userPoolClient.userPoolClientId);

    // ---- the night: a state machine fans the scan out to one worker per segment; sends go through a queue -------
    const sendFailures = this.deadLetterQueue(
      'SendFailures',
      'a queued send failed on every receive: its ledger entry stays scheduled, so the due sender sends it after the grace period unless it was taken',
      {
        redrive: true,
      },
    );
    // Visibility: six times the sender's timeout, as AWS advises for a Lambda event source, so a slow batch is not
    // handed to a second sender while the first still works on it.
    const sendQueue = new sqs.Queue(this, 'SendQueue', {
      visibilityTimeout: Duration.minutes(6),
      retentionPeriod: Duration.days(4),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: sendFailures, maxReceiveCount: 5 },
    });
    this.sendQueue = sendQueue;
    const nightEnvironment = {
      ...common,
      ...linkSigning,
      UNSUBSCRIBE_BASE_URL: unsubscribeBaseUrl,
      SEND_QUEUE_URL: sendQueue.queueUrl,
      SEND_CONCURRENCY: String(settings.sendConcurrency),
    };
    const nightStart = this.fn('NightStart', 'night-start', 'The night begins: the deliverability guard, the model fitted on a sample, the segments to scan', {
      timeout: Duration.minutes(10),
      memorySize: 1024,
      environment: nightEnvironment,
      secrets: [unsubscribeSigningKey],
      runsNight: true,
    });
    const segmentWorker = this.fn(
      'SegmentWorker',
      'segment-worker',
      'One scan segment: scores, decides, reserves and queues the sends; hands over its cursor near the time limit',
      {
        timeout: Duration.minutes(15),
        memorySize: 1024,
        environment: { ...nightEnvironment, ...coupons.environment },
        secrets: [unsubscribeSigningKey, ...coupons.secrets],
        runsNight: true,
      },
    );
    sendQueue.grantSendMessages(segmentWorker.role!);
    const nightFinish = this.fn('NightFinish', 'night-finish', 'The night ends: sums the segments into the run record, or records the failure', {
      timeout: Duration.minutes(2),
      environment: { ...nightEnvironment, ...coupons.environment },
      secrets: [unsubscribeSigningKey, ...coupons.secrets],
    });
    this.reportBuilder = this.fn(
      'ReportBuilder',
      'report-builder',
      'After the night: builds the whole report and stores it, so the console answers at once at any size',
      {
        // A million customers' report reads the whole table (about 3.5 GB with five orders each) in a few minutes. It
        // holds the ledger entries of the shop's whole history: `npm run bench:report` measured 480 bytes of heap kept per
        // entry and up to 1.75 KB of resident memory per entry at the report's peak, so 2 GB would fail after 1.0 to 3.3
        // million entries (two to five months of 20,000 emails a night); 4 GB holds 2.3 to 6.6 million, about what its
        // 15 minutes can read.
        timeout: Duration.minutes(15),
        memorySize: 4096,
        environment: { ...common },
        scansTable: true,
      },
    );
    this.night = new WinbackNight(this, 'Night', {
      start: nightStart,
      segmentWorker,
      finish: nightFinish,
      report: this.reportBuilder,
      maxConcurrency: nightConcurrency(settings),
      sendQueue,
    });
    new scheduler.Schedule(this, 'NightlySchedule', {
      description: `Winback: the nightly run at ${settings.scheduleHour}:00 ${settings.timeZone}`,
      schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: String(settings.scheduleHour), timeZone: TimeZone.of(settings.timeZone) }),
      target: new schedulerTargets.StepFunctionsStartExecution(this.night.stateMachine, {
        // `asOf` is the instant the schedule was due (not when this attempt runs), so a retried or late start
        // still works on the same night: the night derives its calendar date from it in the shop's time zone
        // (the campaign config's shop.timeZone, which should equal the `timeZone` setting that times this schedule).
        input: scheduler.ScheduleTargetInput.fromObject({ source: 'winback.schedule', asOf: scheduler.ContextAttribute.scheduledTime }),
        retryAttempts: 3,
        maxEventAge: Duration.hours(2),
        deadLetterQueue: nightFailures,
      }),
    });

    // The send queue's sender: each container paces itself so that all of them together stay under SES's rate.
    const senderConcurrency = 2;
    const sendRatePerContainer = Math.max(0.1, (settings.sesMaxSendRate * 0.9) / senderConcurrency);
    this.sendWorker = this.fn('SendWorker', 'send-worker', 'Sends the queued win-back emails through SES, under its sending rate', {
      timeout: Duration.minutes(1),
      environment: {
        ...common,
        ...linkSigning,
        ...sending,
        UNSUBSCRIBE_BASE_URL: unsubscribeBaseUrl,
        SEND_RATE_PER_SECOND: String(sendRatePerContainer),
        ...coupons.environment,
      },
      secrets: [unsubscribeSigningKey, ...coupons.secrets],
      sends: true,
    });
    this.sendWorker.addEventSource(
      new SqsEventSource(sendQueue, {
        batchSize: sendBatchSize(sendRatePerContainer),
        // Required above 10 messages a batch; a second at most of waiting for a batch to fill.
        maxBatchingWindow: Duration.seconds(1),
        maxConcurrency: senderConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    // Sends the emails that waited out their customers' quiet hours. Each due entry is claimed conditionally before
    // it is sent, so two overlapping ticks never send the same email; the timeout stays under the 5-minute rate so
    // they rarely overlap at all (each would add its own sending concurrency).
    this.scheduledSender = this.fn('ScheduledSender', 'scheduled-sender', 'Every 5 minutes: sends the emails whose quiet hours are over', {
      timeout: Duration.minutes(4),
      environment: {
        ...common,
        ...linkSigning,
        ...sending,
        UNSUBSCRIBE_BASE_URL: unsubscribeBaseUrl,
        SEND_CONCURRENCY: String(settings.sendConcurrency),
        SEND_QUEUE_URL: sendQueue.queueUrl,
      },
      // No SES permission: it only hands due sends to the send queue, whose sender is the one caller of SES.
      secrets: [unsubscribeSigningKey],
      // The next tick picks up whatever this one left, so a failed tick is not retried, only recorded.
      async: { retryAttempts: 0, onFailure: senderFailures },
    });
    // It hands due sends to the send queue: the queue's sender is the one caller of SES, at one rate.
    sendQueue.grantSendMessages(this.scheduledSender.role!);
    new scheduler.Schedule(this, 'SenderSchedule', {
      description: 'Winback: sends the emails that waited out quiet hours, every 5 minutes',
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(5)),
      target: new InvokeFunction(this.scheduledSender, {
        input: scheduler.ScheduleTargetInput.fromObject({ source: 'winback.schedule', upTo: scheduler.ContextAttribute.scheduledTime }),
        retryAttempts: 2,
        maxEventAge: Duration.minutes(4),
        deadLetterQueue: senderFailures,
      }),
    });

    // SES events (delivery, bounce, complaint, open, click ...) from the default bus to their handler.
    this.emailEvents = this.fn('EmailEvents', 'email-events', 'Records SES events: suppressions, engagement, attribution', {
      timeout: Duration.seconds(30),
      environment: { ...common },
      findsSendsByMessage: true,
      async: { retryAttempts: 2, onFailure: emailEventFailures },
    });
    this.email.routeEventsTo(this.emailEvents, emailEventFailures);

    // ---- observability ---------------------------------------------------------------------------------------------
    this.monitoring = new WinbackMonitoring(this, 'Monitoring', {
      ...(settings.alarmEmail ? { alarmEmail: settings.alarmEmail } : {}),
      night: this.night.stateMachine,
      sendWorker: this.sendWorker,
      sendQueue,
      scheduledSender: this.scheduledSender,
      emailEvents: this.emailEvents,
      reportBuilder: this.reportBuilder,
      webhooks: [webhookShopify, webhookWooCommerce, webhookGeneric],
      api: this.httpApi.api,
      deadLetterQueues: { NightFailures: nightFailures, SendFailures: sendFailures, SenderFailures: senderFailures, EmailEventFailures: emailEventFailures },
    });
    if (!settings.alarmEmail) {
      Validations.of(this.monitoring).addWarning(
        'winback:noAlarmEmail',
        'No alarmEmail is set: the alarms fire, but nobody is told. Set it with -c alarmEmail=you@example.com or in cdk.json.',
      );
    }

    // ---- outputs -----------------------------------------------------------------------------------------------------
    const output = (outputId: string, value: string, description: string) => new CfnOutput(this, outputId, { value, description });
    output('TableName', this.table.tableName, 'The DynamoDB table');
    output('ApiUrl', this.httpApi.url, 'Base URL: webhooks at /webhooks/{shopify,woocommerce,generic}, the admin API at /api');
    output('UnsubscribeBaseUrl', unsubscribeBaseUrl, 'Base of the unsubscribe and feedback links in every email');
    output('UserPoolId', this.httpApi.userPool.userPoolId, 'Cognito user pool of the marketers (admin-create-user invites one)');
    output('UserPoolClientId', this.httpApi.userPoolClient.userPoolClientId, 'Cognito app client of the console; the JWT audience');
    output('ConsoleUrl', `${this.httpApi.url}/`, "The marketers' console (sign in with a Cognito user of the pool)");
    output('SignInUrl', this.httpApi.signInDomain.baseUrl(), 'Cognito hosted login of the console');
    output('ConfigurationSetName', this.email.configurationSet.configurationSetName, 'SES configuration set that publishes the email events');
    output('ShopifyWebhookSecretArn', shopifyWebhookSecret.secretArn, 'Put the Shopify app client secret here');
    output('WooCommerceWebhookSecretArn', wooCommerceWebhookSecret.secretArn, 'The WooCommerce webhook secret');
    output('GenericWebhookSecretArn', genericWebhookSecret.secretArn, 'Put the Standard Webhooks whsec_ secret here');
    output('AdminTokenArn', adminToken.secretArn, 'The admin API bearer token');
    if (coupons.secrets[0]) {
      output(
        'CouponCredentialsArn',
        coupons.secrets[0].secretArn,
        settings.couponPlatform === 'shopify'
          ? 'Put the Shopify Admin API access token (shpat_...) here'
          : 'Put {"consumerKey": "ck_...", "consumerSecret": "cs_..."} here',
      );
    }
    output('NightFailuresQueueUrl', nightFailures.queueUrl, 'Nights the schedule could not start after every retry');
    output('NightStateMachineArn', this.night.stateMachine.stateMachineArn, 'The night: start an execution with {"asOf":"YYYY-MM-DD"} to re-run one');
    output('SendQueueUrl', sendQueue.queueUrl, 'Sends waiting for the SES sender');
    output('AlarmTopicArn', this.monitoring.topic.topicArn, 'Alarm notifications');
    output('DashboardName', this.monitoring.dashboard.dashboardName, 'CloudWatch dashboard');
  }

  /**
   * The coupon platform's credentials and where the functions find them: an ARN, and the one shop they belong to (a
   * campaign config naming another shop gets none). None with couponPlatform "local".
   */
  private couponCredentials(
    settings: WinbackSettings,
    issuedByPlatform: (platform: string) => string,
  ): { environment: Record<string, string>; secrets: secretsmanager.ISecret[] } {
    if (settings.couponPlatform === 'local') return { environment: {}, secrets: [] };
    const shopify = settings.couponPlatform === 'shopify';
    const secret = settings.couponCredentialsSecretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'CouponCredentials', settings.couponCredentialsSecretArn)
      : shopify
        ? this.secret(
            'ShopifyAdminToken',
            `Shopify Admin API access token of ${settings.shopifyDomain}, for coupon codes (replace the placeholder with the shpat_ token after deploying)`,
            {
              noRotation: issuedByPlatform("Shopify (the app's Admin API access token)"),
              // Until replaced, the functions read "no credentials" and hold the emails with codes (docs/coupons.md).
              placeholder: 'the Admin API access token (shpat_...) as the whole secret value',
            },
          )
        : this.secret(
            'WooCommerceCredentials',
            `WooCommerce REST API key of ${settings.woocommerceUrl}, for coupon codes (replace the placeholder after deploying)`,
            {
              noRotation: issuedByPlatform('WooCommerce (a REST API key with Read/Write permission)'),
              placeholder: '{"consumerKey": "ck_...", "consumerSecret": "cs_..."}',
            },
          );
    const environment: Record<string, string> = shopify
      ? { [secretArnVariables.shopifyAdminToken]: secret.secretArn, SHOPIFY_SHOP_DOMAIN: settings.shopifyDomain! }
      : { [secretArnVariables.wooCommerceCredentials]: secret.secretArn, WOOCOMMERCE_SITE_URL: settings.woocommerceUrl! };
    return { environment, secrets: [secret] };
  }

  private secret(id: string, description: string, options: { noRotation: string; retain?: boolean; placeholder?: string }): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, id, {
      description: `Winback: ${description}`,
      // A placeholder names what belongs there; its generated part keeps the template free of any fixed value.
      generateSecretString: options.placeholder
        ? {
            passwordLength: 64,
            excludePunctuation: true,
            secretStringTemplate: JSON.stringify({ replaceWith: options.placeholder }),
            generateStringKey: 'placeholder',
          }
        : { passwordLength: 64, excludePunctuation: true },
      removalPolicy: options.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: options.noRotation });
    return secret;
  }

  private deadLetterQueue(id: string, meaning: string, { redrive = false }: { redrive?: boolean } = {}): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    // cdk-nag recognises a dead-letter queue by a redrive policy that names it; the others need saying so.
    if (!redrive) {
      Validations.of(queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: `This is itself a dead-letter queue (${meaning}); its senders are Scheduler, EventBridge and Lambda destinations, not a queue redrive policy cdk-nag could see.`,
      });
    }
    return queue;
  }

  /** One function with exactly the permissions its handler uses. */
  private fn(
    id: string,
    folder: string,
    description: string,
    options: {
      timeout: Duration;
      memorySize?: number;
      environment: Record<string, string>;
      secrets?: secretsmanager.ISecret[];
      /**
       * The night and its preview: the parallel scan of the sparse customers index, the deliverability guard's
       * queries of the sparse nights index (its window's sends; a scan of the messages index on a table the nights
       * index does not cover yet), and the table's size. Never a scan of the whole table.
       */
      runsNight?: boolean;
      /** SES events name the message: the sparse messages index finds its send. */
      findsSendsByMessage?: boolean;
      sends?: boolean;
      async?: { retryAttempts: number; onFailure: sqs.IQueue };
      /** The report reads the ledger, decisions and runs in one parallel scan of the table, and the profiles from the customers index. */
      scansTable?: boolean;
      /** Files the handler reads at run time, copied next to it in the bundle. */
      copyIntoBundle?: { from: string; to: string };
      /** A function that never touches the table (the console's static files). */
      noTable?: boolean;
    },
  ): nodejs.NodejsFunction {
    const { function: fn, role } = new WinbackFunction(this, id, {
      folder,
      description: `Winback: ${description}`,
      timeout: options.timeout,
      ...(options.memorySize ? { memorySize: options.memorySize } : {}),
      environment: options.environment,
      ...(options.copyIntoBundle ? { copyIntoBundle: options.copyIntoBundle } : {}),
    });
    const tableArn = this.table.tableArn;
    if (!options.noTable) role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: tableItemActions, resources: [tableArn] }));
    if (options.scansTable)
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Scan'], resources: [tableArn, `${tableArn}/index/${customerScanIndex.name}`] }));
    if (options.runsNight) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:Scan'],
          resources: [`${tableArn}/index/${customerScanIndex.name}`, `${tableArn}/index/${messageIndex.name}`],
        }),
      );
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${tableArn}/index/${sentNightIndex.name}`] }));
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:DescribeTable'], resources: [tableArn] }));
    }
    if (options.findsSendsByMessage) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${tableArn}/index/${messageIndex.name}`] }));
    }
    for (const secret of options.secrets ?? []) secret.grantRead(role);
    if (options.sends) this.email.grantSend(role);
    if (options.async) {
      fn.configureAsyncInvoke({ retryAttempts: options.async.retryAttempts, onFailure: new SqsDestination(options.async.onFailure) });
    }
    this.functions[folder] = fn;
    return fn;
  }
}
