// Kernel filesystems a run needs (tracefs, bpffs, cgroup2): the system's mount if there is one, else a
// private mount in a temporary folder, unmounted on cleanup. The system's mounts are never changed.
import { mkdtempSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { createUndoable } from './cleanup.ts';
import { EXIT, HarnessError } from './errors.ts';
import { ownedName, ownerOf } from './owned-names.ts';

export type KernelFs = 'tracefs' | 'bpf' | 'cgroup2';

const mounted = new Map<KernelFs, Promise<string>>();

/** The system's mounts now, from /proc/mounts (spaces in paths are written \\040 there). */
export function procMounts(): { path: string; type: string }[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, path, type] = line.split(' ');
      return { path: path.replace(/\\040/g, ' '), type };
    });
}

/** Where the system mounts a filesystem of this type (the first such mount), or null. Another run's
 *  private mount does not count: it goes when that run ends, and with it what this run put there. */
function findMount(type: KernelFs): string | null {
  return procMounts().find((m) => m.type === type && ownerOf(m.path) === null)?.path ?? null;
}

async function privateMount(type: KernelFs, hint: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `${ownedName(type)}-`));
  const mount = async () => {
    const result = await execa('mount', ['-t', type, 'none', dir], { reject: false });
    if (result.exitCode === 0) return dir;
    rmdirSync(dir);
    // The kernel has the filesystem (the harness needs nothing else of it); this machine refused the mount,
    // as a container without CAP_SYS_ADMIN does: an environment's limit, not the kernel's.
    throw new HarnessError(
      EXIT.environment,
      `${type} is not mounted and this machine refused to mount it: ${result.stderr.trim()} — ${hint}; ` +
        `in a container, mount it from the host (or run the container with --privileged)`,
    );
  };
  const unmount = async () => {
    mounted.delete(type);
    await execa('umount', [dir]);
    rmdirSync(dir);
  };
  return (await createUndoable(`${type} mount ${dir}`, mount, unmount)).made;
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
