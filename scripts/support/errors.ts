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

/** The write failures that are the machine's doing, what they mean and what to do about them. */
export const WRITE_FAILURES: Record<string, { why: string; fix: string }> = {
  ENOSPC: { why: 'the file system is full', fix: 'free some space, or choose another folder with --results (or --out)' },
  EDQUOT: { why: 'the disk quota is used up', fix: 'free some space, or choose another folder with --results (or --out)' },
  EROFS: { why: 'the file system is read-only', fix: 'choose a writable folder with --results (or --out)' },
  EACCES: { why: 'permission denied', fix: 'choose a writable folder with --results (or --out)' },
  EPERM: { why: 'permission denied', fix: 'choose a writable folder with --results (or --out)' },
};

/** A failed write into `dir` that is the machine's doing (full, read-only, no permission), as the user's
 *  error (exit 9); null for anything else. */
export function outputError(error: unknown, dir: string): HarnessError | null {
  if (error instanceof HarnessError) return null;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const failure = WRITE_FAILURES[code];
  return failure ? new HarnessError(EXIT.output, `cannot write into ${dir}: ${failure.why} (${code}) — ${failure.fix}`, { cause: error }) : null;
}
