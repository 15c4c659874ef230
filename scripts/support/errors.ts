// Errors the harness expects, each with its exit code (the table is vocabulary/exit-codes.ts). Anything
// else is a bug and exits 1.

export { EXIT, type ExitCode } from '../vocabulary/exit-codes.ts';
import { EXIT, type ExitCode } from '../vocabulary/exit-codes.ts';

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

/** The message and, for a bug, the causes' stacks: what to paste into an issue. */
export function describeError(error: HarnessError): string {
  if (error.code !== EXIT.bug) return error.message;
  const causes: string[] = [];
  for (let cause = error.cause; cause !== undefined; cause = (cause as Error).cause) {
    causes.push(cause instanceof Error ? (cause.stack ?? cause.message) : String(cause));
    if (!(cause instanceof Error)) break;
  }
  return [error.message, ...causes.map((c) => `caused by: ${c}`)].join('\n');
}
