import { rmSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sesDetailTypes } from '../../infra/email.js';
import { nodeRuntime } from '../../infra/function.js';
import { reputationThresholds } from '../../infra/monitoring.js';
import { customerScanIndex, messageIndex, sentNightIndex, tableKeys, ttlAttribute } from '../../lib/adapters/dynamodb/table.js';
import { adminApiTimeoutSeconds } from '../../lib/http/route.js';
import { actionsOf, logicalIdOfFunction, type Statement, type Synthesized, statementsOfFunction, synthWinback, validationReport } from './synth.js';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

const handlers = [
  'night-start',
  'segment-worker',
  'night-finish',
  'send-worker',
  'scheduled-sender',
  'email-events',
  'webhook-shopify',
  'webhook-woocommerce',
  'webhook-generic',
  'unsubscribe',
  'feedback',
  'admin-api',
  'console',
  'report-builder',
] as const;

/** The routes the handlers serve, written out independently of infra/http-api.ts. */
const expectedRoutes = [
  { routeKey: 'POST /webhooks/shopify', handler: 'webhook-shopify', authorized: false },
  { routeKey: 'POST /webhooks/woocommerce', handler: 'webhook-woocommerce', authorized: false },
  { routeKey: 'POST /webhooks/generic', handler: 'webhook-generic', authorized: false },
  { routeKey: 'ANY /unsubscribe/{token}', handler: 'unsubscribe', authorized: false },
  { routeKey: 'ANY /feedback/{token}', handler: 'feedback', authorized: false },
  { routeKey: 'GET /health', handler: 'admin-api', authorized: false },
  { routeKey: 'GET /', handler: 'console', authorized: false },
  { routeKey: 'GET /console/{file}', handler: 'console', authorized: false },
  { routeKey: 'GET /api/customers', handler: 'admin-api', authorized: true },
  { routeKey: 'GET /api/report', handler: 'admin-api', authorized: true },
  { routeKey: 'GET /api/segments', handler: 'admin-api', authorized: true },
  { routeKey: 'GET /api/campaigns', handler: 'admin-api', authorized: true },
  { routeKey: 'ANY /api/campaigns/{proxy+}', handler: 'admin-api', authorized: true },
] as const;

const ref = (logicalIdPrefix: string) => ({ Ref: Match.stringLikeRegexp(`^${logicalIdPrefix}`) });
const arnOf = (logicalIdPrefix: string) => ({ 'Fn::GetAtt': [Match.stringLikeRegexp(`^${logicalIdPrefix}`), 'Arn'] });
/** The same two shapes for vitest's own `expect` (CDK's Match only works inside Template assertions). */
const refTo = (logicalIdPrefix: string) => ({ Ref: expect.stringMatching(new RegExp(`^${logicalIdPrefix}`)) });
const arnTo = (logicalIdPrefix: string) => ({ 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${logicalIdPrefix}`)), 'Arn'] });

describe('WinbackStack', () => {
  let synthesized: Synthesized;
  const resources = (type: string) => synthesized.template.findResources(type) as Record<string, Resource>;
  const functionId = (handler: string) => logicalIdOfFunction(synthesized, handler);
  const environmentOf = (handler: string) =>
    (resources('AWS::Lambda::Function')[functionId(handler)]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;

  // The stack is built once for the file, with cdk-nag's checks registered exactly as infra/app.ts registers them.
  // Nothing here reads a bundle (the template differs only in asset hashes): bundles.test.ts loads and runs each one.
  beforeAll(() => {
    // Prepare + Act
    synthesized = synthWinback(
      {
        shopName: 'Fietsen & Co',
        timeZone: 'Europe/Amsterdam',
        senderAddress: 'news@Fietsen.example',
        scheduleHour: '4',
        unsubscribeBaseUrl: 'https://fietsen.example/links',
        alarmEmail: 'ops@fietsen.example',
        sendConcurrency: '6',
      },
      { bundle: false },
    );
  });

  // The assembly goes to a temporary directory of its own.
  afterAll(() => rmSync(synthesized.assembly.directory, { recursive: true, force: true }));

  describe('data', () => {
    it('keeps the single table with its keys, sparse indexes, TTL and safeguards', () => {
      // Assess
      synthesized.template.resourceCountIs('AWS::DynamoDB::Table', 1);
      synthesized.template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: Match.objectLike({
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [
            { AttributeName: tableKeys.partition, KeyType: 'HASH' },
            { AttributeName: tableKeys.sort, KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: [
            {
              IndexName: customerScanIndex.name,
              KeySchema: [{ AttributeName: customerScanIndex.partitionKey, KeyType: 'HASH' }],
              Projection: { ProjectionType: 'ALL' },
            },
            { IndexName: messageIndex.name, KeySchema: [{ AttributeName: messageIndex.partitionKey, KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
            {
              IndexName: sentNightIndex.name,
              KeySchema: [{ AttributeName: sentNightIndex.partitionKey, KeyType: 'HASH' }],
              Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...sentNightIndex.projected] },
            },
          ],
          TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
          // Enabled without a key of our own: the AWS-managed key (aws/dynamodb), not the AWS-owned default.
          SSESpecification: Match.exact({ SSEEnabled: true }),
        }),
      });
    });
  });

  describe('functions', () => {
    it('defines one function per handler, every one ARM64 on the newest Node.js runtime the CDK offers', () => {
      // Prepare
      const functions = Object.values(resources('AWS::Lambda::Function'));
      const newestNode = lambda.Runtime.ALL.map((runtime) => runtime.name)
        .filter((name) => /^nodejs\d+\.x$/.test(name))
        .sort((a, b) => Number.parseInt(a.slice(6), 10) - Number.parseInt(b.slice(6), 10))
        .at(-1);
      // Assess
      expect(Object.keys(synthesized.stack.functions).sort()).toEqual([...handlers].sort());
      expect(functions).toHaveLength(handlers.length);
      expect(nodeRuntime.name).toBe(newestNode);
      for (const fn of functions) {
        expect(fn.Properties).toMatchObject({ Runtime: newestNode, Architectures: ['arm64'], Handler: 'index.handler', TracingConfig: { Mode: 'Active' } });
      }
    });

    it('gives every function the Powertools settings, the table, and its own log group with a retention', () => {
      // Prepare
      const logGroups = resources('AWS::Logs::LogGroup');
      for (const handler of handlers) {
        const fn = resources('AWS::Lambda::Function')[functionId(handler)]!;
        const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
        // Assess
        expect(environmentOf(handler)).toMatchObject({
          TABLE_NAME: { Ref: expect.stringMatching(/^Table/) },
          POWERTOOLS_SERVICE_NAME: 'winback',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          POWERTOOLS_METRICS_NAMESPACE: 'Winback',
        });
        expect(logGroups[logGroupId]!.Properties.RetentionInDays).toBe(90);
      }
    });

    it('passes secrets as Secrets Manager ARNs, never as values', () => {
      // Prepare
      const secretArn = (prefix: string) => ({ Ref: expect.stringMatching(new RegExp(`^${prefix}`)) });
      // Assess
      expect(environmentOf('webhook-shopify')).toMatchObject({ SHOPIFY_WEBHOOK_SECRET_ARN: secretArn('ShopifyWebhookSecret') });
      expect(environmentOf('webhook-woocommerce')).toMatchObject({ WOOCOMMERCE_WEBHOOK_SECRET_ARN: secretArn('WooCommerceWebhookSecret') });
      expect(environmentOf('webhook-generic')).toMatchObject({ WEBHOOK_SECRET_ARN: secretArn('GenericWebhookSecret') });
      expect(environmentOf('admin-api')).toMatchObject({
        WINBACK_ADMIN_TOKEN_ARN: secretArn('AdminToken'),
        UNSUBSCRIBE_SECRET_ARN: secretArn('UnsubscribeSigningKey'),
      });
      for (const handler of ['night-start', 'segment-worker', 'night-finish', 'send-worker', 'scheduled-sender', 'unsubscribe', 'feedback']) {
        expect(environmentOf(handler)).toMatchObject({ UNSUBSCRIBE_SECRET_ARN: secretArn('UnsubscribeSigningKey') });
      }
      for (const handler of handlers) {
        const names = Object.keys(environmentOf(handler));
        expect(names.filter((name) => /SECRET|TOKEN/.test(name) && !name.endsWith('_ARN'))).toEqual([]);
      }
      for (const [id, secret] of Object.entries(resources('AWS::SecretsManager::Secret'))) {
        // Generated by Secrets Manager, or (the generic webhook's whsec_ form) joined from a dynamic reference to a
        // generated seed: never a value written in the template.
        if (secret.Properties.SecretString === undefined) expect(secret.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 64 });
        else
          expect(secret.Properties.SecretString, id).toEqual({
            'Fn::Join': ['', ['whsec_{{resolve:secretsmanager:', refTo('GenericWebhookSecretSeed'), ':SecretString:::}}']],
          });
      }
    });

    it('tells the senders the configuration set, the link base and their pace, and the night the send queue', () => {
      // Assess
      const sending = {
        SES_CONFIGURATION_SET: { Ref: expect.stringMatching(/^EmailConfigurationSet/) },
        UNSUBSCRIBE_BASE_URL: 'https://fietsen.example/links',
      };
      expect(environmentOf('scheduled-sender')).toMatchObject({ ...sending, SEND_CONCURRENCY: '6' });
      // Two senders at 90% of the account's 14 emails a second.
      expect(environmentOf('send-worker')).toMatchObject({ ...sending, SEND_RATE_PER_SECOND: '6.3' });
      for (const handler of ['night-start', 'segment-worker', 'night-finish']) {
        expect(environmentOf(handler)).toMatchObject({ UNSUBSCRIBE_BASE_URL: 'https://fietsen.example/links', SEND_QUEUE_URL: refTo('SendQueue') });
      }
      expect(environmentOf('admin-api')).toMatchObject({ UNSUBSCRIBE_BASE_URL: 'https://fietsen.example/links' });
    });

    it('retains the unsubscribe signing key: replacing it would break every link already sent', () => {
      // Assess
      synthesized.template.hasResource('AWS::SecretsManager::Secret', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({ Description: Match.stringLikeRegexp('unsubscribe') }),
      });
    });
  });

  describe('the night and the due sends', () => {
    it('starts the night at the configured hour in the shop time zone, with retries and a dead-letter queue', () => {
      // Assess
      synthesized.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(0 4 * * ? *)',
        ScheduleExpressionTimezone: 'Europe/Amsterdam',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Target: {
          Arn: ref('NightStateMachine'),
          RoleArn: Match.anyValue(),
          Input: '{"source":"winback.schedule","asOf":"<aws.scheduler.scheduled-time>"}',
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: { Arn: arnOf('NightFailures') },
        },
      });
    });

    it('runs the sender every 5 minutes up to the scheduled time, with its own dead-letter queue', () => {
      // Assess
      synthesized.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(5 minutes)',
        Target: {
          Arn: { 'Fn::GetAtt': [functionId('scheduled-sender'), 'Arn'] },
          RoleArn: Match.anyValue(),
          Input: '{"source":"winback.schedule","upTo":"<aws.scheduler.scheduled-time>"}',
          RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }),
          DeadLetterConfig: { Arn: arnOf('SenderFailures') },
        },
      });
      // The sender finishes before the next tick, so ticks rarely overlap.
      expect(resources('AWS::Lambda::Function')[functionId('scheduled-sender')]!.Properties.Timeout).toBeLessThan(300);
    });

    it('lets each schedule start only its own target', () => {
      // Prepare
      const roles = Object.values(resources('AWS::Scheduler::Schedule')).map(
        (schedule) => (schedule.Properties.Target as { RoleArn: { 'Fn::GetAtt': [string, string] } }).RoleArn['Fn::GetAtt'][0],
      );
      const statementsOfRole = (roleId: string) =>
        Object.values(resources('AWS::IAM::Policy'))
          .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
          .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
      // Assess
      expect(new Set(roles).size).toBe(2);
      const nightRole = roles.find((roleId) => JSON.stringify(statementsOfRole(roleId)).includes('states:StartExecution'))!;
      const senderRole = roles.find((roleId) => roleId !== nightRole)!;
      const start = statementsOfRole(nightRole).filter((statement) => actionsOf(statement).includes('states:StartExecution'));
      expect(start).toEqual([{ Effect: 'Allow', Action: 'states:StartExecution', Resource: refTo('NightStateMachine') }]);
      const invoke = statementsOfRole(senderRole).filter((statement) => actionsOf(statement).includes('lambda:InvokeFunction'));
      expect(invoke).toEqual([{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [functionId('scheduled-sender'), 'Arn'] } }]);
    });

    it('fans the night out: start, a Map over the segments with each worker looped on its cursor and retried, then finish', () => {
      // Prepare: the definition with each function reference replaced by its handler's folder
      const [machine] = Object.values(resources('AWS::StepFunctions::StateMachine'));
      const parts = (machine!.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
      const folderOf = (part: unknown) => handlers.find((handler) => JSON.stringify(part).includes(functionId(handler))) ?? 'token';
      const definition = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : folderOf(part))).join('')) as {
        StartAt: string;
        States: Record<
          string,
          {
            Type: string;
            Next?: string;
            Resource?: string;
            Parameters?: Record<string, unknown>;
            Retry?: unknown[];
            Catch?: { Next: string }[];
            ItemsPath?: string;
            MaxConcurrency?: number;
            ItemProcessor?: {
              StartAt: string;
              States: Record<
                string,
                {
                  Type: string;
                  Next?: string;
                  Resource?: string;
                  Parameters?: Record<string, unknown>;
                  Retry?: { ErrorEquals: string[]; MaxAttempts: number; JitterStrategy?: string }[];
                  Choices?: { Variable: string; IsPresent: boolean; Next: string }[];
                  Default?: string;
                }
              >;
            };
          }
        >;
      };
      // A task that returns only the function's payload names the function as its Resource.
      const functionOf = (state: { Resource?: string }) => state.Resource;
      // Assess
      expect(machine!.Properties).toMatchObject({ TracingConfiguration: { Enabled: true }, LoggingConfiguration: { Level: 'ALL' } });
      const start = definition.States[definition.StartAt]!;
      expect(functionOf(start)).toBe('night-start');
      const map = definition.States[start.Next!]!;
      expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.night.segments', MaxConcurrency: 20, ResultPath: null });
      const processor = map.ItemProcessor!;
      const worker = processor.States[processor.StartAt]!;
      expect(functionOf(worker)).toBe('segment-worker');
      expect(worker.Retry).toEqual(expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['States.ALL'], MaxAttempts: 3, JitterStrategy: 'FULL' })]));
      const loop = processor.States[worker.Next!]!;
      expect(loop.Choices).toEqual([{ Variable: '$.cursor', IsPresent: true, Next: processor.StartAt }]);
      expect(processor.States[loop.Default!]!.Type).toBe('Succeed');
      const finish = definition.States[map.Next!]!;
      expect(functionOf(finish)).toBe('night-finish');
      // The report follows the finished night once the send queue has settled (a Wait loop asking SQS, whose
      // details test/infra/local-workflow.test.ts checks); its failure is caught, so the night still succeeds.
      const passed: string[] = [];
      let next = finish.Next;
      while (next !== undefined && functionOf(definition.States[next]!) !== 'report-builder' && !passed.includes(next)) {
        passed.push(next);
        const state = definition.States[next]! as { Next?: string; Default?: string; Choices?: { Next: string }[] };
        next = state.Next ?? state.Choices?.find((choice) => functionOf(definition.States[choice.Next]!) === 'report-builder')?.Next ?? state.Default;
      }
      expect(passed.map((name) => definition.States[name]!.Type)).toEqual(expect.arrayContaining(['Wait', 'Task', 'Choice']));
      expect(passed.map((name) => functionOf(definition.States[name]!))).toContainEqual(expect.stringMatching(/:states:::aws-sdk:sqs:getQueueAttributes$/));
      const buildReport = definition.States[next!]!;
      expect(functionOf(buildReport)).toBe('report-builder');
      // It holds the whole history's ledger entries: 2 GB fails after 1.0 to 3.3 million of them (npm run bench:report).
      expect(resources('AWS::Lambda::Function')[functionId('report-builder')]!.Properties.MemorySize).toBeGreaterThanOrEqual(4096);
      expect(buildReport.Parameters).toMatchObject({ 'runId.$': '$.runId' });
      expect(buildReport.Retry).toEqual(expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['States.ALL'], MaxAttempts: 3 })]));
      expect(definition.States[buildReport.Catch![0]!.Next]!.Type).toBe('Pass');
      const failNight = definition.States[map.Catch![0]!.Next]!;
      expect(functionOf(failNight)).toBe('night-finish');
      expect(failNight.Parameters).toMatchObject({ 'error.$': '$.failure' });
      expect(definition.States[failNight.Next!]!.Type).toBe('Fail');
    });

    it("sends through a queue with a dead-letter queue, consumed by a sender whose concurrency keeps under SES's rate", () => {
      // Assess
      synthesized.template.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: 360,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: arnOf('SendFailures'), maxReceiveCount: 5 },
      });
      synthesized.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: functionId('send-worker') },
        EventSourceArn: arnOf('SendQueue'),
        BatchSize: 25,
        ScalingConfig: { MaximumConcurrency: 2 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      // Six times the sender's timeout, so no second sender gets a batch the first still works on.
      expect(resources('AWS::Lambda::Function')[functionId('send-worker')]!.Properties.Timeout).toBe(60);
      const enqueues = (handler: string) =>
        statementsOfFunction(synthesized, handler).some(
          (statement) => actionsOf(statement).includes('sqs:SendMessage') && JSON.stringify(statement.Resource).includes('"SendQueue'),
        );
      // The scheduled sender hands due sends to the queue too: its sender is the one caller of SES.
      expect(handlers.filter(enqueues)).toEqual(['segment-worker', 'scheduled-sender']);
    });
  });

  describe('the HTTP API', () => {
    it('wires every route to its function, and no other route exists', () => {
      // Prepare
      const routes = Object.values(resources('AWS::ApiGatewayV2::Route'));
      const integrations = resources('AWS::ApiGatewayV2::Integration');
      const targetOf = (routeKey: string) => {
        const route = routes.find((candidate) => candidate.Properties.RouteKey === routeKey);
        if (!route) return undefined;
        const integrationId = JSON.stringify(route.Properties.Target).match(/"Ref":"([^"]+)"/)?.[1];
        return integrations[integrationId!]!.Properties;
      };
      // Assess
      expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(expectedRoutes.map((route) => route.routeKey).sort());
      for (const { routeKey, handler } of expectedRoutes) {
        expect(targetOf(routeKey), routeKey).toMatchObject({
          IntegrationType: 'AWS_PROXY',
          PayloadFormatVersion: '2.0',
          IntegrationUri: { 'Fn::GetAtt': [functionId(handler), 'Arn'] },
        });
      }
    });

    it('gives every routed function less time than API Gateway waits, and the admin API the time its local server gives it', () => {
      // Prepare
      const functions = resources('AWS::Lambda::Function');
      const apiGatewayWaitsSeconds = 30;
      // Assess: a function that outlived the gateway would finish work nobody hears of (a preview answers in time)
      for (const handler of new Set(expectedRoutes.map((route) => route.handler))) {
        expect(functions[functionId(handler)]!.Properties.Timeout, handler).toBeLessThan(apiGatewayWaitsSeconds);
      }
      expect(functions[functionId('admin-api')]!.Properties.Timeout).toBe(adminApiTimeoutSeconds);
    });

    it('puts the Cognito JWT authorizer on every admin route and on no webhook or token route', () => {
      // Prepare
      const [authorizerId, authorizer] = Object.entries(resources('AWS::ApiGatewayV2::Authorizer'))[0]!;
      const routes = Object.values(resources('AWS::ApiGatewayV2::Route'));
      // Assess
      expect(authorizer.Properties).toMatchObject({
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: { Audience: [refTo('HttpMarketersConsole')], Issuer: expect.anything() },
      });
      expect(JSON.stringify(authorizer.Properties.JwtConfiguration)).toContain('cognito-idp');
      for (const { routeKey, authorized } of expectedRoutes) {
        const route = routes.find((candidate) => candidate.Properties.RouteKey === routeKey)!.Properties;
        if (authorized) expect(route, routeKey).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
        else expect(route.AuthorizationType ?? 'NONE', routeKey).toBe('NONE');
      }
    });

    it('keeps the marketers pool invitation-only, with MFA and a strong password policy', () => {
      // Assess
      synthesized.template.hasResourceProperties('AWS::Cognito::UserPool', {
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        MfaConfiguration: 'ON',
        EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
        Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireSymbols: true }) },
      });
      synthesized.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
        GenerateSecret: false,
        ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        // The console's hosted login: the code flow only (with PKCE in the page), back to the console itself.
        AllowedOAuthFlows: ['code'],
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthScopes: ['openid', 'email'],
        CallbackURLs: [{ 'Fn::Join': ['', [Match.anyValue(), '/']] }],
      });
      synthesized.template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: { 'Fn::Join': ['-', ['winback', { Ref: 'AWS::AccountId' }]] } });
    });

    it('throttles the default stage and writes JSON access logs that name the route, never the tokened path', () => {
      // Prepare
      const stage = Object.values(resources('AWS::ApiGatewayV2::Stage'))[0]!.Properties;
      const format = JSON.parse((stage.AccessLogSettings as { Format: string }).Format) as Record<string, string>;
      // Assess
      expect(stage).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
        AccessLogSettings: { DestinationArn: arnTo('HttpAccessLogs') },
      });
      expect(format).toMatchObject({ requestId: '$context.requestId', routeKey: '$context.routeKey', status: '$context.status' });
      expect(Object.values(format).filter((variable) => /\$context\.(path|resourcePath)\b/.test(variable))).toEqual([]);
    });
  });

  describe('email', () => {
    it('publishes every SES event type to the default event bus through the configuration set', () => {
      // Assess
      synthesized.template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
        ConfigurationSetName: ref('EmailConfigurationSet'),
        EventDestination: {
          Enabled: true,
          EventBridgeDestination: { EventBusArn: { 'Fn::Join': ['', Match.arrayWith([':event-bus/default'])] } },
          MatchingEventTypes: Match.arrayEquals([
            'send',
            'delivery',
            'bounce',
            'complaint',
            'open',
            'click',
            'reject',
            'deliveryDelay',
            'renderingFailure',
            'subscription',
          ]),
        },
      });
    });

    it('routes aws.ses events of our configuration set, all ten detail-types, to the events function with retries and a DLQ', () => {
      // Assess
      expect(sesDetailTypes).toHaveLength(10);
      synthesized.template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.ses'],
          'detail-type': [
            'Email Sent',
            'Email Delivered',
            'Email Bounced',
            'Email Complaint Received',
            'Email Opened',
            'Email Clicked',
            'Email Rejected',
            'Email Delivery Delayed',
            'Email Rendering Failed',
            'Email Subscribed',
          ],
          detail: { mail: { tags: { 'ses:configuration-set': [ref('EmailConfigurationSet')] } } },
        },
        Targets: [
          {
            Id: Match.anyValue(),
            Arn: { 'Fn::GetAtt': [functionId('email-events'), 'Arn'] },
            RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 },
            DeadLetterConfig: { Arn: arnOf('EmailEventFailures') },
          },
        ],
      });
      // The function's own failures (EventBridge invokes it asynchronously) go to the same queue.
      synthesized.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: functionId('email-events') },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: arnOf('EmailEventFailures') } },
      });
    });

    it("lets only the send queue's sender send, and only as the identity through the configuration set", () => {
      // Prepare
      const sesStatements = (handler: string) =>
        statementsOfFunction(synthesized, handler).filter((statement) => actionsOf(statement).some((action) => action.startsWith('ses:')));
      // Assess
      for (const handler of ['send-worker']) {
        const [statement, ...others] = sesStatements(handler);
        expect(others).toEqual([]);
        expect(statement).toMatchObject({ Effect: 'Allow', Action: 'ses:SendEmail' });
        expect(statement!.Resource).toHaveLength(2);
        expect(statement!.Resource).toEqual(
          expect.arrayContaining([
            {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':identity/fietsen.example'],
              ],
            },
            {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':ses:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':configuration-set/',
                  refTo('EmailConfigurationSet'),
                ],
              ],
            },
          ]),
        );
      }
      // The scheduled sender too: it hands due sends to the send queue and never calls SES.
      for (const handler of handlers.filter((name) => name !== 'send-worker')) {
        expect(sesStatements(handler), handler).toEqual([]);
      }
    });
  });

  describe('least privilege', () => {
    it('grants no wildcard action anywhere, and "*" resources only for X-Ray and log delivery, which have no resource-level permissions', () => {
      // Prepare
      const statements = Object.values(resources('AWS::IAM::Policy')).flatMap(
        (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
      );
      const noResourceLevel =
        /^(xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)|logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups))$/;
      // Assess
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) {
        for (const action of actionsOf(statement)) expect(action).not.toMatch(/\*/);
        if ([statement.Resource].flat().includes('*')) for (const action of actionsOf(statement)) expect(action).toMatch(noResourceLevel);
      }
    });

    it('attaches no AWS managed policy to any role', () => {
      // Assess
      for (const role of Object.values(resources('AWS::IAM::Role'))) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it("lets only the night, the admin API and the report builder scan the sparse indexes, and only the report's readers the table", () => {
      // Prepare
      const scanners = handlers.filter((handler) =>
        statementsOfFunction(synthesized, handler).some((statement) => actionsOf(statement).includes('dynamodb:Scan')),
      );
      const scan = statementsOfFunction(synthesized, 'segment-worker').filter((statement) => actionsOf(statement).includes('dynamodb:Scan'));
      // Assess
      expect(scanners.sort()).toEqual(['admin-api', 'night-start', 'report-builder', 'segment-worker']);
      expect(scan).toHaveLength(1);
      expect(actionsOf(scan[0]!)).toEqual(['dynamodb:Scan']);
      expect(scan[0]!.Resource).toEqual(
        [customerScanIndex.name, messageIndex.name].map((index) => ({ 'Fn::Join': ['', [arnTo('Table'), `/index/${index}`]] })),
      );
      const tableScanners = handlers.filter((handler) =>
        statementsOfFunction(synthesized, handler).some(
          (statement) =>
            actionsOf(statement).includes('dynamodb:Scan') &&
            [statement.Resource].flat().some((resource) => /^\{"Fn::GetAtt":\["Table[0-9A-F]{8}","Arn"\]\}$/.test(JSON.stringify(resource))),
        ),
      );
      expect(tableScanners.sort()).toEqual(['admin-api', 'report-builder']);
      const reportScan = statementsOfFunction(synthesized, 'report-builder').filter((statement) => actionsOf(statement).includes('dynamodb:Scan'));
      expect(reportScan.map((statement) => statement.Resource)).toEqual([
        [arnTo('Table'), { 'Fn::Join': ['', [arnTo('Table'), `/index/${customerScanIndex.name}`]] }],
      ]);
    });

    it('lets only the night and the preview query the sent-nights index', () => {
      // Prepare
      const indexUsers = handlers.filter((handler) => JSON.stringify(statementsOfFunction(synthesized, handler)).includes(`/index/${sentNightIndex.name}`));
      const query = statementsOfFunction(synthesized, 'night-start').filter((statement) =>
        JSON.stringify(statement.Resource).includes(`/index/${sentNightIndex.name}`),
      );
      // Assess
      expect(indexUsers.sort()).toEqual(['admin-api', 'night-start', 'segment-worker']);
      expect(query).toHaveLength(1);
      expect(actionsOf(query[0]!)).toEqual(['dynamodb:Query']);
      expect(query[0]!.Resource).toEqual({ 'Fn::Join': ['', [arnTo('Table'), `/index/${sentNightIndex.name}`]] });
    });

    it('lets the events function query the messages index to find a send, and only the night and preview scan it', () => {
      // Prepare
      const indexUsers = handlers.filter((handler) => JSON.stringify(statementsOfFunction(synthesized, handler)).includes(`/index/${messageIndex.name}`));
      const query = statementsOfFunction(synthesized, 'email-events').find((statement) =>
        JSON.stringify(statement.Resource).includes(`/index/${messageIndex.name}`),
      )!;
      // Assess
      expect(indexUsers.sort()).toEqual(['admin-api', 'email-events', 'night-start', 'segment-worker']);
      expect(actionsOf(query)).toEqual(['dynamodb:Query']);
    });

    it('lets each function read only the secrets it uses', () => {
      // Prepare
      const secretsOf = (handler: string) =>
        statementsOfFunction(synthesized, handler)
          .filter((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'))
          .flatMap((statement) => [statement.Resource].flat() as { Ref: string }[])
          .map((resource) => resource.Ref.replace(/[0-9A-F]{8}$/, ''))
          .sort();
      // Assess
      expect(Object.fromEntries(handlers.map((handler) => [handler, secretsOf(handler)]))).toEqual({
        'night-start': ['UnsubscribeSigningKey'],
        'segment-worker': ['UnsubscribeSigningKey'],
        'night-finish': ['UnsubscribeSigningKey'],
        'send-worker': ['UnsubscribeSigningKey'],
        'scheduled-sender': ['UnsubscribeSigningKey'],
        'email-events': [],
        'webhook-shopify': ['ShopifyWebhookSecret'],
        'webhook-woocommerce': ['WooCommerceWebhookSecret'],
        'webhook-generic': ['GenericWebhookSecret'],
        unsubscribe: ['UnsubscribeSigningKey'],
        feedback: ['UnsubscribeSigningKey'],
        'admin-api': ['AdminToken', 'UnsubscribeSigningKey'],
        console: [],
        'report-builder': [],
      });
    });

    it('scopes every function to its own log group and the table, with no table-wide admin actions', () => {
      for (const handler of handlers) {
        // Prepare
        const statements = statementsOfFunction(synthesized, handler);
        const logs = statements.find((statement) => actionsOf(statement).includes('logs:PutLogEvents'))!;
        const ownLogGroup = (resources('AWS::Lambda::Function')[functionId(handler)]!.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
        const actions = statements.flatMap(actionsOf);
        // Assess
        expect(logs.Resource, handler).toEqual({ 'Fn::GetAtt': [ownLogGroup, 'Arn'] });
        if (handler === 'console')
          expect(
            actions.filter((action) => action.startsWith('dynamodb:')),
            handler,
          ).toEqual([]);
        else expect(actions, handler).toContain('dynamodb:PutItem');
        expect(
          actions.filter((action) => /dynamodb:(CreateTable|DeleteTable|UpdateTable|UpdateTimeToLive)/.test(action)),
          handler,
        ).toEqual([]);
      }
    });
  });

  describe('observability', () => {
    it('alarms on every dead-letter queue as soon as one message waits', () => {
      // Prepare
      const queueIds = Object.keys(resources('AWS::SQS::Queue')).filter((id) => !id.startsWith('SendQueue'));
      // Assess
      expect(queueIds.map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['EmailEventFailures', 'NightFailures', 'SendFailures', 'SenderFailures']);
      for (const queueId of queueIds) {
        synthesized.template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
        synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: 1,
        });
      }
    });

    it('alarms on a failed night, webhook 5xx, bounces at 2% and complaints at 0.08%', () => {
      // Assess
      expect(reputationThresholds).toEqual({ bounceRate: 0.02, complaintRate: 0.0008 });
      synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: Match.arrayWith([
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: { Namespace: 'AWS/States', MetricName: 'ExecutionsFailed', Dimensions: [{ Name: 'StateMachineArn', Value: ref('NightStateMachine') }] },
            }),
          }),
        ]),
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'Winback',
        MetricName: 'SendingStopped',
        Dimensions: [{ Name: 'service', Value: 'winback' }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SendQueue'), 'QueueName'] } }],
        Threshold: 3_600,
      });
      synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/ApiGateway',
        MetricName: '5xx',
        Dimensions: [{ Name: 'ApiId', Value: ref('HttpApi') }],
        Statistic: 'Sum',
        Threshold: 1,
      });
      synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SES',
        MetricName: 'Reputation.BounceRate',
        Threshold: 0.02,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      synthesized.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SES',
        MetricName: 'Reputation.ComplaintRate',
        Threshold: 0.0008,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    });

    it('notifies the alarm email through an SSL-only topic from every alarm', () => {
      // Prepare
      const topicId = Object.keys(resources('AWS::SNS::Topic'))[0]!;
      const alarms = Object.values(resources('AWS::CloudWatch::Alarm'));
      // Assess
      // One per dead-letter queue (4), the night, the report after it, stuck sends, SES stopping the sending, API 5xx, bounce and complaint rates.
      expect(alarms).toHaveLength(4 + 7);
      for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      synthesized.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@fietsen.example', TopicArn: { Ref: topicId } });
      synthesized.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
          ]),
        },
      });
    });

    it('has a dashboard', () => {
      // Assess
      synthesized.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    });
  });

  describe('cdk-nag', () => {
    it('reports no finding, error or warning, that is not acknowledged', () => {
      // Prepare
      const report = validationReport(synthesized.assembly);
      // Assess
      expect(report.pluginReports.flatMap((plugin) => plugin.violations.map((violation) => `${plugin.pluginName}: ${violation.ruleName}`))).toEqual([]);
    });
  });
});

describe("WinbackStack with coupon codes made in the shop's platform", () => {
  const existingSecret = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/woocommerce-key-AbC123';
  let shopify: Synthesized;
  let woocommerce: Synthesized;
  const environmentIn = (synthesized: Synthesized, handler: string) =>
    (
      (synthesized.template.findResources('AWS::Lambda::Function') as Record<string, Resource>)[logicalIdOfFunction(synthesized, handler)]!.Properties
        .Environment as { Variables: Record<string, unknown> }
    ).Variables;
  /** Each function's readable secrets: a created one by its logical id's prefix, an existing one by its ARN. */
  const secretsIn = (synthesized: Synthesized) =>
    Object.fromEntries(
      handlers.map((handler) => [
        handler,
        statementsOfFunction(synthesized, handler)
          .filter((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'))
          .flatMap((statement) => [statement.Resource].flat() as (string | { Ref: string })[])
          .map((resource) => (typeof resource === 'string' ? resource : resource.Ref.replace(/[0-9A-F]{8}$/, '')))
          .sort(),
      ]),
    );
  const platformFunctions = ['night-finish', 'segment-worker', 'send-worker'];

  beforeAll(() => {
    // Prepare + Act
    shopify = synthWinback({ couponPlatform: 'shopify', shopifyDomain: 'Fietsen-Co.myshopify.com' }, { bundle: false });
    woocommerce = synthWinback(
      { couponPlatform: 'woocommerce', woocommerceUrl: 'https://fietsen.example/', couponCredentialsSecretArn: existingSecret },
      { bundle: false },
    );
  });

  afterAll(() => {
    for (const synthesized of [shopify, woocommerce]) if (synthesized) rmSync(synthesized.assembly.directory, { recursive: true, force: true });
  });

  it('gives the functions that create or remove codes the credentials as an ARN and the one shop they belong to', () => {
    // Assess
    for (const handler of platformFunctions) {
      expect(environmentIn(shopify, handler), handler).toMatchObject({
        SHOPIFY_ADMIN_TOKEN_ARN: { Ref: expect.stringMatching(/^ShopifyAdminToken/) },
        SHOPIFY_SHOP_DOMAIN: 'fietsen-co.myshopify.com',
      });
      expect(environmentIn(woocommerce, handler), handler).toMatchObject({
        WOOCOMMERCE_CREDENTIALS_ARN: existingSecret,
        WOOCOMMERCE_SITE_URL: 'https://fietsen.example',
      });
    }
    const elsewhere = handlers.filter((handler) => !platformFunctions.includes(handler));
    for (const synthesized of [shopify, woocommerce]) {
      for (const handler of elsewhere)
        expect(
          Object.keys(environmentIn(synthesized, handler)).filter((name) => /^(SHOPIFY_(ADMIN|SHOP)|WOOCOMMERCE_(CREDENTIALS|SITE))/.test(name)),
          handler,
        ).toEqual([]);
    }
  });

  it("lets each function read only the secrets it uses: the platform's credentials only where codes are made or removed", () => {
    // Prepare
    const withoutPlatform = {
      'night-start': ['UnsubscribeSigningKey'],
      'scheduled-sender': ['UnsubscribeSigningKey'],
      'email-events': [],
      'webhook-shopify': ['ShopifyWebhookSecret'],
      'webhook-woocommerce': ['WooCommerceWebhookSecret'],
      'webhook-generic': ['GenericWebhookSecret'],
      unsubscribe: ['UnsubscribeSigningKey'],
      feedback: ['UnsubscribeSigningKey'],
      'admin-api': ['AdminToken', 'UnsubscribeSigningKey'],
      console: [],
      'report-builder': [],
    };
    // Assess
    expect(secretsIn(shopify)).toEqual({
      ...withoutPlatform,
      ...Object.fromEntries(platformFunctions.map((handler) => [handler, ['ShopifyAdminToken', 'UnsubscribeSigningKey']])),
    });
    expect(secretsIn(woocommerce)).toEqual({
      ...withoutPlatform,
      ...Object.fromEntries(platformFunctions.map((handler) => [handler, [existingSecret, 'UnsubscribeSigningKey'].sort()])),
    });
    for (const synthesized of [shopify, woocommerce]) {
      const reads = Object.values(synthesized.template.findResources('AWS::IAM::Policy') as Record<string, Resource>)
        .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
        .filter((statement) => actionsOf(statement).some((action) => action.startsWith('secretsmanager:')));
      // Exactly the secret, never a name pattern or a wildcard.
      expect(reads.flatMap((statement) => [statement.Resource].flat()).filter((resource) => JSON.stringify(resource).includes('*'))).toEqual([]);
    }
  });

  it("creates the Shopify token's secret holding only a generated placeholder, and creates none when an existing one is named", () => {
    // Prepare
    const secrets = (synthesized: Synthesized) =>
      Object.keys(synthesized.template.findResources('AWS::SecretsManager::Secret'))
        .map((id) => id.replace(/[0-9A-F]{8}$/, ''))
        .sort();
    // Assess
    shopify.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('fietsen-co\\.myshopify\\.com'),
      GenerateSecretString: Match.objectLike({
        PasswordLength: 64,
        GenerateStringKey: 'placeholder',
        SecretStringTemplate: Match.stringLikeRegexp('replaceWith'),
      }),
    });
    expect(secrets(shopify)).toContain('ShopifyAdminToken');
    expect(secrets(woocommerce).filter((id) => /WooCommerceCredentials|ShopifyAdminToken/.test(id))).toEqual([]);
    expect(shopify.template.findOutputs('CouponCredentialsArn')).not.toEqual({});
  });

  it('reports no cdk-nag finding that is not acknowledged', () => {
    // Assess
    for (const synthesized of [shopify, woocommerce]) {
      const report = validationReport(synthesized.assembly);
      expect(report.pluginReports.flatMap((plugin) => plugin.violations.map((violation) => `${plugin.pluginName}: ${violation.ruleName}`))).toEqual([]);
    }
  });
});
