// Runs experiments end to end: capture → analysis → results/<name>/, then the overview.
import { mkdirSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { analyze } from './analysis/analyze.ts';
import { buildBpf } from './run/setup/build-bpf.ts';
import { capture } from './run/run-experiment.ts';
import { interrupted } from './support/cleanup.ts';
import { renderKernelLog, renderUserLog } from './run/capture/dump-log.ts';
import { HarnessError, EXIT } from './support/errors.ts';
import { resolveHook } from './run/setup/hook-support.ts';
import { sweepStale } from './run/setup/sweep-stale.ts';
import { writeOverview } from './report/write-matrix.ts';
import { requireRoot, requireTools } from './run/setup/preflight.ts';
import { writeResults } from './report/write-results.ts';
import { buildSummary, type Summary } from './report/summary-json.ts';
import { toolVersions, type ToolVersions } from './run/setup/tool-versions.ts';
import { EXPERIMENTS } from '../experiments/index.ts';
import type { ExperimentSpec } from '../experiments/spec.ts';
import type { CaptureChannel } from './run/server/ipc.ts';
import { serverAddress, type TopologyKind } from './run/topology/topology.ts';
import type { Observations } from './vocabulary/observations.ts';

export interface RunOptions {
  channel: CaptureChannel;
  /** Overrides the experiments' own topology (socket experiments run on either). */
  topology?: TopologyKind;
  resultsDir: string;
  /** Where the raw kernel and server logs go (importable with `npm run import`). */
  logsDir: string;
  /** How many experiments run at once. */
  jobs: number;
  log: (line: string) => void;
}

function nothingObserved(spec: ExperimentSpec, channel: CaptureChannel): Observations {
  return {
    experiment: spec.name,
    kernel: release(),
    channel,
    topology: spec.topology,
    serverAddress: serverAddress(spec.topology, spec.family),
    packets: [],
    reads: [],
    observerReads: [],
    entries: [],
    pinned: [],
    interface: null,
    lost: 0,
  };
}

export type Outcome = { spec: ExperimentSpec; summary: Summary } | { spec: ExperimentSpec; error: HarnessError };

/** Runs each experiment in turn; one failing does not stop the others. */
export async function runExperiments(specs: ExperimentSpec[], opts: RunOptions): Promise<Outcome[]> {
  requireRoot('npm run experiment');
  requireTools();
  // Independent of each other: together they cost the slowest, not the sum (a single run's start-up).
  const [stale, built, tools] = await Promise.all([sweepStale(), buildBpf(), toolVersions()]);
  if (stale.length) opts.log(`[setup] removed what earlier runs that were killed left behind:\n  ${stale.join('\n  ')}`);
  opts.log(`[setup] BPF objects ${built.length ? `compiled: ${built.join(', ')}` : 'up to date'}`);
  // Experiments live in namespaces of their own, so they can run side by side: one per core.
  const slots: (Outcome | null)[] = [];
  let next = 0;
  const worker = async () => {
    while (next < specs.length && !interrupted()) {
      const i = next++;
      slots[i] = await runOne(specs[i], opts, tools);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs, specs.length)) }, worker));
  const outcomes = slots.filter((o): o is Outcome => o !== null && o !== undefined);
  writeOverview(opts.resultsDir, EXPERIMENTS.map((e) => e.name));
  return outcomes;
}

/** One experiment: capture, logs, analysis, result folder. null when an interrupt cut it short. */
async function runOne(spec: ExperimentSpec, opts: RunOptions, tools: ToolVersions): Promise<Outcome | null> {
  const progress = (line: string) => opts.log(`[${spec.name}] ${line}`);
  const resultDir = join(opts.resultsDir, spec.name);
  try {
    const { spec: effective, note } = await resolveHook(spec);
    if (note) progress(note);
    const topology = effective.hook === 'socket' ? (opts.topology ?? effective.topology) : effective.topology;
    const { observations, rawKernelLog } = await capture(effective, { channel: opts.channel, topology, progress });
    const logDir = join(opts.logsDir, spec.name);
    mkdirSync(logDir, { recursive: true });
    writeFileSync(join(logDir, 'kernelspace.log'), rawKernelLog ?? renderKernelLog(observations.packets));
    writeFileSync(join(logDir, 'userspace.log'), renderUserLog(observations.reads));
    const analysis = analyze(effective, observations);
    const summary = buildSummary(analysis, tools, note ? { note, status: `ok, via the ${effective.hook} fallback` } : null);
    writeResults(resultDir, analysis, summary, { indexAbove: true });
    progress(
      `${observations.packets.length} packet(s) seen by the filter, ${observations.reads.length} read(s); ` +
        `wrote ${resultDir}/ (raw logs in ${logDir}/)`,
    );
    return { spec, summary };
  } catch (error) {
    if (error instanceof HarnessError && error.code === EXIT.unsupported) {
      // Not a failure: the matrix says so, with the reason.
      const analysis = analyze(spec, nothingObserved(spec, opts.channel));
      const summary = buildSummary(analysis, tools, { note: null, status: error.message });
      writeResults(resultDir, analysis, summary, { indexAbove: true });
      progress(`${error.message}; wrote ${resultDir}/`);
      return { spec, summary };
    }
    if (interrupted()) return null; // the cleanup pulled things from under this run: not a finding
    const harnessError =
      error instanceof HarnessError ? error : new HarnessError(EXIT.bug, `unexpected failure: ${(error as Error).stack}`);
    progress(`FAILED: ${harnessError.message}`);
    return { spec, error: harnessError };
  }
}
