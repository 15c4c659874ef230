// Finds and removes what a run that died without cleaning up (SIGKILL, a crash of the machine's power
// aside) left behind. Everything a run creates is named edl-<pid>-…: anything whose pid is no longer
// alive is stale. Runs before every experiment run, and says what it removed.
import { existsSync, readFileSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { procMounts } from '../../support/kernel-fs.ts';
import { ownedPrefix, ownerPid } from '../../support/owned-names.ts';

/** The owning pid of a name like edl-1234-tcp, when that process is gone (and is not us). */
function deadOwner(name: string): number | null {
  const pid = ownerPid(name);
  if (pid === null || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH' ? pid : null;
  }
}

const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

/** Removes stale resources; returns one line per thing removed. */
export async function sweepStale(): Promise<string[]> {
  const removed: string[] = [];
  const attempt = async (what: string, remove: () => Promise<unknown> | void) => {
    try {
      await remove();
      removed.push(what);
    } catch (error) {
      removed.push(`${what} (could not remove: ${(error as Error).message.split('\n')[0]})`);
    }
  };
  // Processes first: a dead run's VM, virtiofsd, servers or traffic still hold the rest.
  for (const pid of entries('/proc').filter((p) => /^\d+$/.test(p))) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue; // exited meanwhile
    }
    const owner = /build\/vm\/(\d+)-/.exec(cmdline)?.[1];
    if (owner && deadOwner(ownedPrefix(Number(owner))) !== null) {
      await attempt(`process ${pid} (${cmdline.split(' ')[0]})`, () => void process.kill(Number(pid), 'SIGKILL'));
    }
  }
  const netns = entries('/run/netns'); // what `ip netns list` lists, without a process per run
  for (const name of netns.filter((n) => deadOwner(n) !== null)) {
    const pids = (await execa('ip', ['netns', 'pids', name], { reject: false })).stdout.split('\n').filter(Boolean);
    for (const pid of pids) await attempt(`process ${pid} in ${name}`, () => void process.kill(Number(pid), 'SIGKILL'));
  }
  // tracefs instances and cgroups are global (visible through any mount of their kind, a dead run's
  // private mount included); a bpffs mount is its own instance, so its pins go with it.
  for (const { path, type } of procMounts()) {
    const inside = type === 'tracefs' ? join(path, 'instances') : type === 'cgroup2' || type === 'bpf' ? path : null;
    for (const name of inside ? entries(inside).filter((n) => deadOwner(n) !== null) : []) {
      const target = join(inside!, name);
      if (type === 'cgroup2') {
        for (const pid of readFileSync(join(target, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
          await attempt(`process ${pid} in ${target}`, () => void process.kill(Number(pid), 'SIGKILL'));
        }
      }
      await attempt(`${type} ${target}`, () => (type === 'bpf' ? rmSync(target, { recursive: true }) : rmdirSync(target)));
    }
  }
  // A dead run's namespaces are nsfs mounts under /run/netns: `ip netns del` below removes those.
  for (const { path, type } of procMounts().filter((m) => m.type !== 'nsfs' && deadOwner(m.path) !== null)) {
    await attempt(`${type} mount ${path}`, async () => {
      await execa('umount', [path]);
      rmdirSync(path);
    });
  }
  for (const name of netns.filter((n) => deadOwner(n) !== null)) {
    await attempt(`network namespace ${name}`, () => execa('ip', ['netns', 'del', name]));
  }
  return removed;
}
