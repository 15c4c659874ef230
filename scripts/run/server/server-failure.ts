// A server's failure as the harness reports it: its structured error message (stage, call, errno) and its
// stderr (libbpf prints the verifier log there) become one HarnessError, with the exit code from one table.
import { readFileSync } from 'node:fs';
import { EXIT, HarnessError, type ExitCode } from '../../support/errors.ts';
import type { ServerMessage, ServerStage } from './ipc.ts';

/** Exit codes by the stage a server failed in. */
const STAGE_EXIT: Record<ServerStage, ExitCode> = {
  config: EXIT.bug, // the harness wrote a config its own server cannot read
  load: EXIT.bpfLoad, // libbpf could not open the object, or the verifier rejected the program
  configure: EXIT.bpfLoad, // the object lacks a map the harness writes, or its layout differs
  pin: EXIT.runFailed,
  attach: EXIT.runFailed,
  socket: EXIT.runFailed,
  serve: EXIT.runFailed,
};

/** A BPF helper's name from its number, as libbpf's bpf_helper_defs.h declares it (old kernels only say
 *  "unknown#189"). */
function helperName(id: number): string {
  let defs = '';
  try {
    defs = readFileSync('/usr/include/bpf/bpf_helper_defs.h', 'utf8');
  } catch {
    // libbpf-dev is missing: the number alone still identifies the helper.
  }
  const name = new RegExp(`\\(\\*(\\w+)\\)\\([^;]*= \\(void \\*\\) ${id};`).exec(defs)?.[1];
  return name ? `${name}() (#${id})` : `helper #${id}`;
}

/** The verifier's words on a helper the program calls: "invalid func" means this kernel has no such
 *  helper; "unknown func" that it exists but this program type may not call it. Either way the program's
 *  choice of helper is at fault, not the hook: it is a failure, never "unsupported on this kernel". */
function helperProblem(stderr: string, program: string): string | null {
  const match = /(unknown|invalid) func (\w+)#(\d+)/.exec(stderr);
  if (!match) return null;
  const [, kind, name, id] = match;
  const helper = name === 'unknown' ? helperName(Number(id)) : `${name}() (#${id})`;
  return kind === 'invalid'
    ? `the program ${program} calls ${helper}, which this kernel does not have: a limit of the program, not of its hook`
    : `the program ${program} calls ${helper}, which this kernel does not allow in its program type: a limit of the program, not of its hook`;
}

export function serverFailure(
  kind: string,
  program: string,
  what: string,
  error: Extract<ServerMessage, { type: 'error' }> | undefined,
  exit: string,
  stderr: string,
): HarnessError {
  const code = error ? STAGE_EXIT[error.stage] : EXIT.runFailed;
  const reason = error ? `${error.message} (stage ${error.stage})` : exit;
  // The verifier's log as the server captured it, then anything else it wrote or threw.
  const details = [error?.verifier, stderr].filter(Boolean).join('\n');
  const helper = error?.stage === 'load' ? helperProblem(details, program) : null;
  const headline = helper ?? `server ${kind} failed ${what}: ${reason}`;
  return new HarnessError(code, `${headline}${details ? `\n${details}` : ''}`);
}
