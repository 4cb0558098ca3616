import type { TestProject } from 'vitest/node';
import { findFreePort, startLocalStack, type LocalStack } from '../../lib/local/stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    sesEndpoint: string;
  }
}

let stack: LocalStack | undefined;

export async function setup(project: TestProject): Promise<void> {
  stack = await startLocalStack({ dynamoPort: await findFreePort(), sesPort: await findFreePort() });
  project.provide('dynamoEndpoint', stack.dynamoEndpoint);
  project.provide('sesEndpoint', stack.sesEndpoint);
}

export async function teardown(): Promise<void> {
  await stack?.stop();
}
