// The night's workflow as the local runner executes it, taken from the synthesized template: run this file
// (`npm run workflow:extract`) after changing the state machine, the send queue or a night function's timeout;
// test/infra/local-workflow.test.ts fails while lib/local/night-workflow.generated.json differs from what synth makes.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { WinbackStack } from './winback-stack.js';

/** Region, account and partition the local ARNs carry (aws-local-stepfunctions validates ARNs). */
export const localArnParts = { partition: 'aws', region: 'eu-west-1', account: '000000000000' } as const;

/** A function's local ARN: its name is its handler's folder under functions/, which is how the runner finds it. */
export const localFunctionArn = (folder: string) => `arn:${localArnParts.partition}:lambda:${localArnParts.region}:${localArnParts.account}:function:${folder}`;

export interface LocalWorkflow {
  /** The state machine's Amazon States Language definition, with each Lambda ARN resolved to its local ARN. */
  readonly definition: Record<string, unknown>;
  /** Each function the definition invokes, by folder: what a local Lambda context needs. */
  readonly functions: Record<string, { readonly timeoutSeconds: number; readonly memorySize: number }>;
  /** The send queue and the send worker's event source mapping, as SQS delivers to it. */
  readonly sendQueue: {
    /** The queue's local URL: where the definition's SendsPending state reads the queue (the runner plays it). */
    readonly url: string;
    readonly consumer: string;
    readonly batchSize: number;
    readonly maximumBatchingWindowSeconds: number;
    readonly maximumConcurrency: number;
    readonly reportBatchItemFailures: boolean;
    readonly maxReceiveCount: number;
    readonly visibilityTimeoutSeconds: number;
  };
}

type Resource = { Type: string; Properties: Record<string, unknown> };

/** Extracts the local workflow from a synthesized WinbackStack. */
export function localWorkflowOf(stack: WinbackStack, template: { Resources: Record<string, Resource> }): LocalWorkflow {
  const resources = template.Resources;
  const folderOf = new Map(Object.entries(stack.functions).map(([folder, fn]) => [stack.getLogicalId(fn.node.defaultChild as never), folder]));
  const machines = Object.values(resources).filter((resource) => resource.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  const invoked = new Set<string>();
  const queueId = stack.getLogicalId(stack.sendQueue.node.defaultChild as never);
  const queueUrl = `https://sqs.${localArnParts.region}.amazonaws.com/${localArnParts.account}/winback-send-queue`;
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const node = value as Record<string, unknown>;
    if ('Fn::Join' in node) {
      const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map(resolve).join(separator);
    }
    if ('Fn::GetAtt' in node) {
      const [logicalId, attribute] = node['Fn::GetAtt'] as [string, string];
      const folder = folderOf.get(logicalId);
      if (folder && attribute === 'Arn') {
        invoked.add(folder);
        return localFunctionArn(folder);
      }
    }
    if ('Ref' in node && node.Ref === queueId) return queueUrl;
    if ('Ref' in node) {
      const pseudo: Record<string, string> = {
        'AWS::Partition': localArnParts.partition,
        'AWS::Region': localArnParts.region,
        'AWS::AccountId': localArnParts.account,
        'AWS::URLSuffix': 'amazonaws.com',
      };
      const known = pseudo[node.Ref as string];
      if (known) return known;
    }
    // A new kind of reference in the definition must be taught here, not silently left out.
    throw new Error(`the state machine definition refers to ${JSON.stringify(value)}, which the local runner cannot resolve`);
  };
  const definition = JSON.parse(resolve(machines[0]!.Properties.DefinitionString)) as Record<string, unknown>;

  const mappings = Object.values(resources).filter((resource) => resource.Type === 'AWS::Lambda::EventSourceMapping');
  const consumerId = stack.getLogicalId(stack.sendWorker.node.defaultChild as never);
  const mapping = mappings.find((resource) => (resource.Properties.FunctionName as { Ref?: string }).Ref === consumerId);
  if (!mapping) throw new Error('the send worker has no event source mapping');
  const queue = resources[queueId]!.Properties as { VisibilityTimeout: number; RedrivePolicy: { maxReceiveCount: number } };
  const properties = mapping.Properties as {
    BatchSize: number;
    MaximumBatchingWindowInSeconds?: number;
    ScalingConfig?: { MaximumConcurrency?: number };
    FunctionResponseTypes?: string[];
  };
  const consumer = folderOf.get(consumerId)!;
  invoked.add(consumer);

  const functions: LocalWorkflow['functions'] = {};
  for (const folder of [...invoked].sort()) {
    const fn = resources[stack.getLogicalId(stack.functions[folder]!.node.defaultChild as never)]!.Properties as { Timeout?: number; MemorySize?: number };
    functions[folder] = { timeoutSeconds: fn.Timeout ?? 3, memorySize: fn.MemorySize ?? 128 };
  }
  return {
    definition,
    functions,
    sendQueue: {
      url: queueUrl,
      consumer,
      batchSize: properties.BatchSize,
      maximumBatchingWindowSeconds: properties.MaximumBatchingWindowInSeconds ?? 0,
      // Without a scaling config Lambda scales a queue's pollers up to 1,000 at once; locally that is "unbounded".
      maximumConcurrency: properties.ScalingConfig?.MaximumConcurrency ?? 1_000,
      reportBatchItemFailures: (properties.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
      maxReceiveCount: queue.RedrivePolicy.maxReceiveCount,
      visibilityTimeoutSeconds: queue.VisibilityTimeout,
    },
  };
}

/** Where the local runner reads the workflow from. */
export const localWorkflowFile = fileURLToPath(new URL('../lib/local/night-workflow.generated.json', import.meta.url));

/**
 * Synthesizes the app with the settings of cdk.json (no bundling: the definition does not depend on the code) and
 * extracts the local workflow.
 */
export async function synthesizeLocalWorkflow(): Promise<LocalWorkflow> {
  const { readFileSync } = await import('node:fs');
  const { readSettings } = await import('./settings.js');
  const { WinbackStack } = await import('./winback-stack.js');
  const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new WinbackStack(app, 'Winback', { settings: readSettings(app) });
  return localWorkflowOf(stack, Template.fromStack(stack).toJSON() as { Resources: Record<string, Resource> });
}

export function formatLocalWorkflow(workflow: LocalWorkflow): string {
  return `${JSON.stringify(workflow, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(localWorkflowFile, formatLocalWorkflow(await synthesizeLocalWorkflow()));
  process.stdout.write(`wrote ${localWorkflowFile}\n`);
}
