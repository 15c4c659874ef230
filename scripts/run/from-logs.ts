// The other source of observations: captures made elsewhere (this harness's logs or the 2017 study's),
// read from their text logs instead of from a run.
import { readFileSync } from 'node:fs';
import { DumpLogError, parseKernelLog, parseUserLog } from './capture/dump-log.ts';
import { EXIT, HarnessError } from '../support/errors.ts';
import { serverAddress } from '../vocabulary/addresses.ts';
import type { ExperimentSpec } from '../../experiments/spec.ts';
import type { Observations } from '../vocabulary/observations.ts';

export interface ImportOptions {
  spec: ExperimentSpec;
  kernelLog: string;
  userLog: string;
  tag?: number;
  kernel?: string;
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new HarnessError(EXIT.usage, `cannot read ${path}: ${(error as Error).message}`);
  }
}

function parseLog<T>(path: string, parse: (text: string) => T): T {
  try {
    return parse(readLog(path));
  } catch (error) {
    if (error instanceof DumpLogError) {
      throw new HarnessError(EXIT.usage, `${path}: ${error.message} (import takes the kernelspace log first, then the userspace log)`);
    }
    throw error;
  }
}

export function observationsFromLogs(opts: ImportOptions): Observations {
  const kernel = parseLog(opts.kernelLog, (text) => parseKernelLog(text, { tag: opts.tag }));
  if (opts.tag === undefined && kernel.tags.length > 1) {
    const tags = kernel.tags.map((t) => t.toString(16)).join(', ');
    throw new HarnessError(EXIT.usage, `${opts.kernelLog} holds the lines of several runs (tags ${tags}): pick one with --tag`);
  }
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
