import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { customerScanIndex, messageIndex, tableKeys, ttlAttribute } from '../../lib/adapters/dynamodb/table.js';
import { readSettings } from '../../infra/settings.js';
import { WinbackStack } from '../../infra/winback-stack.js';

/** The feature flags from cdk.json, so the test synthesizes what `cdk synth` does. */
const cdkJsonContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> })
  .context;

const appWith = (context: Record<string, unknown>) => new App({ context: { ...cdkJsonContext, ...context } });

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
const actionsOf = (statement: Statement) => [statement.Action].flat();

describe('WinbackStack', () => {
  let template: Template;

  // Synthesizing bundles the handler with esbuild, so the stack is built once for the whole file.
  beforeAll(() => {
    // Prepare
    const app = appWith({
      shopName: 'Fietsen & Co',
      timeZone: 'Europe/Amsterdam',
      senderAddress: 'news@Fietsen.example',
      scheduleHour: '4',
      unsubscribeBaseUrl: 'https://fietsen.example/unsubscribe',
    });
    // Act
    const stack = new WinbackStack(app, 'Winback', { settings: readSettings(app) });
    template = Template.fromStack(stack);
  });

  it('keeps the single table with its keys, sparse customer index, TTL and safeguards', () => {
    // Assess
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: tableKeys.partition, KeyType: 'HASH' },
          { AttributeName: tableKeys.sort, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: tableKeys.partition, AttributeType: 'S' },
          { AttributeName: tableKeys.sort, AttributeType: 'S' },
          { AttributeName: customerScanIndex.partitionKey, AttributeType: 'S' },
          { AttributeName: messageIndex.partitionKey, AttributeType: 'S' },
        ]),
        GlobalSecondaryIndexes: [
          {
            IndexName: customerScanIndex.name,
            KeySchema: [{ AttributeName: customerScanIndex.partitionKey, KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: messageIndex.name,
            KeySchema: [{ AttributeName: messageIndex.partitionKey, KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
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

  it('generates and retains the unsubscribe signing key', () => {
    // Assess
    template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ GenerateSecretString: Match.objectLike({ PasswordLength: 64 }) }),
    });
  });

  it('runs the nightly coordinator on the newest Node.js, ARM64, with its configuration', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 900,
      MemorySize: 1024,
      Environment: {
        Variables: {
          TABLE_NAME: { Ref: Match.stringLikeRegexp('^Table') },
          UNSUBSCRIBE_BASE_URL: 'https://fietsen.example/unsubscribe',
          UNSUBSCRIBE_SECRET_ARN: { Ref: Match.stringLikeRegexp('^UnsubscribeSigningKey') },
          POWERTOOLS_SERVICE_NAME: 'winback',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        },
      },
    });
  });

  it('starts the night at the configured hour in the shop time zone, with retries and a dead-letter queue', () => {
    // Prepare
    const functionId = Object.keys(template.findResources('AWS::Lambda::Function'))[0];
    const queueIds = Object.keys(template.findResources('AWS::SQS::Queue'));
    // Assess
    expect(functionId).toBeDefined();
    expect(queueIds).toHaveLength(1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 4 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Amsterdam',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
        RoleArn: Match.anyValue(),
        Input: '{"source":"winback.schedule","asOf":"<aws.scheduler.scheduled-time>"}',
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueIds[0], 'Arn'] } },
      },
    });
  });

  it('sends the night to the same queue when the function fails on every attempt', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NightFailures'), 'Arn'] } } },
    });
  });

  it('grants no wildcard action and lets the function send mail only as the sender domain', () => {
    // Prepare
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
    );
    const sesStatements = statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('ses:')));
    // Assess
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      for (const action of actionsOf(statement)) expect(action).not.toMatch(/\*/);
      expect(JSON.stringify(statement.Resource)).not.toBe('"*"');
    }
    expect(sesStatements).toEqual([
      {
        Effect: 'Allow',
        Action: 'ses:SendEmail',
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':identity/fietsen.example']],
        },
      },
    ]);
  });

  it('lets the function read and write the table and its index, and read the signing key', () => {
    // Prepare
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
    );
    const tableStatement = statements.find((statement) => actionsOf(statement).includes('dynamodb:PutItem'));
    const secretStatement = statements.find((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'));
    // Assess
    expect(actionsOf(tableStatement!)).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:Scan', 'dynamodb:UpdateItem']));
    expect(JSON.stringify(tableStatement!.Resource)).toContain('/index/*');
    expect(secretStatement!.Resource).toEqual({ Ref: expect.stringMatching(/^UnsubscribeSigningKey/) });
  });
});

describe('readSettings', () => {
  it('fills in the defaults when the context is empty', () => {
    // Act
    const settings = readSettings(appWith({}));
    // Assess
    expect(settings).toEqual({
      shopName: 'My shop',
      timeZone: 'Europe/Amsterdam',
      senderAddress: 'winback@example.com',
      scheduleHour: 3,
      unsubscribeBaseUrl: 'https://winback.example.com',
      logLevel: 'INFO',
    });
  });

  it('takes numbers from cdk.json or as -c strings, and canonical time zone names', () => {
    // Act
    const fromJson = readSettings(appWith({ scheduleHour: 0, timeZone: 'america/new_york' }));
    const fromCommandLine = readSettings(appWith({ scheduleHour: '23' }));
    // Assess
    expect(fromJson).toMatchObject({ scheduleHour: 0, timeZone: 'America/New_York' });
    expect(fromCommandLine.scheduleHour).toBe(23);
  });

  it.each([
    ['scheduleHour', '24'],
    ['scheduleHour', 'three'],
    ['timeZone', 'Mars/Olympus_Mons'],
    ['senderAddress', 'not-an-address'],
    ['unsubscribeBaseUrl', 'http://insecure.example/u'],
    ['logLevel', 'chatty'],
    ['shopName', '  '],
  ])('refuses a bad %s (%j) and names the context key', (key, value) => {
    // Prepare
    const app = appWith({ [key]: value });
    // Act
    const read = () => readSettings(app);
    // Assess
    expect(read).toThrow(`context "${key}"`);
  });
});
