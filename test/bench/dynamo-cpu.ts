import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * DynamoDB Local's own CPU time so far, user + system, in ms: it runs as a Java child of this process (the embedded
 * stack). Linux only (it reads /proc); NaN elsewhere, or when no such child runs.
 */
export function dynamoLocalCpuMs(): () => number {
  let pid: string | undefined;
  try {
    pid = execSync(`pgrep -P ${process.pid} java`).toString().trim().split('\n')[0];
  } catch {
    pid = undefined;
  }
  return () => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks (USER_HZ = 100)
    } catch {
      return Number.NaN;
    }
  };
}
