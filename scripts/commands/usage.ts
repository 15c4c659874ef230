// What every command shares: the usage text, usage errors (exit 2), --help, experiment selection, paths as shown.
import { EXIT, HarnessError } from '../support/errors.ts';
import { KERNEL_NAMES, KERNEL_SERIES } from '../vm/kernels.ts';
import { EXPERIMENTS, findExperiment } from '../../experiments/index.ts';
import type { ExperimentSpec } from '../../experiments/spec.ts';
import { CAPTURE_CHANNELS } from '../vocabulary/observations.ts';

export const NAMES = EXPERIMENTS.map((e) => e.name).join(', ');

export const USAGE = `Usage:
  npm run experiment -- <name…|all> [--channel ${CAPTURE_CHANNELS.join('|')}] [--topology loopback|veth] [--jobs N] [--results DIR] [--logs DIR]
  npm run experiment -- <name…|all> --kernel <${KERNEL_NAMES.join('|')}> [--channel …] [--topology …]
  npm run import -- <kernelspace-log> <userspace-log> --as <name> --out DIR [--tag HEX] [--kernel RELEASE]
  npm run kernels [-- --offline]
  npm run kernels -- update [${KERNEL_SERIES.join('|')} …]

Experiments: ${NAMES}.
  --channel   how the filter hands its dump over: a BPF ring buffer (default), trace_pipe as in 2017, or a
              perf event array (bpf_perf_event_output, one buffer per CPU: what kernels before 5.8 have)
  --topology  run the socket experiments on loopback or between two namespaces joined by veth
              (hook experiments always run on the topology they name)
  --results   where result folders go (default: results/)
  --logs      where the raw kernel and server logs go, importable later (default: build/runs/)
  --verbose   also print the annotated hex dumps of every experiment
  --profile   progress lines carry the milliseconds since each experiment started (where the time goes)
  --jobs      how many experiments run at once, each in its own namespaces (default: the number of cores)
  --kernel    boot the Debian kernel kernels.lock.json locks for that series in QEMU and run there; results go
              to <results>/kernels/<release>/
Kernels lists the kernel locked per series, whether it is cached and whether Debian offers a newer one;
"kernels update [series…]" moves the lock and says which results/kernels/ folders become stale.
Import reads a trace_pipe log (this harness's or the 2017 study's format) and a server log, and writes the
same report files into DIR.`;

export function usageError(message: string): HarnessError {
  return new HarnessError(EXIT.usage, `${message}\n\n${USAGE}`);
}

/** parseArgs rejects unknown flags and missing values: those are usage errors. */
export function usageOnError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw usageError((error as Error).message);
  }
}

export const HELP = { type: 'boolean', short: 'h' } as const;

/** Experiment names from the command line; `all` means the whole catalogue. */
export function selectExperiments(names: string[]): ExperimentSpec[] {
  if (names.length === 0) throw usageError('name at least one experiment, or all');
  if (names.includes('all')) return [...EXPERIMENTS];
  return [...new Set(names)].map((name) => {
    const spec = findExperiment(name);
    if (!spec) throw usageError(`unknown experiment "${name}" (known: ${NAMES}, all)`);
    return spec;
  });
}

export function help(): number {
  console.log(USAGE);
  return EXIT.ok;
}

