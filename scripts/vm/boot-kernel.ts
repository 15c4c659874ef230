// The kernel a `--kernel <name>` run boots, ready: a Debian kernel fetched and checked (kernels.ts), or one
// this repository builds, built on first use (build/build-kernel.ts). Either way: its release, its bzImage,
// its modules (none for a built kernel: everything is built in), and where its initramfs is kept.
import { join } from 'node:path';
import { KERNELS_DIR } from '../support/paths.ts';
import { fetchKernel } from './kernels.ts';
import { isBuiltKernelName } from './build/built-kernels.ts';
import { ensureBuiltKernel } from './build/build-kernel.ts';
import type { KernelName } from './kernel-names.ts';

export interface BootableKernel {
  release: string;
  vmlinuz: string;
  /** Where the kernel's modules are (Debian's), or null when it has none to load. */
  modulesDir: string | null;
  /** The folder its initramfs is built into and cached in. */
  initramfsDir: string;
}

export async function bootableKernel(name: KernelName, log: (line: string) => void): Promise<BootableKernel> {
  if (isBuiltKernelName(name)) {
    const built = await ensureBuiltKernel(name, log);
    return { release: built.release, vmlinuz: built.vmlinuz, modulesDir: null, initramfsDir: built.dir };
  }
  const kernel = await fetchKernel(name, log);
  return { release: kernel.release, vmlinuz: kernel.vmlinuz, modulesDir: kernel.modulesDir, initramfsDir: join(KERNELS_DIR, kernel.release) };
}
