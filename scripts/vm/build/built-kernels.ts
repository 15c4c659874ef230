// The kernels this repository builds itself (`--kernel 6.1-control`, `--kernel 6.1-without-8fac365f63c8`):
// both from the one pinned Debian source package, with the one configuration (minimal.config), and differing
// only by the patches listed here. Pure data: what they are, where their inputs are, what `uname -r` they get.
import { join } from 'node:path';
import { ROOT } from '../../support/paths.ts';

export interface PinnedSourceFile { name: string; sha256: string; size: number }

/**
 * Debian's source package of the 6.1 kernel, pinned: the version, where apt finds it (a private apt with a
 * `deb-src` line, /etc/apt untouched), and the sha256 and size of each of its files as the signed Sources
 * index listed them. A download that differs is deleted and refused. Moving it is a deliberate edit of this
 * record (then `npm run kernels -- build` rebuilds both kernels, and their results are regenerated).
 */
export const KERNEL_SOURCE = {
  package: 'linux',
  version: '6.1.187-1',
  /** The upstream release the source builds (its Makefile's VERSION.PATCHLEVEL.SUBLEVEL). */
  upstream: '6.1.187',
  uri: 'http://deb.debian.org/debian-security',
  suite: 'bookworm-security',
  files: [
    { name: 'linux_6.1.187-1.dsc', sha256: '9a66f3af2a0d90ad5ae16b059b7e299923d2fd0b1ad88c8f74c500e7abe6171a', size: 399396 },
    { name: 'linux_6.1.187.orig.tar.xz', sha256: 'bec853ea2b0314c64012478964e10d3e094fa019799c926b8057157afdae23f6', size: 137990204 },
    { name: 'linux_6.1.187-1.debian.tar.xz', sha256: '0d61e19cd8b6dcf83ac5a35a930cc132c37879dfe2f50dd889440d6026104729', size: 1904540 },
  ] as readonly PinnedSourceFile[],
} as const;

export type BuiltKernelName = '6.1-control' | '6.1-without-8fac365f63c8';

export interface BuiltKernel {
  name: BuiltKernelName;
  /** CONFIG_LOCALVERSION: makes `uname -r`, hence results/kernels/<release>/, differ between the two. */
  localversion: string;
  /** Patches (paths from the repository root) applied to Debian's source, in order. */
  patches: readonly string[];
  /** One line for `npm run kernels`. */
  about: string;
}

const HERE = 'scripts/vm/build';
export const CONFIG_FRAGMENT = `${HERE}/minimal.config`;

export const BUILT_KERNELS: readonly BuiltKernel[] = [
  {
    name: '6.1-control',
    localversion: '-edl-control',
    patches: [],
    about: `Debian's ${KERNEL_SOURCE.version} source as it is, minimal.config`,
  },
  {
    name: '6.1-without-8fac365f63c8',
    localversion: '-edl-without-8fac365f63c8',
    patches: [`${HERE}/without-8fac365f63c8.patch`],
    about: 'the same, without the listener\'s tcp_filter() on the handshake-completing ACK (IPv4 and IPv6)',
  },
];

export const BUILT_KERNEL_NAMES: readonly BuiltKernelName[] = BUILT_KERNELS.map((k) => k.name);

export function isBuiltKernelName(name: string): name is BuiltKernelName {
  return (BUILT_KERNEL_NAMES as readonly string[]).includes(name);
}

export function builtKernel(name: BuiltKernelName): BuiltKernel {
  return BUILT_KERNELS.find((k) => k.name === name)!;
}

/** `uname -r` of a built kernel: "6.1.187-edl-control". */
export function builtRelease(kernel: BuiltKernel): string {
  return `${KERNEL_SOURCE.upstream}${kernel.localversion}`;
}

/** A repository file of the recipe, as an absolute path. */
export const repoFile = (path: string) => join(ROOT, path);
