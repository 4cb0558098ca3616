import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A process's CPU time so far, user + system, in ms (Linux only: it reads /proc); NaN when it cannot be read. */
export function processCpuMs(pid: number | string | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks (USER_HZ = 100)
  } catch {
    return Number.NaN;
  }
}

/**
 * DynamoDB Local's own CPU time so far, in ms: it runs as a Java child of the process that started the embedded
 * stack (this one by default). NaN elsewhere, or when no such child runs.
 */
export function dynamoLocalCpuMs(stackPid: number = process.pid): () => number {
  let pid: string | undefined;
  try {
    pid = execSync(`pgrep -P ${stackPid} java`).toString().trim().split('\n')[0];
  } catch {
    pid = undefined;
  }
  return () => processCpuMs(pid);
}
