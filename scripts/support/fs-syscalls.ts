// The file-system call node lacks, bound with koffi on first use (it costs ~10 ms to load here, ~0.7 s in a
// TCG guest, so only a commit that replaces an old folder pays it): swapping two paths in one step.
import { constants } from 'node:os';

const AT_FDCWD = -100;
const RENAME_EXCHANGE = 1 << 1;

interface Libc {
  renameat2: (olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number) => number;
  errno: () => number;
}

let libc: Promise<Libc> | null = null;

function load(): Promise<Libc> {
  libc ??= import('koffi').then(({ default: koffi }) => {
    const lib = koffi.load('libc.so.6');
    return {
      renameat2: lib.func('int renameat2(int, const char *, int, const char *, unsigned int)'),
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
}

/** The calls, once koffi is loaded: exchange() is then synchronous, so no signal handler runs in between. */
export async function fsSyscalls(): Promise<FsSyscalls> {
  const c = await load();
  return {
    exchange(a, b) {
      if (c.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) !== 0) throw failure(`renameat2(${a}, ${b}, RENAME_EXCHANGE)`, c.errno());
    },
  };
}
