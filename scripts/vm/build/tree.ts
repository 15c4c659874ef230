// The one source tree both kernels are built from: Debian's source extracted once (staged, then renamed into
// place), then brought to the state a kernel needs, its patches applied and every other one of ours reverted.
// Which patches are applied is read from the files themselves (`patch --dry-run`, forward and reverse), so
// a process killed in the middle of `patch` is found out: a half-applied patch makes the tree damaged, and it
// is extracted again.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { EXIT, HarnessError } from '../../support/errors.ts';
import { ownedName } from '../../support/owned-names.ts';
import { BUILT_KERNELS, KERNEL_SOURCE, repoFile } from './built-kernels.ts';
import type { BuildPaths } from './build-cache.ts';

/** Every patch any built kernel uses (absolute paths): the tree has each either applied or not. */
export const ALL_PATCHES: readonly string[] = [...new Set(BUILT_KERNELS.flatMap((k) => k.patches))].map(repoFile);

export type PatchState = 'applied' | 'not applied' | 'damaged';

/** What to do to go from the patches' current states to those `wanted` (pure). Reverts come first, in reverse
 *  order; a damaged patch (neither applies nor reverts cleanly) means the tree must be extracted again. */
export function patchPlan(states: ReadonlyMap<string, PatchState>, wanted: readonly string[]):
  { reextract: true } | { reextract: false; revert: string[]; apply: string[] } {
  if ([...states.values()].includes('damaged')) return { reextract: true };
  const revert = [...states].filter(([p, s]) => s === 'applied' && !wanted.includes(p)).map(([p]) => p).reverse();
  const apply = wanted.filter((p) => states.get(p) !== 'applied');
  return { reextract: false, revert, apply };
}

async function patchWorks(src: string, patch: string, reverse: boolean): Promise<boolean> {
  const r = await execa('patch', ['-p1', '-s', '-f', '--dry-run', ...(reverse ? ['-R'] : []), '-i', patch], { cwd: src, reject: false });
  return r.exitCode === 0;
}

export async function patchState(src: string, patch: string): Promise<PatchState> {
  if (await patchWorks(src, patch, false)) return 'not applied';
  if (await patchWorks(src, patch, true)) return 'applied';
  return 'damaged';
}

async function extract(dsc: string, paths: BuildPaths, log: (line: string) => void, step: (what: string) => void): Promise<void> {
  step('extract');
  log(`[build] extracting ${KERNEL_SOURCE.package} ${KERNEL_SOURCE.version} with dpkg-source (Debian's patches applied; about 30 s)`);
  mkdirSync(paths.work, { recursive: true });
  const staging = join(paths.work, `.${ownedName('partial-src')}`);
  rmSync(staging, { recursive: true, force: true });
  try {
    // The signature is not what is trusted here: every file was checked against the pin before this.
    const r = await execa('dpkg-source', ['--no-check', '--no-copy', '-x', dsc, staging], { reject: false, all: true });
    if (r.exitCode !== 0)
      throw new HarnessError(EXIT.runFailed, `dpkg-source -x ${dsc} failed (exit ${r.exitCode}):\n${(r.all ?? '').split('\n').slice(-8).join('\n')}`);
    rmSync(paths.src, { recursive: true, force: true });
    // The objects were built from the old tree: their timestamps say nothing about the new one.
    rmSync(paths.obj, { recursive: true, force: true });
    renameSync(staging, paths.src);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The tree with exactly `wanted` of our patches applied (extracted first when there is none or it is damaged). */
export async function prepareTree(dsc: string, paths: BuildPaths, wanted: readonly string[], log: (line: string) => void,
  step: (what: string) => void): Promise<void> {
  if (!existsSync(join(paths.src, 'Makefile'))) await extract(dsc, paths, log, step);
  step('patch');
  let states = new Map<string, PatchState>();
  for (const p of ALL_PATCHES) states.set(p, await patchState(paths.src, p));
  let plan = patchPlan(states, wanted);
  if (plan.reextract) {
    log(`[build] ${paths.src}: a patch is half-applied (an interrupted build); extracting the source again`);
    await extract(dsc, paths, log, step);
    step('patch');
    states = new Map(ALL_PATCHES.map((p) => [p, 'not applied' as PatchState]));
    plan = patchPlan(states, wanted);
    if (plan.reextract) throw new Error('unreachable');
  }
  for (const [patch, reverse] of [...plan.revert.map((p) => [p, true] as const), ...plan.apply.map((p) => [p, false] as const)]) {
    log(`[build] ${reverse ? 'reverting' : 'applying'} ${patch.replace(/^.*\/scripts\//, 'scripts/')}`);
    const r = await execa('patch', ['-p1', '-f', ...(reverse ? ['-R'] : []), '-i', patch], { cwd: paths.src, reject: false, all: true });
    if (r.exitCode !== 0)
      throw new HarnessError(EXIT.runFailed, `patch ${reverse ? '-R ' : ''}-p1 -i ${patch} failed in ${paths.src} (exit ${r.exitCode}):\n${r.all ?? ''}\n` +
        `The next build finds the tree damaged and extracts it again.`);
  }
}
