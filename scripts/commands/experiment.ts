// `npm run experiment -- <name…|all> [--kernel …]`: run experiments here, or in a VM on another kernel.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LOGS_DIR, RESULTS_DIR, displayPath } from '../support/paths.ts';
import { runExperiments } from '../pipeline.ts';
import { exitCode } from '../vocabulary/run-status.ts';
import { hookNamed } from '../hooks/index.ts';
import { experimentView, painter } from '../report/terminal.ts';
import { colouredDumps } from '../report/terminal-dump.ts';
import { KERNEL_NAMES, type KernelName } from '../vm/kernels.ts';
import { runInVm } from '../vm/run-in-vm.ts';
import { HELP, help, selectExperiments, usageError, usageOnError } from './usage.ts';
import { verdicts } from './verdicts.ts';
import { onTopology } from '../../experiments/spec.ts';
import { CAPTURE_CHANNELS, type CaptureChannel } from '../vocabulary/observations.ts';

const isCaptureChannel = (name: string): name is CaptureChannel => (CAPTURE_CHANNELS as readonly string[]).includes(name);

export async function experimentCommand(args: string[]): Promise<number> {
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
  if (!isCaptureChannel(channel)) throw usageError(`unknown channel "${channel}"`);
  if (topology !== undefined && topology !== 'loopback' && topology !== 'veth') throw usageError(`unknown topology "${topology}"`);
  // A socket experiment on the other topology is an experiment of its own (raw-veth): its own results folder.
  const selected = selectExperiments(positionals);
  const specs = selected.map((s) =>
    topology !== undefined && hookNamed(s.hook).attachesTo === 'socket' ? onTopology(s, topology) : s,
  );
  for (const s of specs) if (topology !== undefined && s.topologyFixed && s.topology !== topology) console.log(`[${s.name}] runs on ${s.topology} only: ${s.topologyFixed}`);
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
    return kernelCommand(values.kernel, selected.map((s) => s.name), guestFlags, positionals.includes('all'), results);
  }
  const outcomes = await runExperiments(specs, { channel, resultsDir: results, logsDir: logs, jobs, profile: values.profile, log: console.log });
  const paint = painter();
  for (const o of outcomes) {
    const { kernel_view: k, user_view: u } = o.summary;
    if (k.packets.length + u.reads.length + k.maps.length === 0) continue;
    console.log(`\n${experimentView(o.summary, o.spec.hook, paint)}`);
    if (values.verbose) {
      // In colour where the terminal has it; otherwise the plain dumps, which mark masked bytes as xx too.
      if (paint.colours) console.log(`\n${colouredDumps(o.summary, paint)}`);
      else for (const file of ['kernelspace.txt', 'userspace.txt']) console.log(`\n${readFileSync(join(results, o.spec.name, file), 'utf8')}`);
    }
  }
  console.log(`\n${verdicts(outcomes, results, paint)}`);
  // Only where a run has bytes to look at (a failed or unsupported one has none).
  const shown = outcomes.filter((o) => o.summary.kernel_view.packets.length);
  if (shown.length) {
    console.log(
      `\nSee them byte by byte: ${displayPath(join(results, 'index.html'))} in a browser,\n` +
        `or ${displayPath(join(results, shown.length === 1 ? shown[0].spec.name : '<experiment>', 'kernelspace.pcapng'))} in Wireshark.`,
    );
  }
  return exitCode(outcomes.map((o) => o.summary.status), positionals.includes('all'));
}

/** The same experiments in a VM on another kernel. The guest writes into a shared folder, and we copy
 *  to <results>/kernels/<release>/. */
async function kernelCommand(series: string, experiments: string[], guestFlags: string[], all: boolean, resultsDir: string): Promise<number> {
  if (!(KERNEL_NAMES as readonly string[]).includes(series)) {
    throw usageError(`unknown kernel "${series}" (known: ${KERNEL_NAMES.join(', ')}; npm run kernels lists them)`);
  }
  const run = await runInVm({ series: series as KernelName, experiments, guestFlags, all, resultsDir, log: console.log });
  console.log(
    `\n[vm] ${run.release}: guest exit ${run.exitCode}, booted in ${run.bootSeconds.toFixed(1)} s, ` +
      `${run.totalSeconds.toFixed(1)} s in all; results in ${displayPath(join(resultsDir, 'kernels', run.release))}/`,
  );
  return run.exitCode;
}

