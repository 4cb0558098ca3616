import { readFileSync } from 'node:fs';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { formatLocalWorkflow, type LocalWorkflow, localWorkflowFile, synthesizeLocalWorkflow } from '../../infra/local-workflow.js';
import { WinbackNight } from '../../infra/night.js';
import { nightConcurrency, readSettings } from '../../infra/settings.js';
import { segmentsFor } from '../../lib/usecases/run-night.js';
import { appWith } from './synth.js';

type State = {
  Type: string;
  Next?: string;
  Default?: string;
  Choices?: Record<string, unknown>[];
  Seconds?: number;
  Parameters?: Record<string, unknown>;
  Catch?: { Next: string }[];
  Retry?: { ErrorEquals: string[]; IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number; MaxDelaySeconds?: number; JitterStrategy?: string }[];
  TimeoutSeconds?: number;
  Resource?: string;
  ItemProcessor?: { States: Record<string, State> };
  MaxConcurrency?: number;
};

const generated = JSON.parse(readFileSync(localWorkflowFile, 'utf8')) as LocalWorkflow;
const states = generated.definition.States as Record<string, State>;
const segmentStates = states.Segments!.ItemProcessor!.States;
const allTasks = Object.entries({ ...states, ...segmentStates }).filter(([, state]) => state.Type === 'Task' && state.Resource!.includes(':lambda:'));

/** The night construct alone, on placeholder functions: its definition without synthesizing the whole app. */
function nightDefinition(context: Record<string, unknown>): Record<string, State> {
  const app = appWith(context);
  const stack = new Stack(app, 'NightOnly');
  const fn = (id: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('export const handler = async () => ({})'),
      timeout: Duration.minutes(1),
    });
  new WinbackNight(stack, 'Night', {
    start: fn('Start'),
    segmentWorker: fn('Worker'),
    finish: fn('Finish'),
    report: fn('Report'),
    maxConcurrency: nightConcurrency(readSettings(app)),
    sendQueue: new sqs.Queue(stack, 'Queue'),
  });
  const machine = Object.values(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'))[0] as {
    Properties: { DefinitionString: { 'Fn::Join': [string, unknown[]] } };
  };
  const text = machine.Properties.DefinitionString['Fn::Join'][1]
    .map((part) => (typeof part === 'string' ? part : 'arn:aws:lambda:eu-west-1:000000000000:function:x'))
    .join('');
  return (JSON.parse(text) as { States: Record<string, State> }).States;
}

describe('the night workflow the local runner executes', () => {
  it('is what the CDK app synthesizes (run `npm run workflow:extract` after changing infra)', async () => {
    // Act
    const synthesized = await synthesizeLocalWorkflow();

    // Assess
    expect(readFileSync(localWorkflowFile, 'utf8')).toBe(formatLocalWorkflow(synthesized));
  }, 180_000);

  it('invokes each task with the function its Resource names, and plays the send queue as its event source mapping says', () => {
    // Assess
    expect(Object.fromEntries(allTasks.map(([name, state]) => [name, state.Resource!.split(':').at(-1)]))).toEqual({
      StartNight: 'night-start',
      ScoreSegment: 'segment-worker',
      FinishNight: 'night-finish',
      BuildReport: 'report-builder',
      FailNight: 'night-finish',
    });
    expect(generated.sendQueue).toMatchObject({ consumer: 'send-worker', batchSize: 25, reportBatchItemFailures: true, maxReceiveCount: 5 });
  });
});

describe('the report after the night', () => {
  it('is built once the send queue is empty, checked every 5 minutes, or after 72 checks whatever the queue says', () => {
    // Assess: FinishNight -> AwaitSends -> WaitForSends -> SendsPending -> CountSendsCheck -> SendsSettled?
    expect(states.FinishNight!.Next).toBe('AwaitSends');
    expect(states.AwaitSends!.Next).toBe('WaitForSends');
    expect(states.WaitForSends).toMatchObject({ Type: 'Wait', Seconds: 300, Next: 'SendsPending' });
    expect(states.SendsPending).toMatchObject({ Resource: 'arn:aws:states:::aws-sdk:sqs:getQueueAttributes', Next: 'CountSendsCheck' });
    expect(states.SendsPending!.Parameters).toMatchObject({ QueueUrl: generated.sendQueue.url });
    expect(states.SendsPending!.Catch!.map((caught) => caught.Next)).toEqual(['BuildReport']);
    const settled = states['SendsSettled?']!;
    expect(settled.Default).toBe('WaitForSends');
    expect(settled.Choices).toEqual([
      {
        And: [
          { Variable: '$.sendsWait.queue.visible', StringEquals: '0' },
          { Variable: '$.sendsWait.queue.inFlight', StringEquals: '0' },
          { Variable: '$.sendsWait.queue.delayed', StringEquals: '0' },
        ],
        Next: 'BuildReport',
      },
      { Variable: '$.sendsWait.checks', NumericGreaterThanEquals: 72, Next: 'BuildReport' },
    ]);
  });
});

describe('the night on an ordinary AWS account', () => {
  it("retries Lambda throttling and service errors for hours with backoff before the function's own errors, on every task", () => {
    // Assess
    for (const [name, state] of allTasks) {
      const [service, own, ...others] = state.Retry!;
      expect(others, name).toEqual([]);
      expect(service, name).toEqual({
        ErrorEquals: expect.arrayContaining([
          'Lambda.TooManyRequestsException',
          'Lambda.ServiceException',
          'Lambda.AWSLambdaException',
          'Lambda.SdkClientException',
        ]),
        IntervalSeconds: 30,
        BackoffRate: 2,
        MaxDelaySeconds: 600,
        MaxAttempts: 20,
        JitterStrategy: 'FULL',
      });
      expect(own, name).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 3 });
      // Without jitter, the waits add up to more than two hours: a throttled segment waits, the night goes on.
      const waits = Array.from({ length: service!.MaxAttempts! }, (_, attempt) =>
        Math.min(service!.MaxDelaySeconds!, service!.IntervalSeconds! * service!.BackoffRate! ** attempt),
      );
      expect(
        waits.reduce((sum, wait) => sum + wait, 0),
        name,
      ).toBeGreaterThan(2 * 3600);
    }
  });

  it("gives each task a timeout a minute past its function's, instead of Step Functions' default of a year", () => {
    // Assess
    for (const [name, state] of allTasks) {
      const folder = state.Resource!.split(':').at(-1) as keyof LocalWorkflow['functions'];
      expect(state.TimeoutSeconds, name).toBe(generated.functions[folder]!.timeoutSeconds + 60);
    }
  });

  it("runs at most half the account's Lambda concurrency of segment workers at once", () => {
    // Act
    const newAccount = nightDefinition({ accountLambdaConcurrency: 10 });
    const ordinary = nightDefinition({});
    const capped = nightDefinition({ accountLambdaConcurrency: 5000, nightMaxConcurrency: 30 });

    // Assess
    expect(newAccount.Segments!.MaxConcurrency).toBe(5);
    expect(ordinary.Segments!.MaxConcurrency).toBe(20);
    expect(capped.Segments!.MaxConcurrency).toBe(30);
    expect(states.Segments!.MaxConcurrency).toBe(20);
  });

  it('keeps the execution history of a 10-million-customer night well under 25,000 events', () => {
    // Prepare: history events per state as Step Functions writes them for a Standard workflow
    const eventsOf = (state: State) => (state.Type === 'Task' ? 5 : state.Type === 'Map' ? 4 : 2);
    const retryEvents = 3; // TaskFailed, then TaskScheduled and TaskStarted again
    const loop = eventsOf(segmentStates.ScoreSegment!) + eventsOf(segmentStates['MoreOfSegment?']!);
    const iteration = 2 + loop + eventsOf(segmentStates.SegmentDone!); // MapIterationStarted/Succeeded around it
    const execution = 2 + ['StartNight', 'Segments', 'FinishNight', 'BuildReport'].reduce((sum, name) => sum + eventsOf(states[name]!), 0);

    // Act: every segment hands over twice (three invocations), and every invocation is retried once
    const segments = segmentsFor(10_000_000);
    const perSegment = iteration + 2 * loop + 3 * retryEvents;
    const events = execution + segments * perSegment;

    // Assess
    expect(segments).toBe(400);
    expect(events).toBeLessThan(15_000);
  });
});
