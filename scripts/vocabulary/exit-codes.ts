// The exit codes: the one table the CLI, the run statuses and the README's table come from.

export const EXIT = {
  ok: 0,
  bug: 1,
  usage: 2,
  notRoot: 3,
  /** A Debian package or npm module is missing and cannot be installed (not root, or no such package). */
  missingTool: 4,
  /** A BPF object did not build, open or load (the verifier's words follow). */
  bpfLoad: 5,
  /** The kernel lacks what an experiment named on the command line needs (a probe proved it). */
  unsupported: 6,
  runFailed: 7,
  /** The machine refused what a run needs and the kernel has: a mount, a namespace (a container's limits). */
  environment: 8,
  /** The results, logs or import folder (or build/, for a first build) cannot be written: a full or
   *  read-only file system, no permission. Nothing is half-written: the folder is as it was. */
  output: 9,
  /** apt, the npm registry or Debian's archive could not be reached for what a first use needs (the message
   *  names the package and what to do). */
  offline: 10,
  /** A file in build/ is damaged and the harness could not rebuild it (the message says what to delete). */
  corruptCache: 11,
  /** The kernel locked in kernels.lock.json is no longer offered by Debian and is not cached (the message
   *  says what to run). */
  kernelGone: 12,
  /** SIGHUP: the terminal went away. */
  hangup: 129,
  interrupted: 130,
  terminated: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
