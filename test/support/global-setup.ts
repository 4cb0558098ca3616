import type { TestProject } from 'vitest/node';
import { findFreePort, type LocalStack, startLocalStack } from '../../lib/local/stack.js';
import { shortLivedJavaOptions } from './short-lived-java.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    sesEndpoint: string;
  }
}

/**
 * One DynamoDB Local and one local SES for every tier of the run: `npm test` runs the integration and end-to-end tiers
 * together, and each calls this setup. Each test file makes its own table, so they can share one stack; the stack is
 * kept on globalThis because vitest may load this module once per project. The last teardown stops it.
 */
const shared = globalThis as { winbackTestStack?: { stack: Promise<LocalStack>; users: number } };

export async function setup(project: TestProject): Promise<void> {
  shared.winbackTestStack ??= {
    stack: (async () => startLocalStack({ dynamoPort: await findFreePort(), sesPort: await findFreePort(), javaOptions: shortLivedJavaOptions }))(),
    users: 0,
  };
  shared.winbackTestStack.users += 1;
  const stack = await shared.winbackTestStack.stack;
  project.provide('dynamoEndpoint', stack.dynamoEndpoint);
  project.provide('sesEndpoint', stack.sesEndpoint);
}

export async function teardown(): Promise<void> {
  const entry = shared.winbackTestStack;
  if (!entry) return;
  entry.users -= 1;
  if (entry.users > 0) return;
  shared.winbackTestStack = undefined;
  await (await entry.stack).stop();
}
