// The two file-system calls node lacks, bound with koffi on first use (it costs ~10 ms to load, so a run that
// never commits results never pays it): swapping two paths in one step, and a lock the kernel drops when its
// holder dies.
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

const AT_FDCWD = -100;
const RENAME_EXCHANGE = 1 << 1;
const LOCK_EX = 2;
const LOCK_NB = 4;

interface Libc {
  renameat2: (olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number) => number;
  flock: (fd: number, operation: number) => number;
  errno: () => number;
}

let libc: Promise<Libc> | null = null;

function load(): Promise<Libc> {
  libc ??= import('koffi').then(({ default: koffi }) => {
    const lib = koffi.load('libc.so.6');
    return {
      renameat2: lib.func('int renameat2(int, const char *, int, const char *, unsigned int)'),
      flock: lib.func('int flock(int, int)'),
      errno: () => koffi.errno(),
    };
  });
  return libc;
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, code]) => [code, name]));

function failure(call: string, errno: number): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${call} failed: ${ERRNO_NAMES.get(errno) ?? `errno ${errno}`}`);
  error.code = ERRNO_NAMES.get(errno);
  error.errno = errno;
  return error;
}

export interface FsSyscalls {
  /** Swaps two existing paths (folders too) atomically: a reader sees one or the other, never neither. */
  exchange(a: string, b: string): void;
  /** Waits for an exclusive lock on `path` (created if absent); the kernel releases it when the returned
   *  unlock() closes the file, or when this process dies however it dies. `onWait` is told once if it waits. */
  lock(path: string, onWait?: () => void): Promise<{ fd: number; unlock: () => void }>;
}

/** The calls, once koffi is loaded: exchange() is then synchronous, so no signal handler runs in between. */
export async function fsSyscalls(): Promise<FsSyscalls> {
  const c = await load();
  return {
    exchange(a, b) {
      if (c.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) !== 0) throw failure(`renameat2(${a}, ${b}, RENAME_EXCHANGE)`, c.errno());
    },
    async lock(path, onWait) {
      const fd = openSync(path, 'a');
      for (let waited = false; c.flock(fd, LOCK_EX | LOCK_NB) !== 0; waited = true) {
        const errno = c.errno();
        if (errno !== constants.errno.EWOULDBLOCK) {
          closeSync(fd);
          throw failure(`flock(${path})`, errno);
        }
        if (!waited) onWait?.();
        await sleep(20);
      }
      return { fd, unlock: () => closeSync(fd) };
    },
  };
}
