import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { readSettings } from '../../infra/settings.js';
import { WinbackStack } from '../../infra/winback-stack.js';
import { cdkJsonContext } from './synth.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cachePrefix = 'winback-bundled-';

export interface BundledApp {
  /** The cloud assembly directory (what `npm run synth` writes to cdk.out). */
  readonly directory: string;
  readonly template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  /** Each function's logical id, by its handler's folder under functions/. */
  readonly functions: Record<string, string>;
}

/**
 * Everything that can change a bundle or the template: the app, the handlers, the library, the dependency lock and
 * the CDK settings. Two runs on the same sources share one synthesized app.
 */
function sourcesDigest(): string {
  const hash = createHash('sha256');
  const files = ['infra', 'functions', 'lib'].flatMap((folder) =>
    (readdirSync(join(root, folder), { recursive: true }) as string[]).map((name) => join(root, folder, name)).filter((path) => statSync(path).isFile()),
  );
  for (const path of [...files, join(root, 'package-lock.json'), join(root, 'cdk.json'), join(root, 'tsconfig.json')].sort()) {
    hash.update(relative(root, path)).update('\0').update(readFileSync(path)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The app as `npm run synth` builds it (cdk.json's context and feature flags, default settings), with every bundle,
 * synthesized once into a temporary directory named by the sources' digest and reused while they stay the same:
 * bundling fourteen functions takes most of a minute. Concurrent callers (test files in other workers) wait for the
 * first one's lock instead of synthesizing again.
 */
export async function bundledApp(): Promise<BundledApp> {
  const directory = join(tmpdir(), `${cachePrefix}${sourcesDigest()}`);
  const done = join(directory, 'winback-functions.json');
  const lock = `${directory}.lock`;
  for (let waited = 0; !existsSync(done); waited += 500) {
    try {
      mkdirSync(lock);
    } catch {
      // Another worker is synthesizing; a lock older than ten minutes belongs to a run that died.
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 600_000) rmSync(lock, { recursive: true, force: true });
      if (waited > 600_000) throw new Error(`gave up waiting for ${lock}`);
      await sleep(500);
      continue;
    }
    try {
      pruneOtherCaches(directory);
      rmSync(directory, { recursive: true, force: true });
      const app = new App({ outdir: directory, context: cdkJsonContext });
      const stack = new WinbackStack(app, 'Winback', { settings: readSettings(app) });
      app.synth();
      const functions = Object.fromEntries(Object.entries(stack.functions).map(([folder, fn]) => [folder, stack.getLogicalId(fn.node.defaultChild as never)]));
      writeFileSync(done, JSON.stringify(functions));
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return {
    directory,
    template: JSON.parse(readFileSync(join(directory, 'Winback.template.json'), 'utf8')) as BundledApp['template'],
    functions: JSON.parse(readFileSync(done, 'utf8')) as Record<string, string>,
  };
}

/** Older sources' apps (about 20 MB each) are removed once nothing has touched them for an hour. */
function pruneOtherCaches(keep: string): void {
  for (const name of readdirSync(tmpdir())) {
    const path = join(tmpdir(), name);
    if (!name.startsWith(cachePrefix) || path === keep || name.endsWith('.lock')) continue;
    if (Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { recursive: true, force: true });
  }
}
