// Brings in captures made elsewhere (this harness's logs or the 2017 study's) and reports on them alike.
import { readFileSync } from 'node:fs';
import { analyze } from '../analysis/analyze.ts';
import { DumpLogError, parseKernelLog, parseUserLog } from './capture/dump-log.ts';
import { EXIT, HarnessError } from '../support/errors.ts';
import { writeResults } from '../report/write-results.ts';
import { buildSummary, type Summary } from '../report/summary-json.ts';
import { serverAddress } from './topology/topology.ts';
import type { ExperimentSpec } from '../../experiments/spec.ts';

export interface ImportOptions {
  spec: ExperimentSpec;
  kernelLog: string;
  userLog: string;
  out: string;
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

export function importLogs(opts: ImportOptions): Summary {
  const kernel = parseLog(opts.kernelLog, (text) => parseKernelLog(text, { tag: opts.tag }));
  if (opts.tag === undefined && kernel.tags.length > 1) {
    const tags = kernel.tags.map((t) => t.toString(16)).join(', ');
    throw new HarnessError(EXIT.usage, `${opts.kernelLog} holds the lines of several runs (tags ${tags}): pick one with --tag`);
  }
  const reads = parseLog(opts.userLog, parseUserLog);
  const analysis = analyze(opts.spec, {
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
  });
  const summary = buildSummary(analysis, null);
  writeResults(opts.out, analysis, summary, { indexAbove: false });
  return summary;
}
