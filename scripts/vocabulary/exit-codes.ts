// The exit codes: the one table the CLI, the run statuses and the README's table come from.

export const EXIT = {
  ok: 0,
  bug: 1,
  usage: 2,
  notRoot: 3,
  /** A Debian package or npm module is missing, or could not be fetched. */
  missingTool: 4,
  /** A BPF object did not build, open or load (the verifier's words follow). */
  bpfLoad: 5,
  /** The kernel lacks what an experiment named on the command line needs (a probe proved it). */
  unsupported: 6,
  runFailed: 7,
  /** The machine refused what a run needs and the kernel has: a mount, a namespace (a container's limits). */
  environment: 8,
  interrupted: 130,
  terminated: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
