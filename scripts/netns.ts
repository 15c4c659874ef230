// A network namespace per run: created with lo up, deleted on cleanup. Names carry our prefix and PID.
import { execa } from 'execa';
import { onCleanup } from './cleanup.ts';
import { HarnessError, EXIT } from './errors.ts';

export const NAME_PREFIX = 'edl';

export interface Namespace {
  name: string;
  /** argv prefix that runs a command inside the namespace. */
  exec: string[];
  remove: () => Promise<void>;
}

export async function createNamespace(label: string): Promise<Namespace> {
  const name = `${NAME_PREFIX}-${process.pid}-${label}`;
  const added = await execa('ip', ['netns', 'add', name], { reject: false });
  if (added.exitCode !== 0) {
    throw new HarnessError(EXIT.runFailed, `could not create network namespace ${name}: ${added.stderr.trim()}`);
  }
  const remove = onCleanup(`network namespace ${name}`, async () => {
    await execa('ip', ['netns', 'del', name]);
  });
  await execa('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  // nsenter, not `ip netns exec`: that also remounts /sys, which would hide cgroup2 and tracefs mounts.
  return { name, exec: ['nsenter', `--net=/run/netns/${name}`], remove };
}
