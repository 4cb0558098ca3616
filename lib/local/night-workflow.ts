import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { SendKey } from '../domain/sends.js';
import { EmailSendError, type EmailSender } from '../ports/email-sender.js';
import type { NightSummary } from '../ports/runs.js';
import { localLambdaContext } from './lambda-context.js';
import workflow from './night-workflow.generated.json' with { type: 'json' };
import { PlayedSendQueue, type SendQueuePlayed } from './send-queue-player.js';

/**
 * The night as AWS runs it, in this process: the state machine definition the CDK app synthesizes (extracted into
 * night-workflow.generated.json by infra/local-workflow.ts) executed by aws-local-stepfunctions, each Task state
 * backed by the real handler its Resource names, invoked with the payload Step Functions sends and a Lambda context;
 * the send queue played in process (send-queue-player.ts) into the send worker's real handler.
 */

export type HandlerName = keyof typeof workflow.functions;
type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** Thrown by a test's task fault to stand for an error of the Lambda service (not of the function): throttling, an outage. */
export class LambdaServiceError extends Error {
  constructor(
    name: 'Lambda.TooManyRequestsException' | 'Lambda.ServiceException' | 'Lambda.AWSLambdaException' | 'Lambda.SdkClientException',
    message: string,
  ) {
    super(message);
    this.name = name;
  }
}

export interface NightWorkflowOptions {
  /**
   * Runs around every Task invocation (tests: a throttle, a crash). `invoke` calls the handler, with another payload
   * when given one (tests: a second execution's state, played alongside); what this returns or throws is what Step
   * Functions sees.
   */
  readonly aroundTask?: (state: string, payload: unknown, invoke: (payload?: unknown) => Promise<unknown>) => Promise<unknown>;
  /**
   * Wraps what a handler builds at its cold start (tests: a faulty SES, a failing table). A handler builds its
   * dependencies once per container, as on Lambda: in one process, once per module instance.
   */
  readonly dependencies?: <T extends object>(handler: string, deps: T) => T;
  /**
   * The segments Map's MaxConcurrency, which infra/settings.ts derives from `nightMaxConcurrency` and the account's
   * Lambda concurrency; default the synthesized definition's.
   */
  readonly maxConcurrency?: number;
  /** Waits between retries, in ms; default 0: the definition's intervals (up to minutes on AWS) are for real outages. */
  readonly retryIntervalMs?: number;
}

export interface NightWorkflowRun {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly runId?: string;
  /** The run record the night left (its summary when it finished). */
  readonly summary?: NightSummary;
  /** Why the execution failed: the Fail state's error and cause, as Step Functions reports them. */
  readonly error?: { readonly Error: string; readonly Cause: string };
  /** How many times each state was entered (a Map's inner states once per iteration and loop). */
  readonly states: Record<string, number>;
  /** Retries of each state, by the Retry field. */
  readonly retried: Record<string, number>;
  /**
   * Milliseconds from each state's first entry to its last exit: a top-level state's own time (the Segments Map's is
   * the whole fan-out), so a slow night shows which phase was slow.
   */
  readonly stateMs: Record<string, number>;
  /**
   * Milliseconds from the execution's start to each state's first entry: `enteredAtMs.BuildReport` is the night from
   * its first state to its sends settled. The handlers' modules are loaded before the execution starts (on Lambda a
   * bundle loads in its function's init, inside the state), so this time leaves out compiling them here.
   */
  readonly enteredAtMs: Record<string, number>;
  /** The send queue: what was put on it, delivered and dead-lettered, and how many emails SES took from the sender. */
  readonly sendQueue: SendQueuePlayed & { readonly sent: number; readonly sentByCampaign: Record<string, number>; readonly stoppedBy?: string };
}

/** The queue's local address; the messages' eventSourceARN names the same queue. */
const localQueue = { url: workflow.sendQueue.url, arn: 'arn:aws:sqs:eu-west-1:000000000000:winback-send-queue', region: 'eu-west-1' };

/**
 * What the handlers' overrides reach: the run in progress. Handlers keep what they built at cold start, so they get
 * stable objects that forward to it (a second night in the same process, as `winback simulate` runs, then works).
 */
const current: {
  queue?: PlayedSendQueue;
  sent: number;
  sentByCampaign: Record<string, number>;
  /** Why SES refused to send (SendingPausedException ...): the send worker only logs it, so the summary learns it here. */
  stoppedBy?: string;
  /** The night's instant and the moment it was learnt: the sender's clock runs from it (see replayClock). */
  night?: { at: number; learntAt: number };
  wrap?: NightWorkflowOptions['dependencies'];
} = { sent: 0, sentByCampaign: {} };

/**
 * The send worker's clock: the night's own instant plus the time since, so a replayed night's emails are recorded
 * in its calendar (as sent minutes after its 03:00), exactly as a live night's are recorded minutes after now.
 */
const replayClock = { now: () => (current.night ? new Date(current.night.at + (Date.now() - current.night.learntAt)) : new Date()) };

const forwardingQueue = {
  enqueue: async (key: SendKey & { readonly dueAt?: string }) => {
    if (!current.queue) throw new Error('no local night is running: the send queue is played only during one');
    await current.queue.enqueue(key);
  },
};

function countingSender(email: EmailSender): EmailSender {
  return {
    async send(message) {
      let messageId: string;
      try {
        messageId = await email.send(message);
      } catch (error) {
        // By name as well: a test's handlers may load their own copy of the port's module (vi.resetModules).
        const failure = error as Partial<EmailSendError>;
        if ((error instanceof EmailSendError || failure.name === 'EmailSendError') && failure.kind === 'paused') current.stoppedBy ??= failure.code!;
        throw error;
      }
      current.sent += 1;
      const campaign = message.tags?.campaign ?? 'unknown';
      current.sentByCampaign[campaign] = (current.sentByCampaign[campaign] ?? 0) + 1;
      return messageId;
    },
  };
}

function overrideFor<T extends object>(handler: string, deps: T): T {
  let adjusted: Record<string, unknown> = { ...(deps as Record<string, unknown>) };
  if ('queue' in adjusted) adjusted.queue = forwardingQueue;
  if (handler === workflow.sendQueue.consumer) adjusted.clock = replayClock;
  adjusted = current.wrap ? current.wrap(handler, adjusted) : adjusted;
  // Counted around whatever SES a test put in (a faulty one too), so the run says what SES took and why it stopped.
  if (handler === workflow.sendQueue.consumer && 'email' in adjusted) adjusted = { ...adjusted, email: countingSender(adjusted.email as EmailSender) };
  return adjusted as T;
}

/** The handlers a local night may invoke, by folder (spelt out: module loaders resolve only literal imports). */
const handlerModules: Record<string, () => Promise<{ handler: unknown }>> = {
  'night-start': () => import('../../functions/night-start/handler.js'),
  'segment-worker': () => import('../../functions/segment-worker/handler.js'),
  'night-finish': () => import('../../functions/night-finish/handler.js'),
  'report-builder': () => import('../../functions/report-builder/handler.js'),
  'send-worker': () => import('../../functions/send-worker/handler.js'),
  'scheduled-sender': () => import('../../functions/scheduled-sender/handler.js'),
};

async function loadHandler(folder: string): Promise<Handler> {
  const load = handlerModules[folder];
  if (!load) throw new Error(`the workflow invokes "${folder}", which the local runner does not know`);
  return (await load()).handler as Handler;
}

/** A Lambda context as the function's configuration gives it: its timeout and memory. */
function contextFor(folder: string): Context {
  const settings = workflow.functions[folder as HandlerName];
  return { ...localLambdaContext(folder, settings.timeoutSeconds * 1000), memoryLimitInMB: String(settings.memorySize) } as unknown as Context;
}

/**
 * What Step Functions sees when a function throws: Lambda's error envelope, its errorType as the error's name and
 * the envelope as JSON in the cause. An error of the Lambda service itself (throttling) arrives as Lambda names it.
 */
function asLambdaError(error: unknown): Error {
  if (error instanceof Error && /^(Lambda|States)\./.test(error.name)) return error;
  const thrown = error instanceof Error ? error : new Error(String(error));
  const failure = new Error(JSON.stringify({ errorType: thrown.name, errorMessage: thrown.message, trace: (thrown.stack ?? '').split('\n') }));
  failure.name = thrown.name;
  return failure;
}

const functionOf = (resource: string) => resource.slice(resource.lastIndexOf(':') + 1);

/** The one AWS SDK integration the night calls: how many sends are still on the queue. */
const queueAttributesResource = 'arn:aws:states:::aws-sdk:sqs:getQueueAttributes';

/** Every Lambda Task state of the definition (the Map's inner ones too), by name, with the function its Resource names. */
function taskStates(states: Record<string, Record<string, unknown>>, into: Map<string, string> = new Map()): Map<string, string> {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task' && state.Resource === queueAttributesResource) continue;
    if (state.Type === 'Task') into.set(name, functionOf(state.Resource as string));
    const inner = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, Record<string, unknown>> } | undefined;
    if (inner) taskStates(inner.States, into);
  }
  return into;
}

/** The states of the definition (the Map's inner ones too) whose Resource is `resource`. */
function statesCalling(states: Record<string, Record<string, unknown>>, resource: string): string[] {
  return Object.entries(states).flatMap(([name, state]) => {
    const inner = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, Record<string, unknown>> } | undefined;
    return [...(state.Type === 'Task' && state.Resource === resource ? [name] : []), ...(inner ? statesCalling(inner.States, resource) : [])];
  });
}

/** Node 20 lacks Promise.withResolvers, which aws-local-stepfunctions calls (Node 22+ has it). */
function polyfillWithResolvers(): void {
  const promise = Promise as unknown as { withResolvers?: () => unknown };
  promise.withResolvers ??= () => {
    let resolve!: (value: unknown) => void;
    let reject!: (reason: unknown) => void;
    const created = new Promise((done, fail) => {
      resolve = done;
      reject = fail;
    });
    return { promise: created, resolve, reject };
  };
}

/**
 * Runs one night through the workflow, with the input the schedule gives the state machine ({source, asOf}),
 * and plays the send queue until it is empty. The handlers read the environment (TABLE_NAME, the endpoints of the
 * local stack, the secrets) as they do on Lambda.
 */
export async function runNightWorkflow(input: { source?: string; asOf?: string }, options: NightWorkflowOptions = {}): Promise<NightWorkflowRun> {
  if (current.queue) throw new Error('a local night is already running in this process');
  polyfillWithResolvers();
  process.env.SEND_QUEUE_URL ??= localQueue.url;
  const { StateMachine, ExecutionError } = await import('aws-local-stepfunctions');
  const wiring = await import('../wiring.js');
  const { readEnvironment } = await import('../config/environment.js');

  const consumer = await loadHandler(workflow.sendQueue.consumer);
  const queue = new PlayedSendQueue(
    workflow.sendQueue,
    async (event: SQSEvent) => (await consumer(event, contextFor(workflow.sendQueue.consumer))) as SQSBatchResponse,
    { arn: localQueue.arn, region: localQueue.region, senderId: 'AROALOCAL0000000000000:segment-worker' },
  );
  Object.assign(current, { queue, sent: 0, sentByCampaign: {}, stoppedBy: undefined, night: undefined, wrap: options.dependencies });
  wiring.overrideDependencies(overrideFor);
  const table = wiring.tableAdapters(readEnvironment());

  const tasks = taskStates(workflow.definition.States as Record<string, Record<string, unknown>>);
  const handlers: Record<string, (payload: unknown) => Promise<unknown>> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  let runId: string | undefined;
  for (const [state, folder] of tasks) {
    const handler = await loadHandler(folder);
    retryIntervalOverrides[state] = options.retryIntervalMs ?? 0;
    handlers[state] = async (payload: unknown) => {
      const invoke = async (given: unknown = payload) =>
        JSON.parse(JSON.stringify((await handler(structuredClone(given), contextFor(folder))) ?? null)) as unknown;
      let result: unknown;
      try {
        result = options.aroundTask ? await options.aroundTask(state, payload, invoke) : await invoke();
      } catch (error) {
        throw asLambdaError(error);
      }
      if (folder === 'night-start') {
        runId = (result as { runId: string }).runId;
        const plan = await table.work.plan(runId);
        if (plan) current.night = { at: Date.parse(plan.nightAt), learntAt: Date.now() };
      }
      return result;
    };
  }

  // The report waits for the send queue to empty: the played queue answers once it has drained, as the real one
  // would, minutes later, after the wait states' rounds (which take no time here).
  const waitTimeOverrides: Record<string, number> = {};
  for (const state of statesCalling(workflow.definition.States as Record<string, Record<string, unknown>>, queueAttributesResource)) {
    handlers[state] = async () => {
      await queue.drain();
      return { Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0' } };
    };
  }
  for (const [name, state] of Object.entries(workflow.definition.States as Record<string, Record<string, unknown>>))
    if (state.Type === 'Wait') waitTimeOverrides[name] = 0;

  const states: Record<string, number> = {};
  const retried: Record<string, number> = {};
  const spans: Record<string, { from: number; to: number }> = {};
  let executionStarted: number | undefined;
  try {
    const machine = new StateMachine(definitionWith(options.maxConcurrency) as never, { validationOptions: { checkArn: true, checkPaths: true } });
    const execution = machine.run(input as never, { overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides, waitTimeOverrides } });
    const logged = (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'ExecutionStarted') executionStarted = event.timestamp;
        if (event.type === 'StateEntered') {
          states[event.state.name] = (states[event.state.name] ?? 0) + 1;
          spans[event.state.name] ??= { from: event.timestamp, to: event.timestamp };
        }
        if (event.type === 'StateExited' && spans[event.state.name]) spans[event.state.name]!.to = event.timestamp;
        if (event.type === 'StateRetried') retried[event.state.name] = (retried[event.state.name] ?? 0) + 1;
      }
    })();
    let error: NightWorkflowRun['error'];
    try {
      await execution.result;
    } catch (failure) {
      if (!(failure instanceof ExecutionError)) throw failure;
      const cause = failure.cause as Error;
      error = { Error: cause.name, Cause: cause.message };
    }
    await logged;
    const played = await queue.drain();
    const summary = runId ? await runRecord(table.runs, runId) : undefined;
    return {
      status: error ? 'FAILED' : 'SUCCEEDED',
      ...(runId ? { runId } : {}),
      ...(summary ? { summary } : {}),
      ...(error ? { error } : {}),
      states,
      retried,
      stateMs: Object.fromEntries(Object.entries(spans).map(([name, span]) => [name, span.to - span.from])),
      enteredAtMs: Object.fromEntries(Object.entries(spans).map(([name, span]) => [name, span.from - (executionStarted ?? span.from)])),
      sendQueue: {
        ...played,
        sent: current.sent,
        sentByCampaign: { ...current.sentByCampaign },
        ...(current.stoppedBy ? { stoppedBy: current.stoppedBy } : {}),
      },
    };
  } finally {
    await queue.drain().catch(() => undefined);
    wiring.overrideDependencies(undefined);
    current.queue = undefined;
    current.wrap = undefined;
  }
}

/**
 * Invokes one handler as its trigger would, with the overrides of a local night (the played queue, the sender's
 * clock), and plays what it put on the send queue to the end: the local scheduled sender runs this way.
 */
export async function invokeWithQueue(
  folder: string,
  event: unknown,
  options: Pick<NightWorkflowOptions, 'dependencies'> = {},
): Promise<{ result: unknown; sendQueue: NightWorkflowRun['sendQueue'] }> {
  if (current.queue) throw new Error('a local night is already running in this process');
  process.env.SEND_QUEUE_URL ??= localQueue.url;
  const wiring = await import('../wiring.js');
  const consumer = await loadHandler(workflow.sendQueue.consumer);
  const handler = await loadHandler(folder);
  const queue = new PlayedSendQueue(
    workflow.sendQueue,
    async (batch: SQSEvent) => (await consumer(batch, contextFor(workflow.sendQueue.consumer))) as SQSBatchResponse,
    { arn: localQueue.arn, region: localQueue.region, senderId: `AROALOCAL0000000000000:${folder}` },
  );
  Object.assign(current, { queue, sent: 0, sentByCampaign: {}, stoppedBy: undefined, wrap: options.dependencies });
  wiring.overrideDependencies(overrideFor);
  try {
    const result = await handler(event, localLambdaContext(folder) as unknown as Context);
    const played = await queue.drain();
    return {
      result,
      sendQueue: {
        ...played,
        sent: current.sent,
        sentByCampaign: { ...current.sentByCampaign },
        ...(current.stoppedBy ? { stoppedBy: current.stoppedBy } : {}),
      },
    };
  } finally {
    await queue.drain().catch(() => undefined);
    wiring.overrideDependencies(undefined);
    current.queue = undefined;
    current.wrap = undefined;
  }
}

/** The synthesized definition, its Map states' MaxConcurrency set to `maxConcurrency` when given. */
function definitionWith(maxConcurrency: number | undefined): typeof workflow.definition {
  if (maxConcurrency === undefined) return workflow.definition;
  const definition = structuredClone(workflow.definition) as { States: Record<string, Record<string, unknown>> };
  for (const state of Object.values(definition.States)) if (state.Type === 'Map') state.MaxConcurrency = maxConcurrency;
  return definition as typeof workflow.definition;
}

async function runRecord(runs: { latest(): Promise<NightSummary | undefined> }, runId: string): Promise<NightSummary | undefined> {
  const latest = await runs.latest();
  return latest?.runId === runId ? latest : undefined;
}
