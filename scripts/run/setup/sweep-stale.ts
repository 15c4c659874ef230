// Finds and removes what a run that died without cleaning up (SIGKILL, a crash) left behind. Everything a
// run creates is named edl-<run id>-…; a name whose run has no beacon (ownership.ts) is stale. Runs before
// every experiment run, and says what it removed.
import { existsSync, readFileSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { procMounts } from '../../support/kernel-fs.ts';
import { ownerOf } from '../../support/owned-names.ts';
import { liveRuns } from '../../support/ownership.ts';
import { PRINTK_RECORD, turnPrintkEventOff } from '../../support/printk-event.ts';
import { BUILD_DIR, KERNELS_DIR } from '../../support/paths.ts';
import { deadOwned } from '../../support/dead-owned.ts';

const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

/** What a dead run may have left, listed before asking who is alive (a run that starts meanwhile makes its
 *  beacon before its first name, so it is never taken for dead). */
function candidates() {
  const processes = entries('/proc')
    .filter((p) => /^\d+$/.test(p))
    .flatMap((pid) => {
      try {
        // A dead run's VM and virtiofsd name its folder (build/vm/edl-<id>-…) on their command lines.
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        const owner = /build\/vm\//.test(cmdline) ? ownerOf(cmdline.slice(cmdline.indexOf('build/vm/') + 8)) : null;
        return owner ? [{ pid: Number(pid), owner, what: cmdline.split(' ')[0] }] : [];
      } catch {
        return []; // exited meanwhile
      }
    });
  const netns = entries('/run/netns'); // what `ip netns list` lists, without a process per run
  // tracefs instances and cgroups are global (visible through any mount of their kind, a dead run's private
  // mount included), so one mount of each is enough; a bpffs mount is its own instance, so its pins go with it.
  const seen = new Set<string>();
  const inside = procMounts().flatMap(({ path, type }) => {
    const dir = type === 'tracefs' ? join(path, 'instances') : type === 'cgroup2' || type === 'bpf' ? path : null;
    if (!dir || seen.has(type)) return [];
    if (type !== 'bpf') seen.add(type);
    return entries(dir).map((name) => ({ type, target: join(dir, name), name }));
  });
  // A dead run's namespaces are nsfs mounts under /run/netns: `ip netns del` removes those.
  const mounts = procMounts().filter((m) => m.type !== 'nsfs');
  return { processes, netns, inside, mounts };
}

/** Removes stale resources; returns one line per thing removed. (A results folder's leftovers are the results
 *  commit's to complete or remove: report/results-commit.ts.) */
export async function sweepStale(): Promise<string[]> {
  const found = candidates();
  // Its staging folders and temporary files (build, VM folders, the kernel cache, private mount points).
  const files = deadOwned([BUILD_DIR, join(BUILD_DIR, 'vm'), join(BUILD_DIR, 'bpf'), KERNELS_DIR, join(KERNELS_DIR, 'debs'), tmpdir()]);
  const live = liveRuns();
  const dead = (name: string) => {
    const owner = ownerOf(name);
    return owner !== null && !live.has(owner);
  };
  const removed: string[] = [];
  const attempt = async (what: string, remove: () => Promise<unknown> | void) => {
    try {
      await remove();
      removed.push(what);
    } catch (error) {
      removed.push(`${what} (could not remove: ${(error as Error).message.split('\n')[0]})`);
    }
  };
  const kill = (pid: number | string) => () => {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error; // gone meanwhile: as good
    }
  };
  // Processes first: a dead run's VM, virtiofsd, servers or traffic still hold the rest.
  for (const p of found.processes.filter((p) => !live.has(p.owner))) await attempt(`process ${p.pid} (${p.what})`, kill(p.pid));
  const deadNetns = found.netns.filter(dead);
  for (const name of deadNetns) {
    const pids = (await execa('ip', ['netns', 'pids', name], { reject: false })).stdout.split('\n').filter(Boolean);
    for (const pid of pids) await attempt(`process ${pid} in ${name}`, kill(pid));
  }
  for (const { type, target } of found.inside.filter((i) => dead(i.name))) {
    if (type === 'cgroup2') {
      for (const pid of readFileSync(join(target, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        await attempt(`process ${pid} in ${target}`, kill(pid));
      }
    }
    await attempt(`${type} ${target}`, () => (type === 'bpf' ? rmSync(target, { recursive: true }) : rmdirSync(target)));
  }
  const deadMounts = found.mounts.filter((m) => dead(m.path));
  for (const { path, type } of deadMounts) {
    await attempt(`${type} mount ${path}`, async () => {
      await execa('umount', [path]);
      rmdirSync(path);
    });
  }
  for (const name of deadNetns) await attempt(`network namespace ${name}`, () => execa('ip', ['netns', 'del', name]));
  // A dead run that found the top-level printk event off and could not turn it off again.
  if (files.some((f) => f.name.endsWith(PRINTK_RECORD))) {
    await attempt('the top-level bpf_trace_printk event turned off (a killed run had found it off)', turnPrintkEventOff);
  }
  const unmounted = new Set(deadMounts.map((m) => m.path));
  for (const { path } of files.filter((f) => !unmounted.has(f.path))) {
    await attempt(path, () => rmSync(path, { recursive: true, force: true }));
  }
  return removed;
}
