// Entry point: `experiment <name…|all> [--kernel …]`, `import <kernel-log> <user-log> …` and `kernels`.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { cleanupOnExit, exitAfterCleanup } from './support/cleanup.ts';
import { EXIT, HarnessError, describeError } from './support/errors.ts';
import { LOGS_DIR, RESULTS_DIR } from './support/paths.ts';
import { importResults, runExperiments, type Outcome } from './pipeline.ts';
import { exitCode } from './vocabulary/run-status.ts';
import { hookNamed } from './hooks/index.ts';
import { paintStatus, painter, sideBySide, type Paint } from './report/terminal.ts';
import { availableKernels, cachedKernels, KERNEL_SERIES, type KernelSeries } from './vm/kernels.ts';
import { runInVm } from './vm/run-in-vm.ts';
import { EXPERIMENTS, findExperiment } from '../experiments/index.ts';
import type { ExperimentSpec } from '../experiments/spec.ts';

const NAMES = EXPERIMENTS.map((e) => e.name).join(', ');

const USAGE = `Usage:
  npm run experiment -- <name…|all> [--channel ringbuf|trace_pipe] [--topology loopback|veth] [--jobs N] [--results DIR] [--logs DIR]
  npm run experiment -- <name…|all> --kernel <${KERNEL_SERIES.join('|')}> [--channel …] [--topology …]
  npm run import -- <kernelspace-log> <userspace-log> --as <name> --out DIR [--tag HEX] [--kernel RELEASE]
  npm run kernels

Experiments: ${NAMES}.
  --channel   how the filter hands its dump over: a BPF ring buffer (default) or trace_pipe, as in 2017
  --topology  run the socket experiments on loopback or between two namespaces joined by veth
              (hook experiments always run on the topology they name)
  --results   where result folders go (default: results/)
  --logs      where the raw kernel and server logs go, importable later (default: build/runs/)
  --verbose   also print the annotated hex dumps of every experiment
  --profile   progress lines carry the milliseconds since each experiment started (where the time goes)
  --jobs      how many experiments run at once, each in its own namespaces (default: the number of cores)
  --kernel    boot that Debian kernel in QEMU and run there; results go to <results>/kernels/<release>/
Kernels lists the Debian kernels --kernel can fetch, and those already cached.
Import reads a trace_pipe log (this harness's or the 2017 study's format) and a server log, and writes the
same report files into DIR.`;

function usageError(message: string): HarnessError {
  return new HarnessError(EXIT.usage, `${message}\n\n${USAGE}`);
}

/** parseArgs rejects unknown flags and missing values: those are usage errors. */
function usageOnError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw usageError((error as Error).message);
  }
}

const HELP = { type: 'boolean', short: 'h' } as const;

/** Experiment names from the command line; `all` means the whole catalogue. */
function selectExperiments(names: string[]): ExperimentSpec[] {
  if (names.length === 0) throw usageError('name at least one experiment, or all');
  if (names.includes('all')) return [...EXPERIMENTS];
  return [...new Set(names)].map((name) => {
    const spec = findExperiment(name);
    if (!spec) throw usageError(`unknown experiment "${name}" (known: ${NAMES}, all)`);
    return spec;
  });
}

async function experimentCommand(args: string[]): Promise<number> {
  const { values, positionals } = usageOnError(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        channel: { type: 'string', default: 'ringbuf' },
        results: { type: 'string', default: RESULTS_DIR },
        logs: { type: 'string', default: LOGS_DIR },
        topology: { type: 'string' },
        kernel: { type: 'string' },
        jobs: { type: 'string', default: String(cpus().length) },
        verbose: { type: 'boolean', short: 'v' },
        profile: { type: 'boolean' },
        help: HELP,
      },
    }),
  );
  if (values.help) return help();
  const { channel, results, logs, topology } = values;
  if (channel !== 'ringbuf' && channel !== 'trace_pipe') throw usageError(`unknown channel "${channel}"`);
  if (topology !== undefined && topology !== 'loopback' && topology !== 'veth') throw usageError(`unknown topology "${topology}"`);
  const specs = selectExperiments(positionals);
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw usageError(`--jobs takes a whole number of at least 1, not "${values.jobs}"`);
  if (topology !== undefined && !specs.some((s) => hookNamed(s.hook).attachesTo === 'socket')) {
    throw usageError(`--topology applies to socket experiments only, and none of ${positionals.join(', ')} is one`);
  }
  if (values.kernel !== undefined && args.some((a) => /^--logs(=|$)/.test(a))) {
    throw usageError('--logs and --kernel conflict: a VM run keeps its logs inside the guest');
  }
  if (values.kernel !== undefined) {
    const guestFlags = ['--channel', channel, ...(topology ? ['--topology', topology] : []), ...(values.profile ? ['--profile'] : [])];
    return kernelCommand(values.kernel, specs.map((s) => s.name), guestFlags, positionals.includes('all'), results);
  }
  const outcomes = await runExperiments(specs, { channel, topology, resultsDir: results, logsDir: logs, jobs, profile: values.profile, log: console.log });
  const paint = painter();
  for (const o of outcomes) {
    if (o.summary.kernel_view.packets.length + o.summary.user_view.reads.length === 0) continue;
    console.log(`\n${paint('bold', o.spec.name)}: ${o.spec.title}\n${sideBySide(o.summary, paint)}`);
    if (values.verbose) {
      for (const file of ['kernelspace.txt', 'userspace.txt']) console.log(`\n${readFileSync(join(results, o.spec.name, file), 'utf8')}`);
    }
  }
  console.log(`\n${verdicts(outcomes, results, paint)}`);
  console.log(
    `\nSee them byte by byte: ${displayPath(join(results, 'index.html'))} in a browser, ` +
      `or ${displayPath(join(results, outcomes.length === 1 ? outcomes[0].spec.name : '<experiment>', 'kernelspace.pcapng'))} in Wireshark.`,
  );
  return exitCode(outcomes.map((o) => o.summary.status), positionals.includes('all'));
}

/** One line per experiment; `flat` when results sit directly in `dir` (import) rather than in dir/<name>. */
function verdicts(outcomes: Outcome[], dir: string, paint: Paint, flat = false): string {
  const width = Math.max(...outcomes.map((o) => o.spec.name.length));
  return outcomes
    .map((o) => {
      const name = o.spec.name.padEnd(width);
      const s = o.summary;
      if (s.status.kind === 'unsupported') return `${name}  ${paintStatus(paint, s, s.overview.status)}`;
      if (s.status.kind === 'failed' && !o.summary.kernel_view.packets.length) {
        return `${name}  ${paintStatus(paint, s, 'failed'.padEnd(10))}  ${s.status.reason}`;
      }
      const first = [...new Set(s.kernel_view.packets.map((p) => p.starts_with))].join('/') || 'nothing';
      const facts = `${s.kernel_view.packets.length} packet(s) from ${first}, ${s.user_view.reads.length} read(s)`.padEnd(36);
      const why = s.original.differences.map((d) => d.kind).join(', ');
      const verdict = s.original.status === 'no-counterpart' ? s.overview.status : s.original.status;
      return `${name}  ${paintStatus(paint, s, verdict.padEnd(10))}  ${facts}${why ? ` — ${why}` : ''}  (${displayPath(join(dir, flat ? '' : s.experiment, 'report.md'))})`;
    })
    .join('\n');
}

/** The same experiments in a VM on another kernel. The guest writes into a shared folder, and we copy
 *  to <results>/kernels/<release>/. */
async function kernelCommand(series: string, experiments: string[], guestFlags: string[], all: boolean, resultsDir: string): Promise<number> {
  if (!(KERNEL_SERIES as readonly string[]).includes(series)) {
    throw usageError(`unknown kernel "${series}" (known: ${KERNEL_SERIES.join(', ')}; npm run kernels lists them)`);
  }
  const run = await runInVm({ series: series as KernelSeries, experiments, guestFlags, all, resultsDir, log: console.log });
  console.log(
    `\n[vm] ${run.release}: guest exit ${run.exitCode}, booted in ${run.bootSeconds.toFixed(1)} s, ` +
      `${run.totalSeconds.toFixed(1)} s in all; results in ${displayPath(join(resultsDir, 'kernels', run.release))}/`,
  );
  return run.exitCode;
}

async function kernelsCommand(args: string[]): Promise<number> {
  const { values } = usageOnError(() => parseArgs({ args, options: { help: HELP } }));
  if (values.help) return help();
  const cached = new Set(cachedKernels().map((k) => k.release));
  for (const k of await availableKernels(console.log)) {
    console.log(`${k.series.padEnd(7)} ${k.release.padEnd(34)} ${k.suite.padEnd(10)} ${cached.has(k.release) ? 'cached' : 'not cached'}`);
  }
  return EXIT.ok;
}

/** Relative to the working directory when inside it, absolute otherwise. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

async function importCommand(args: string[]): Promise<number> {
  const { values, positionals } = usageOnError(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: { as: { type: 'string' }, out: { type: 'string' }, tag: { type: 'string' }, kernel: { type: 'string' }, help: HELP },
    }),
  );
  if (values.help) return help();
  if (positionals.length !== 2) throw usageError('import takes two files: the kernelspace log and the userspace log');
  if (!values.as) throw usageError('--as is required: which experiment the logs come from');
  if (!values.out) throw usageError('--out is required: the folder to write the report into');
  const [spec] = selectExperiments([values.as]);
  const tag = values.tag === undefined ? undefined : Number.parseInt(values.tag, 16);
  if (tag !== undefined && !(tag >= 0 && tag <= 0xffff)) throw usageError(`--tag takes a 16-bit hex number, not "${values.tag}"`);
  const [kernelLog, userLog] = positionals;
  const summary = importResults({ spec, kernelLog, userLog, out: values.out, tag, kernel: values.kernel });
  console.log(verdicts([{ spec, summary }], values.out, painter(), true));
  return EXIT.ok;
}

function help(): number {
  console.log(USAGE);
  return EXIT.ok;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'experiment') return experimentCommand(rest);
  if (command === 'import') return importCommand(rest);
  if (command === 'kernels') return kernelsCommand(rest);
  if (command === undefined || command === '--help' || command === '-h') return help();
  throw usageError(`unknown command "${command}"`);
}

cleanupOnExit();
let code: number;
try {
  code = await main(process.argv.slice(2));
} catch (error) {
  const e = error instanceof HarnessError ? error : new HarnessError(EXIT.bug, 'unexpected failure', { cause: error });
  console.error(`error: ${describeError(e)}`);
  code = e.code;
}
await exitAfterCleanup(code);
