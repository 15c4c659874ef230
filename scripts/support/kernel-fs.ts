// Kernel filesystems a run needs (tracefs, bpffs, cgroup2): the system's mount if there is one, else a
// private mount in a temporary folder, unmounted on cleanup. The system's mounts are never changed.
import { mkdtempSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { onCleanup } from './cleanup.ts';
import { EXIT, HarnessError } from './errors.ts';
import { NAME_PREFIX } from '../run/topology/netns.ts';

export type KernelFs = 'tracefs' | 'bpf' | 'cgroup2';

const mounted = new Map<KernelFs, Promise<string>>();

/** Where a filesystem of this type is mounted now (the first such line of /proc/mounts), or null. */
function findMount(type: KernelFs): string | null {
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, path, fsType] = line.split(' ');
    if (fsType === type) return path.replace(/\\040/g, ' ');
  }
  return null;
}

async function privateMount(type: KernelFs, hint: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}-${process.pid}-${type}-`));
  const result = await execa('mount', ['-t', type, 'none', dir], { reject: false });
  if (result.exitCode !== 0) {
    rmdirSync(dir);
    throw new HarnessError(EXIT.unsupported, `${type} is not mounted and mounting it failed: ${result.stderr.trim()} — ${hint}`);
  }
  onCleanup(`${type} mount ${dir}`, async () => {
    mounted.delete(type);
    await execa('umount', [dir]);
    rmdirSync(dir);
  });
  return dir;
}

/** A mount point for `type`, mounting it privately (once per process) when the system has none. */
export function kernelFs(type: KernelFs, hint: string): Promise<string> {
  let path = mounted.get(type);
  if (!path) {
    const existing = findMount(type);
    path = existing ? Promise.resolve(existing) : privateMount(type, hint);
    mounted.set(type, path);
  }
  return path;
}
