// Whether the run that owns a name is alive. A run holds a listening abstract unix socket named after its id
// (its beacon) from before it creates anything until it dies; the kernel closes it when the process exits,
// before it is a zombie, whatever killed it. So a beacon is there exactly while its run lives: a zombie, a
// reused pid or a run in another pid namespace cannot fool it, unlike kill(pid, 0). Abstract sockets belong
// to a network namespace: runs are judged from the namespace they start in (the host's, or a container's).
import { createServer, type Server } from 'node:net';
import { readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/** This run's id: its pid (for people reading `ip netns list`) and a random token, because a pid alone is
 *  reused, and two runs in different pid namespaces can have the same one. */
export const RUN_ID = `${process.pid}-${randomBytes(3).toString('hex')}`;

let beacon: Server | null = null;

/** Makes this run's beacon (once); every creator of an owned name calls it first. The bind and listen
 *  happen inside listen() itself for a unix socket, so the beacon exists when this returns. */
export function claimRun(): void {
  if (beacon) return;
  // A worker thread has its own module instances, hence another RUN_ID: names come from the main thread.
  if (!isMainThread) throw new Error('owned names are made by the main thread; pass them to worker threads');
  beacon = createServer().listen(`\0edl-run-${RUN_ID}`);
  beacon.unref(); // it must not keep the process alive
}

/** The ids of the runs alive now (in this network namespace), from the kernel's list of unix sockets.
 *  Read it after listing what to judge: a run that starts later made its beacon before its names. */
export function liveRuns(): Set<string> {
  const live = new Set<string>([RUN_ID]);
  // Node binds an abstract name with the whole sun_path, so the kernel lists it padded with NULs ('@').
  for (const m of readFileSync('/proc/net/unix', 'utf8').matchAll(/ @edl-run-(\d+-[0-9a-f]{6})\b/g)) live.add(m[1]);
  return live;
}

/** Waits until this process holds the lock called `key` (a results folder's real path, say): an abstract unix
 *  socket bound under a name made from it, which only one process can hold and the kernel releases when that
 *  process dies, however it dies. The returned function releases it. `onWait` is told once if it waits. */
export async function holdLock(key: string, onWait?: () => void): Promise<() => void> {
  const name = `\0edl-lock-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
  for (let waited = false; ; waited = true) {
    const server = createServer();
    const bound = await new Promise<boolean>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(error)));
      server.listen(name, () => resolve(true));
    });
    if (bound) {
      server.unref();
      return () => void server.close();
    }
    if (!waited) onWait?.();
    await sleep(20);
  }
}
