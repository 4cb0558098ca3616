// A minimal stand-in for the Node.js Lambda runtime's bootstrap, run by the Node 24 binary (the runtime's major) in a
// folder that holds nothing but one bundle: it resolves `_HANDLER` ("index.handler") against LAMBDA_TASK_ROOT as
// the runtime does, imports the module, calls the exported function once with the event and a Lambda context, and
// writes the outcome as JSON to the file named by its second argument (stdout belongs to the function's own logs).
// Failures carry the runtime's error types: Runtime.ImportModuleError, Runtime.HandlerNotFound, or the error's name.
// Plain JavaScript on purpose: it runs where no TypeScript loader (and no node_modules) exists.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [eventFile, outcomeFile] = process.argv.slice(2);
const taskRoot = process.env.LAMBDA_TASK_ROOT;
const [moduleName, handlerName] = (process.env._HANDLER ?? '').split('.');

/** Lambda's Node.js runtime tries these extensions in this order. */
function modulePath() {
  for (const extension of ['.js', '.mjs', '.cjs']) {
    const path = join(taskRoot, `${moduleName}${extension}`);
    if (existsSync(path)) return path;
  }
  return undefined;
}

function report(outcome) {
  writeFileSync(outcomeFile, JSON.stringify(outcome));
}

function failure(errorType, error) {
  return {
    ok: false,
    errorType,
    errorMessage: String(error?.message ?? error),
    trace: String(error?.stack ?? '')
      .split('\n')
      .slice(0, 8),
  };
}

const timeoutMs = Number(process.env.AWS_LAMBDA_FUNCTION_TIMEOUT ?? 60) * 1000;
const deadline = Date.now() + timeoutMs;
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;
const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${functionName}`,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: randomUUID(),
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: '2026/11/22/[$LATEST]0123456789abcdef',
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  done: () => {},
  fail: () => {},
  succeed: () => {},
};

let handler;
try {
  const path = modulePath();
  if (!path) throw new Error(`Cannot find module '${moduleName}' in ${taskRoot}`);
  const module = await import(pathToFileURL(path).href);
  handler = module[handlerName];
} catch (error) {
  report(failure('Runtime.ImportModuleError', error));
  process.exit(0);
}
if (typeof handler !== 'function') {
  report(failure('Runtime.HandlerNotFound', new Error(`${moduleName}.${handlerName} is undefined or not exported`)));
  process.exit(0);
}

try {
  const event = JSON.parse(readFileSync(eventFile, 'utf8'));
  const result = await handler(event, context);
  report({ ok: true, result: result ?? null });
} catch (error) {
  report(failure(error?.name ?? 'Error', error));
}
// Lambda freezes the container after the answer; open sockets (the SDK's keep-alive agents) must not keep this alive.
process.exit(0);
