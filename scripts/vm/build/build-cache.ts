// Where built kernels and everything needed to build them are kept: outside the checkout, so a fresh clone
// (CI) and every rerun reuse them. /var/cache/ebpf-dump-lab/ unless EDL_BUILD_CACHE names another folder.
//
//   apt/bookworm-security-src/             the private apt (deb-src) that downloads the source package
//   source/linux_<version>/                its .dsc and tarballs, each checked against built-kernels.ts
//   work/linux_<version>/src/              the source, extracted with dpkg-source (Debian's patches applied)
//   work/linux_<version>/obj/              the objects (make O=…), shared by both kernels: an incremental build
//   work/linux_<version>/logs/<name>.log   the log of the last build of each kernel (kept when it fails)
//   kernels/<name>/                        a finished kernel: bzImage, config, manifest.json (+ its initramfs)
//
// Whatever is written whole is staged under a dot-name that says whose it is (.edl-<run id>-…) and renamed
// into place; a process killed at any point leaves only such names, which never look finished and are removed
// by the next build once their run is dead (support/ownership.ts). A finished kernel is its manifest: written
// last, it records the inputs (source, config fragment, patches, recipe) and bzImage's size and sha256.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { deadOwned } from '../../support/dead-owned.ts';
import { KERNEL_SOURCE, builtRelease, type BuiltKernel } from './built-kernels.ts';

export const BUILD_CACHE = process.env.EDL_BUILD_CACHE || '/var/cache/ebpf-dump-lab';

const SOURCE_ID = `${KERNEL_SOURCE.package}_${KERNEL_SOURCE.version}`;

export interface BuildPaths {
  root: string;
  apt: string;
  source: string;
  work: string;
  src: string;
  obj: string;
  logs: string;
  kernels: string;
}

export function buildPaths(root = BUILD_CACHE): BuildPaths {
  const work = join(root, 'work', SOURCE_ID);
  return {
    root,
    apt: join(root, 'apt', `${KERNEL_SOURCE.suite}-src`),
    source: join(root, 'source', SOURCE_ID),
    work,
    src: join(work, 'src'),
    obj: join(work, 'obj'),
    logs: join(work, 'logs'),
    kernels: join(root, 'kernels'),
  };
}

/** Bumped when the recipe changes what it produces from the same inputs: older kernels are then rebuilt. */
export const RECIPE_FORMAT = 1;

/** A digest of everything a kernel is made from: the source pin, the recipe's format, the config fragment and
 *  each patch (their bytes), and the LOCALVERSION. A kernel built from other inputs is not this one. */
export function inputsDigest(kernel: BuiltKernel, fragment: string, patches: readonly string[]): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ format: RECIPE_FORMAT, source: KERNEL_SOURCE.files, localversion: kernel.localversion }));
  h.update('\0fragment\0').update(fragment);
  for (const p of patches) h.update('\0patch\0').update(p);
  return h.digest('hex');
}

export interface BuiltManifest {
  format: typeof RECIPE_FORMAT;
  name: string;
  release: string;
  sourceVersion: string;
  inputs: string;
  bzImageSize: number;
  bzImageSha256: string;
  /** Seconds of `make bzImage` in the build that made it (incremental for the second kernel). */
  buildSeconds: number;
  builtAt: string;
}

export interface FinishedKernel { name: string; release: string; dir: string; vmlinuz: string; manifest: BuiltManifest }

export function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Whether kernels/<name>/ is this kernel, finished, from these inputs: a kernel when it is, else why not
 *  ("not built", "built from other inputs", or what is damaged). Hashes bzImage (~10 ms). */
export function checkFinished(dir: string, kernel: BuiltKernel, inputs: string):
  { kernel: FinishedKernel; problem?: undefined; absent?: undefined } | { kernel?: undefined; problem: string; absent: boolean } {
  if (!existsSync(dir)) return { problem: 'not built', absent: true };
  let m: BuiltManifest;
  try { m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as BuiltManifest; } catch {
    return { problem: 'no readable manifest.json (not a finished build)', absent: false };
  }
  if (m.format !== RECIPE_FORMAT || m.inputs !== inputs)
    return { problem: 'built from other inputs (the source pin, minimal.config, a patch or the recipe changed since)', absent: false };
  if (m.name !== kernel.name || m.release !== builtRelease(kernel)) return { problem: `its manifest names ${m.name} ${m.release}`, absent: false };
  const vmlinuz = join(dir, 'bzImage');
  if (!existsSync(vmlinuz)) return { problem: 'bzImage is missing', absent: false };
  if (readFileSync(vmlinuz).length !== m.bzImageSize || sha256Of(vmlinuz) !== m.bzImageSha256)
    return { problem: 'bzImage does not match its manifest (size or sha256)', absent: false };
  return { kernel: { name: kernel.name, release: m.release, dir, vmlinuz, manifest: m } };
}

/** Removes what killed builds left (dot-named staging folders of dead runs) in the cache's folders; returns
 *  what it removed. */
export function sweepBuildLeftovers(paths: BuildPaths): string[] {
  const removed: string[] = [];
  for (const { path } of deadOwned([paths.source, join(paths.root, 'source'), paths.work, paths.kernels])) {
    rmSync(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}
