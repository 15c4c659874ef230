// The other source of observations: captures made elsewhere (this harness's logs or the 2017 study's),
// read from their text logs instead of from a run. Every refusal is a usage error (exit 2) that names the
// file and the line, so a damaged or mismatched log never reaches the analysis.
import { readFileSync } from 'node:fs';
import { DumpLogError, parseKernelLog, parseUserLog, type ParsedKernelLog } from './capture/dump-log.ts';
import { EXIT, HarnessError } from '../support/errors.ts';
import { serverAddress } from '../vocabulary/addresses.ts';
import type { ExperimentSpec } from '../../experiments/spec.ts';
import type { KernelPacket, Observations } from '../vocabulary/observations.ts';

export interface ImportOptions {
  spec: ExperimentSpec;
  kernelLog: string;
  userLog: string;
  tag?: number;
  kernel?: string;
  /** Why a packet cannot be one the experiment's program saw (its view starts at another header), or null.
   *  The command supplies it (it knows the analysis); logs of another experiment are refused at the packet. */
  viewCheck?: (packet: KernelPacket) => string | null;
}

function readLog(path: string): string {
  try {
    // Invalid UTF-8 becomes U+FFFD: in another program's line it is noise, in a dump line it is damage the
    // parser reports with its line.
    return readFileSync(path).toString('utf8');
  } catch (error) {
    throw new HarnessError(EXIT.usage, `cannot read ${path}: ${(error as Error).message}`);
  }
}

/** A refusal naming the file and the line, as the parser's own errors do. */
function refuse(path: string, line: number, reason: string): HarnessError {
  return new HarnessError(EXIT.usage, `${path}: line ${line}: ${reason}`);
}

function parseLog<T>(path: string, parse: (text: string) => T): T {
  try {
    return parse(readLog(path));
  } catch (error) {
    if (error instanceof DumpLogError) {
      const order = error.wrongLog ? ' (import takes the kernelspace log first, then the userspace log)' : '';
      throw new HarnessError(EXIT.usage, `${path}: ${error.message}${order}`);
    }
    throw error;
  }
}

const runName = (run: ParsedKernelLog['runs'][number]) =>
  `${run.tag === null ? 'untagged (study-format) packets' : `tag 0x${run.tag.toString(16)}`} (${run.headers} packet(s), from line ${run.line})`;

/** One capture per import: packets of two runs would make one report of two experiments. The harness's own
 *  trace_pipe logs hold the lines of every experiment that ran beside it, each under its run's tag. */
function refuseSeveralRuns(path: string, log: ParsedKernelLog): void {
  const second = log.runs[1];
  if (!second) return;
  const untagged = log.runs.some((r) => r.tag === null) ? '; untagged packets cannot be picked that way: remove the tagged lines' : '';
  throw refuse(
    path,
    second.line,
    `a second capture starts here: the log holds the lines of ${log.runs.length} runs (${log.runs.map(runName).join('; ')}). ` +
      `Pick one with --tag${untagged}`,
  );
}

/** trace_pipe says where it dropped lines, but not which: a whole packet may be gone without a trace. */
function refuseLostEvents(path: string, log: ParsedKernelLog): void {
  if (!log.lost) return;
  throw refuse(
    path,
    log.lost.line,
    `trace_pipe lost ${log.lost.events} event(s) here, so whole packets may be missing from the log and a report ` +
      'from it would not be faithful; capture again (a larger buffer_size_kb, or the ringbuf channel)',
  );
}

/** Packets whose first header is not where the experiment's program sees packets begin. */
function refuseForeignPackets(path: string, log: ParsedKernelLog, opts: ImportOptions): void {
  if (!opts.viewCheck) return;
  for (const [i, packet] of log.packets.entries()) {
    const problem = opts.viewCheck(packet);
    if (problem) {
      throw refuse(
        path,
        log.headerLines[i],
        `packet #${i} ${problem}: the logs are from another experiment (name it with --as), or this packet's bytes were altered`,
      );
    }
  }
}

export function observationsFromLogs(opts: ImportOptions): Observations {
  const kernel = parseLog(opts.kernelLog, (text) => parseKernelLog(text, { tag: opts.tag }));
  if (opts.tag === undefined) refuseSeveralRuns(opts.kernelLog, kernel);
  refuseLostEvents(opts.kernelLog, kernel);
  refuseForeignPackets(opts.kernelLog, kernel, opts);
  const reads = parseLog(opts.userLog, parseUserLog);
  return {
    experiment: opts.spec.name,
    kernel: opts.kernel ?? 'unknown',
    channel: 'import',
    topology: opts.spec.topology,
    serverAddress: serverAddress(opts.spec.topology, opts.spec.family),
    packets: kernel.packets,
    reads,
    observerReads: [],
    entries: [],
    pinned: [],
    interface: null,
    lost: 0,
  };
}
