// A cgroup2 group for a server whose cgroup_skb hooks are under test; removed on cleanup.
import { mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { onCleanup } from '../../support/cleanup.ts';
import { kernelFs } from '../../support/kernel-fs.ts';
import { ownedName } from '../../support/owned-names.ts';

export async function createCgroup(label: string): Promise<string> {
  const root = await kernelFs('cgroup2', 'cgroup_skb hooks need cgroup v2 (CONFIG_CGROUP_BPF)');
  const path = join(root, ownedName(label));
  mkdirSync(path);
  // The server has exited by the time cleanup runs, so the group is empty and rmdir succeeds.
  onCleanup(`cgroup ${path}`, () => rmdirSync(path));
  return path;
}
