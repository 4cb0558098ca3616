/**
 * A DynamoDB Local that lives for one command or one test run: the JIT's optimising tier and the parallel GC spend
 * more CPU warming up than they ever save. With the quick tier alone, a `start --once` of 80 customers took 20 s of
 * CPU instead of 33 s, and four integration files cost the run's shared emulator 16 s of CPU instead of 30 s (with
 * simulated-month among them, 74 s instead of 82 s); what the JVM computes is the same.
 */
export const shortLivedJavaOptions = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'] as const;

/** The same, for a child process that starts its own DynamoDB Local (the CLI): through the JVM's environment. */
export const shortLivedJavaEnvironment = {
  JAVA_TOOL_OPTIONS: [process.env.JAVA_TOOL_OPTIONS, ...shortLivedJavaOptions].filter(Boolean).join(' '),
};
