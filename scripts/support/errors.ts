// Errors the harness expects, each with its exit code. Anything else is a bug and exits 1.

export const EXIT = {
  ok: 0,
  bug: 1,
  usage: 2,
  notRoot: 3,
  missingTool: 4,
  bpfLoad: 5,
  unsupported: 6,
  runFailed: 7,
  interrupted: 130,
  terminated: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure with a message for the user (what failed, why, what to do) and an exit code. */
export class HarnessError extends Error {
  constructor(
    readonly code: ExitCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
