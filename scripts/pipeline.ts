// The pipeline, stage by stage: hook probe → capture (topology, server, traffic) → analysis → results/<name>/,
// then the overview; and the same tail for logs imported from elsewhere.
import { mkdirSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { analyze } from './analysis/analyze.ts';
import { buildBpf } from './run/setup/build-bpf.ts';
import { capture } from './run/run-experiment.ts';
import { observationsFromLogs, type ImportOptions } from './run/from-logs.ts';
import { interrupted } from './support/cleanup.ts';
import { renderKernelLog, renderUserLog } from './run/capture/dump-log.ts';
import { HarnessError, EXIT, describeError, outputError } from './support/errors.ts';
import { resolveHook } from './run/setup/hook-support.ts';
import { failedCheck } from './analysis/cross-checks.ts';
import { hookNamed } from './hooks/index.ts';
import { prewarmServerThreads } from './run/server/server-thread.ts';
import type { RunStatus } from './vocabulary/run-status.ts';
import { sweepStale } from './run/setup/sweep-stale.ts';
import { openResults, writeRefused, type ResultsCommit } from './report/results-commit.ts';
import { requireRoot, requireTools } from './run/setup/preflight.ts';
import { writeResults } from './report/write-results.ts';
import { buildSummary, type Summary } from './report/summary-json.ts';
import { toolVersions } from './run/setup/tool-versions.ts';
import { guardPrintkEvent, type PrintkGuard } from './support/printk-event.ts';
import { displayPath } from './support/paths.ts';
import type { ToolVersions } from './vocabulary/observations.ts';
import type { ExperimentSpec } from '../experiments/spec.ts';
import type { CaptureChannel } from './run/server/ipc.ts';
import { serverAddress } from './vocabulary/addresses.ts';
import type { Observations } from './vocabulary/observations.ts';

export interface RunOptions {
  channel: CaptureChannel;
  resultsDir: string;
  /** Where the raw kernel and server logs go (importable with `npm run import`). */
  logsDir: string;
  /** How many experiments run at once. */
  jobs: number;
  /** Progress lines carry the time since the experiment (or the run, for setup) started. */
  profile?: boolean;
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

/** What one experiment's run left: its summary, whatever the status. */
export interface Outcome {
  spec: ExperimentSpec;
  summary: Summary;
}

/** Runs the experiments, `jobs` at a time; one failing does not stop the others. */
export async function runExperiments(specs: ExperimentSpec[], opts: RunOptions): Promise<Outcome[]> {
  requireRoot('npm run experiment');
  requireTools();
  if (opts.profile) opts.log(`[setup] +${Math.round(performance.now())} ms since node started: the harness's code loaded`);
  // The server threads start loading while the run sets up (a thread's start costs a second under TCG).
  const threaded = specs.filter((s) => !hookNamed(s.hook).ownProcess).length;
  prewarmServerThreads(Math.min(opts.jobs, threaded));
  // Independent of each other: together they cost the slowest, not the sum (a single run's start-up).
  const timed = async <T>(what: string, step: Promise<T>): Promise<T> => {
    const value = await step;
    if (opts.profile) opts.log(`[setup] +${Math.round(performance.now())} ms since node started: ${what} done`);
    return value;
  };
  // The tracing state is noted after the sweep: it may restore what a killed run changed.
  const sweptThenNoted = async () => {
    const stale = await timed('sweep', sweepStale());
    return { stale, printk: await timed('tracing state noted', guardPrintkEvent()) };
  };
  const [results, { stale, printk }, built, tools] = await Promise.all([
    timed('results folder opened', openResults(opts.resultsDir, opts.log)),
    sweptThenNoted(),
    timed('BPF build check', buildBpf()),
    timed('tool versions', toolVersions()),
  ]);
  stale.push(...results.recovered);
  if (stale.length) opts.log(`[setup] removed what earlier runs that were killed left behind:\n  ${stale.join('\n  ')}`);
  opts.log(`[setup] BPF objects ${built.length ? `compiled: ${built.join(', ')}` : 'up to date'}`);
  // Experiments live in namespaces of their own, so they can run side by side: one per core.
  const slots: (Outcome | null)[] = [];
  let next = 0;
  const worker = async () => {
    while (next < specs.length && !interrupted()) {
      const i = next++;
      slots[i] = await runOne(specs[i], opts, { tools, results, printk });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs, specs.length)) }, worker));
  const outcomes = slots.filter((o): o is Outcome => o !== null && o !== undefined);
  await results.commit(['']);
  return outcomes;
}

/** One experiment: hook probe, capture, logs, analysis, result folder — whatever happens, a summary with
 *  its status. null when an interrupt cut it short. */
/** What the run's setup made for every experiment. */
interface RunContext {
  tools: ToolVersions;
  results: ResultsCommit;
  printk: PrintkGuard;
}

async function runOne(spec: ExperimentSpec, opts: RunOptions, { tools, results, printk }: RunContext): Promise<Outcome | null> {
  const started = performance.now();
  // --profile: when each stage ended, from the experiment's start (where a run's time goes).
  const progress = (line: string) =>
    opts.log(`[${spec.name}] ${opts.profile ? `+${Math.round(performance.now() - started)} ms ` : ''}${line}`);
  const resultDir = join(opts.resultsDir, spec.name);
  const staged = results.folder(spec.name);
  const notRun = (status: RunStatus) => {
    const summary = buildSummary(analyze(spec, nothingObserved(spec, opts.channel), { ran: false }), tools, status, null);
    writeResults(staged, summary, spec, { indexAbove: true });
    return summary;
  };
  try {
    const resolution = await resolveHook(spec);
    if (resolution.kind === 'unsupported') {
      // Not a failure: the matrix says so, with the reason.
      const summary = notRun({ kind: 'unsupported', ...resolution.lack });
      progress(`${summary.overview.status}; wrote ${displayPath(resultDir)}/`);
      return { spec, summary };
    }
    const { spec: effective } = resolution;
    const note = resolution.kind === 'fallback' ? resolution.note : null;
    if (note) progress(note);
    const { observations, rawKernelLog } = await capture(effective, { channel: opts.channel, topology: effective.topology, progress, printk });
    const logDir = join(opts.logsDir, spec.name);
    try {
      mkdirSync(logDir, { recursive: true });
      writeFileSync(join(logDir, 'kernelspace.log'), rawKernelLog ?? renderKernelLog(observations.packets));
      writeFileSync(join(logDir, 'userspace.log'), renderUserLog(observations.reads));
    } catch (error) {
      throw outputError(error, opts.logsDir) ?? error;
    }
    const analysis = analyze(effective, observations);
    const status: RunStatus =
      failedCheck(analysis.checks) ??
      (resolution.kind === 'fallback' ? { kind: 'fallback', hook: effective.hook, reason: resolution.lack.reason } : { kind: 'ok' });
    const summary = buildSummary(analysis, tools, status, note);
    writeResults(staged, summary, effective, { indexAbove: true });
    progress(
      `${observations.packets.length} packet(s) seen by the filter, ${observations.reads.length} read(s); ` +
        `wrote ${displayPath(resultDir)}/ (raw logs in ${displayPath(logDir)}/)` +
        (status.kind === 'failed' ? `\nFAILED: ${status.reason}` : ''),
    );
    return { spec, summary };
  } catch (error) {
    if (interrupted()) return null; // the cleanup pulled things from under this run: not a finding
    // A full or read-only disk ends the whole run: every other experiment would fail the same way.
    const refused = writeRefused(error, opts.resultsDir);
    if (refused instanceof HarnessError && refused.code === EXIT.output) throw refused;
    const failure = error instanceof HarnessError ? error : new HarnessError(EXIT.bug, 'unexpected failure', { cause: error });
    progress(`FAILED: ${describeError(failure)}`);
    const summary = notRun({ kind: 'failed', reason: failure.message.split('\n')[0], exit_code: failure.code });
    return { spec, summary };
  }
}

/** `npm run import`: logs made elsewhere, analysed and written like a run's results (into `out` itself,
 *  which appears whole or not at all). */
export async function importResults(opts: ImportOptions & { out: string }): Promise<Summary> {
  const summary = buildSummary(analyze(opts.spec, observationsFromLogs(opts)), null, { kind: 'ok' }, null);
  const out = resolve(opts.out);
  const results = await openResults(dirname(out), () => {});
  try {
    writeResults(results.folder(basename(out)), summary, opts.spec, { indexAbove: false });
  } catch (error) {
    throw writeRefused(error, dirname(out));
  }
  await results.commit([]);
  return summary;
}
