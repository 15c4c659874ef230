// Where things live, from the repository root, and how to start one of the project's own scripts.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join, relative } from 'node:path';

const HERE = fileURLToPath(import.meta.url);

/** The folder holding package.json above this file: scripts/ when run from source, build/js/scripts/ when bundled. */
function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dir === dirname(dir)) throw new Error(`no package.json above ${from}: is the checkout complete?`);
  }
}

export const ROOT = findRoot(dirname(HERE));
export const RESULTS_DIR = join(ROOT, 'results');
export const BUILD_DIR = join(ROOT, 'build');
export const LOGS_DIR = join(BUILD_DIR, 'runs');
export const KERNELS_DIR = join(BUILD_DIR, 'kernels');
/** Where bootstrap.sh puts the esbuild bundles of the CLI, the servers and the helper scripts. */
export const BUNDLE_DIR = join(ROOT, 'build', 'js');
/** What `npm run experiment` runs. */
export const BUNDLED_CLI = join(BUNDLE_DIR, 'scripts', 'cli.mjs');

/** A bundled CLI (what `npm run experiment` starts: no TypeScript compile at start-up) starts bundled
 *  servers, built from the same sources in the same step; from source, everything goes through tsx. */
const BUNDLED = HERE.startsWith(BUNDLE_DIR);

/** The command line that runs `script` ("servers/tcp", "scripts/send-sctp"), relative to the root, without extension. */
export function projectScript(script: string): string[] {
  return BUNDLED ? [process.execPath, join(BUNDLE_DIR, `${script}.mjs`)] : [process.execPath, '--import', 'tsx', join(ROOT, `${script}.ts`)];
}

/** How to start `script` as a worker thread: the bundle, or from source through tsx's loader (registered in
 *  the thread itself, since a worker does not inherit the --import of its process). */
export function projectWorker(script: string): { file: string; evaluate: boolean } {
  if (BUNDLED) return { file: join(BUNDLE_DIR, `${script}.mjs`), evaluate: false };
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = pathToFileURL(join(ROOT, `${script}.ts`)).href;
  return { file: `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); })`, evaluate: true };
}

/** A path as the user should see it: relative to the working directory when inside it, absolute otherwise. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}
