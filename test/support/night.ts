import { invokeWithQueue, type NightWorkflowOptions, type NightWorkflowRun, runNightWorkflow } from '../../lib/local/night-workflow.js';
import type { NightSummary } from '../../lib/ports/runs.js';
import type { NightDependencies } from '../../lib/usecases/run-night.js';
import { useShopEnvironment } from './local-aws.js';

/**
 * A test's night as AWS runs it: the synthesized state machine (lib/local/night-workflow.ts), each Task the real
 * handler on this shop's table, the send queue played into the real send worker. The summary is the run record's,
 * with the sends the queue's worker made counted as sent (as `npm start` reports them, see runLocalNight).
 */
export interface WorkflowNight extends NightSummary {
  /** Which states ran, the retries, and what the send queue carried. */
  readonly workflow: NightWorkflowRun;
}

export interface WorkflowNightOptions {
  /**
   * Put in place of what the handlers build at their cold start, by name, in every handler that has it: a fake
   * clock, a failing SES, a watched ledger. Each night cold-starts its handlers, so an override holds for one night.
   */
  readonly deps?: Partial<NightDependencies>;
  /** Finer than `deps`: per handler (see NightWorkflowOptions.dependencies). Runs after `deps` is applied. */
  readonly dependencies?: NightWorkflowOptions['dependencies'];
  readonly aroundTask?: NightWorkflowOptions['aroundTask'];
  /** The segments Map's MaxConcurrency (the `nightMaxConcurrency` setting on AWS); default the synthesized one. */
  readonly maxConcurrency?: number;
  /** More of the environment the handlers read (secrets, settings), besides the shop's table and the local SES. */
  readonly environment?: Record<string, string>;
  /**
   * Keeps the handlers the previous night or sweep of this same shop started (their dependencies, built once per
   * container, as a warm Lambda's are) instead of cold-starting them: for many nights in a row. Not with `deps`.
   */
  readonly warm?: boolean;
}

/** The night's execution ended in the workflow's failure path; `run` says where and why (Lambda's error envelope). */
export class WorkflowNightFailed extends Error {
  constructor(readonly run: NightWorkflowRun) {
    super(`the night failed in the workflow: ${run.error ? `${run.error.Error}: ${run.error.Cause}` : 'it left no run record'}`);
    this.name = 'WorkflowNightFailed';
  }
}

type Shop = Parameters<typeof useShopEnvironment>[0];

/** Runs the night of `asOf` for `shop` through the workflow; throws WorkflowNightFailed when it ends in FailNight. */
export async function workflowNight(shop: Shop, asOf: string, options: WorkflowNightOptions = {}): Promise<WorkflowNight> {
  const dependencies = await coldStart(shop, options);
  const run = await runNightWorkflow(
    { source: 'winback.test', asOf },
    {
      dependencies,
      ...(options.aroundTask ? { aroundTask: options.aroundTask } : {}),
      ...(options.maxConcurrency !== undefined ? { maxConcurrency: options.maxConcurrency } : {}),
    },
  );
  if (run.status === 'FAILED' || !run.summary) throw new WorkflowNightFailed(run);
  return { ...withQueueSends(run.summary, run.sendQueue), workflow: run };
}

/**
 * One run of the scheduled sender as its schedule invokes it, sweeping up to `upTo`, with what it hands the send
 * queue played into the send worker: the emails whose quiet hours are over, or that SES gave back, go out.
 */
export async function sweepDue(
  shop: Shop,
  upTo: string,
  options: Pick<WorkflowNightOptions, 'deps' | 'dependencies' | 'environment' | 'warm'> = {},
): Promise<{ readonly dispatched: number; readonly sendQueue: NightWorkflowRun['sendQueue'] }> {
  const dependencies = await coldStart(shop, options);
  const { result, sendQueue } = await invokeWithQueue('scheduled-sender', { source: 'winback.test', upTo }, { dependencies });
  return { dispatched: (result as { dispatched: number }).dispatched, sendQueue };
}

/** The environment of a cold start on this shop, and the overrides its handlers get (see WorkflowNightOptions.deps). */
async function coldStart(
  shop: Shop,
  options: Pick<WorkflowNightOptions, 'deps' | 'dependencies' | 'environment' | 'warm'>,
): Promise<NightWorkflowOptions['dependencies']> {
  // The local SES has no MaxSendRate: the sender's AWS pace (5 a second) would only make the tests slow.
  useShopEnvironment(shop, { SEND_RATE_PER_SECOND: '500', ...options.environment });
  // A cold start: the handlers build their dependencies again, from this shop's table and this run's overrides (a
  // new container each, without reloading modules: that took seconds a night on a busy machine).
  if (!options.warm) (await import('../../lib/wiring.js')).startNewContainers();
  const overrides = Object.entries(options.deps ?? {}).filter(([, value]) => value !== undefined);
  return <T extends object>(handler: string, built: T): T => {
    const replaced = Object.fromEntries(overrides.filter(([name]) => name in built));
    const deps = { ...built, ...replaced } as T;
    return options.dependencies ? options.dependencies(handler, deps) : deps;
  };
}

/** The run record counts the sends it handed to the queue as queued; those its worker sent are sent. */
function withQueueSends(summary: NightSummary, queue: NightWorkflowRun['sendQueue']): NightSummary {
  const campaigns = Object.fromEntries(
    Object.entries(summary.campaigns).map(([id, campaign]) => {
      const sent = queue.sentByCampaign[id] ?? 0;
      return [id, { ...campaign, sent: campaign.sent + sent, queued: Math.max(0, (campaign.queued ?? 0) - sent) }];
    }),
  );
  return {
    ...summary,
    campaigns,
    sentByCampaign: Object.fromEntries(Object.entries(campaigns).map(([id, campaign]) => [id, campaign.sent])),
    emailsSent: summary.emailsSent + queue.sent,
    emailsQueued: Math.max(0, (summary.emailsQueued ?? 0) - queue.sent),
    ...(queue.stoppedBy && !summary.stoppedBy ? { stoppedBy: queue.stoppedBy } : {}),
  };
}
