// Every name `--kernel` accepts: a Debian series (kernel-series.ts, its kernel locked in kernels.lock.json) or a
// kernel this repository builds from Debian's source (build/built-kernels.ts). Pure names, no I/O.
import { KERNEL_SERIES, isKernelSeries, type KernelSeries } from './kernel-series.ts';
import { BUILT_KERNEL_NAMES, isBuiltKernelName, type BuiltKernelName } from './build/built-kernels.ts';

export type KernelName = KernelSeries | BuiltKernelName;

export const KERNEL_NAMES: readonly KernelName[] = [...KERNEL_SERIES, ...BUILT_KERNEL_NAMES];

export function isKernelName(name: string): name is KernelName {
  return isKernelSeries(name) || isBuiltKernelName(name);
}
