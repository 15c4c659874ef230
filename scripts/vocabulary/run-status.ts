// How one experiment's run ended. Decided where it happens (the hook probe, the server, the cross-checks)
// and carried as this value through summary.json, the reports, the matrices and the exit code: nothing
// downstream reads it back out of a sentence.

import { EXIT } from './exit-codes.ts';

export type RunStatus =
  /** It ran as declared, and every cross-check held. */
  | { kind: 'ok' }
  /** The kernel lacks the declared hook; the experiment's fallback hook ran instead (the summary's note says what that changes). */
  | { kind: 'fallback'; hook: string; reason: string }
  /** The kernel lacks something no implementation can avoid (proven by a probe); nothing ran. */
  | { kind: 'unsupported'; reason: string; missing: string; since?: string }
  /** It did not complete, or a cross-check failed: the harness's program, the environment or the run itself. */
  | { kind: 'failed'; reason: string; exit_code: number };

/** The status as the matrices and reports write it. */
export function statusLine(s: RunStatus): string {
  switch (s.kind) {
    case 'ok':
      return 'ok';
    case 'fallback':
      return `ok, via the ${s.hook} fallback`;
    case 'unsupported':
      return `unsupported on this kernel: ${s.reason}${s.since ? ` (added in Linux ${s.since})` : ''}`;
    case 'failed':
      return `failed: ${s.reason}`;
  }
}

/** Ran and produced observations (ok or through a fallback). */
export function ran(s: RunStatus): boolean {
  return s.kind === 'ok' || s.kind === 'fallback';
}

/** The exit code of a run of several experiments: the first failure's code; else 6 when the kernel lacks
 *  what an experiment named on the command line needs (within `all` that is a finding the matrix shows, not
 *  an error); else 0. */
export function exitCode(statuses: RunStatus[], all: boolean): number {
  const failed = statuses.find((s) => s.kind === 'failed');
  if (failed?.kind === 'failed') return failed.exit_code;
  return !all && statuses.some((s) => s.kind === 'unsupported') ? EXIT.unsupported : EXIT.ok;
}
