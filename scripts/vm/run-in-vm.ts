// `npm run experiment -- <names> --kernel <series>`: the same experiments inside a VM running that kernel.
// Results land in <results>/kernels/<uname -r>/, as a host run would write them, plus the cross-kernel table.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { buildBpf } from '../run/setup/build-bpf.ts';
import { sweepStale } from '../run/setup/sweep-stale.ts';
import { EXIT, HarnessError } from '../support/errors.ts';
import { requireRoot } from '../run/setup/preflight.ts';
import { ROOT, displayPath, projectScript } from '../support/paths.ts';
import { ownedName } from '../support/owned-names.ts';
import { ensureHostPackages } from './host-packages.ts';
import { GUEST, buildInitramfs } from './initramfs.ts';
import { bootableKernel } from './boot-kernel.ts';
import type { KernelName } from './kernel-names.ts';
import { accelerator, boot } from './qemu.ts';
import { openResults, writeRefused } from '../report/results-commit.ts';
import { findExperiment } from '../../experiments/index.ts';
import { hookNamed } from '../hooks/index.ts';

const VM_TIMEOUT_MS = 20 * 60_000;
/** Debian packages the VM runner needs besides the harness's own. */
const VM_PACKAGES = ['qemu-system-x86', 'busybox-static', 'cpio', 'xz-utils', 'zstd'];

export interface VmRunOptions {
  /** A Debian series or a kernel this repository builds (kernel-names.ts). */
  series: KernelName;
  /** The experiments to run, in catalogue order. */
  experiments: string[];
  /** The CLI flags the guests pass on (--channel, --topology, --profile; without --kernel). */
  guestFlags: string[];
  /** The user asked for `all`: a hook this kernel lacks is then a finding, not an error (exit 6). */
  all: boolean;
  /** Results go to <resultsDir>/kernels/<release>/; the host's own results there feed the cross-kernel table. */
  resultsDir: string;
  log: (line: string) => void;
}

export interface VmRun {
  release: string;
  /** The guest harness's exit status. */
  exitCode: number;
  bootSeconds: number;
  totalSeconds: number;
}


/** What every guest script starts with: its own /proc, /sys, /dev and /run, its release and boot time. */
export function guestPreamble(): string[] {
  const out = GUEST.outDir;
  return [
    'mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev',
    // Where a systemd machine has them: the harness then uses these instead of mounting its own (a process
    // started from node costs ~0.3 s under TCG, a busybox mount here almost nothing).
    'mount -t tracefs tracefs /sys/kernel/tracing; mount -t bpf bpf /sys/fs/bpf; mount -t cgroup2 cgroup2 /sys/fs/cgroup',
    // A fresh /run (the host's is visible through the share); /tmp stays: the checkout may live there.
    'mount -t tmpfs tmpfs /run',
    // The host's runs are not the guest's to judge (their beacons live in the host's kernel): the guest's
    // temporary files go to its own /run/tmp, and the host's VM folders and kernel cache are hidden from it.
    'mkdir /run/tmp; export TMPDIR=/run/tmp',
    ...['vm', 'kernels'].map((d) => `[ -d '${ROOT}/build/${d}' ] && mount -t tmpfs tmpfs '${ROOT}/build/${d}'`),
    `uname -r > ${out}/release`,
    `echo "booted in $(cut -d' ' -f1 /proc/uptime) s" >> ${out}/stdout.log`,
  ];
}

/** The guest's script: the preamble, then the harness, output to the share. */
function guestScript(args: string[]): string {
  const out = GUEST.outDir;
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return [
    ...guestPreamble(),
    // The raw logs stay in the guest's own /run (nothing copies them out, and every file written to the share
    // costs FUSE round trips under TCG); the results go to the share.
    `{ cd '${ROOT}' && ${projectScript('scripts/cli').join(' ')} experiment ${quoted} --results ${out}/results --logs /run/edl-logs; } >> ${out}/stdout.log 2>&1`,
    `echo $? > ${out}/exit-code`,
    '',
  ].join('\n');
}

/** Prints the guest's output as it arrives (the share shows its writes at once). */
function follow(path: string, log: (line: string) => void): () => void {
  let shown = 0;
  const timer = setInterval(() => {
    if (!existsSync(path) || statSync(path).size <= shown) return;
    const text = readFileSync(path, 'utf8');
    const complete = text.lastIndexOf('\n') + 1;
    for (const line of text.slice(shown, complete).split('\n').filter(Boolean)) log(line);
    shown = complete;
  }, 250);
  return () => clearInterval(timer);
}

/** A guest's output names paths of the guest's: its results folder becomes the host's folder the results are
 *  copied to, and its raw logs (which stay in the guest) say so. */
function guestToHostPaths(hostResults: string): (line: string) => string {
  return (line) =>
    line
      .replaceAll(`${GUEST.outDir}/results`, hostResults)
      .replace(/\(raw logs in \/run\/edl-logs\/[^)]*\)/, '(raw logs stayed in the guest)');
}

/** How many guests share the experiments: under TCG each emulates one vCPU on one host core, so one guest
 *  per core (a guest's run is CPU-bound); under KVM one guest with two vCPUs does as well. */
function guestCount(experiments: number): number {
  return accelerator().name === 'TCG' ? Math.max(1, Math.min(cpus().length, experiments)) : 1;
}

/** A rough cost of an experiment in a guest, in units of one exchange (measured with --profile under TCG):
 *  each traffic command, a server process of its own (a node start), a veth pair. */
function guestCost(name: string): number {
  const spec = findExperiment(name);
  if (!spec) return 1;
  return 0.7 + 1.1 * spec.traffic.length + (hookNamed(spec.hook).ownProcess ? 1 : 0) + (spec.topology === 'veth' ? 0.3 : 0);
}

/** The experiments shared out so the guests finish together: costliest first, each to the least loaded
 *  guest; each guest then runs its share in catalogue order. */
function share(names: string[], guests: number): string[][] {
  const loads = Array.from({ length: guests }, () => ({ cost: 0, names: [] as string[] }));
  for (const name of [...names].sort((a, b) => guestCost(b) - guestCost(a))) {
    const lightest = loads.reduce((min, g) => (g.cost < min.cost ? g : min));
    lightest.cost += guestCost(name);
    lightest.names.push(name);
  }
  return loads.map((g) => names.filter((n) => g.names.includes(n))).filter((g) => g.length > 0);
}

export async function runInVm(opts: VmRunOptions): Promise<VmRun> {
  requireRoot('npm run experiment -- --kernel');
  const started = Date.now();
  await ensureHostPackages(VM_PACKAGES, '[vm]', opts.log);
  // Opened first: a results folder that cannot be written fails the run before it boots anything.
  const results = await openResults(opts.resultsDir, opts.log);
  const stale = [...results.recovered, ...(await sweepStale())];
  if (stale.length) opts.log(`[vm] removed what earlier runs that were killed left behind:\n  ${stale.join('\n  ')}`);
  await buildBpf(); // the guests share our build/ read-only: compile here, once
  const kernel = await bootableKernel(opts.series, opts.log);
  const initrd = await buildInitramfs(kernel.modulesDir, kernel.initramfsDir);
  const groups = share(opts.experiments, guestCount(opts.experiments.length));
  opts.log(`[vm] booting ${kernel.release} (${accelerator().name}${groups.length > 1 ? `, ${groups.length} guests side by side` : ''})`);
  const runs = await Promise.allSettled(
    groups.map(async (names, i) => {
      const label = groups.length > 1 ? `[vm ${i + 1}]` : '[vm]';
      const runDir = join(ROOT, 'build', 'vm', ownedName(`${kernel.release}-${i + 1}`));
      rmSync(runDir, { recursive: true, force: true });
      mkdirSync(join(runDir, 'out'), { recursive: true });
      const hostPaths = guestToHostPaths(displayPath(join(opts.resultsDir, 'kernels', kernel.release)));
      const stopFollowing = follow(join(runDir, 'out', 'stdout.log'), (line) => opts.log(`${label} ${hostPaths(line)}`));
      const result = await boot({
        vmlinuz: kernel.vmlinuz,
        initrd,
        runDir,
        script: guestScript([...names, ...opts.guestFlags]),
        timeoutMs: VM_TIMEOUT_MS,
      }).finally(stopFollowing);
      const out = result.outDir;
      const release = existsSync(join(out, 'release')) ? readFileSync(join(out, 'release'), 'utf8').trim() : null;
      if (result.exitCode === null || release === null) {
        // Keep the serial log where the user can read it: the run folder is not removed.
        throw new HarnessError(
          EXIT.runFailed,
          `the guest on ${kernel.release} did not finish its run; serial log: ${result.serialLog}\n${tail(result.serialLog)}`,
        );
      }
      const booted = /booted in ([\d.]+) s/.exec(readFileSync(join(out, 'stdout.log'), 'utf8'));
      return { runDir, out, release, exitCode: result.exitCode, bootSeconds: booted ? Number(booted[1]) : NaN };
    }),
  );
  const failed = runs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const guests = runs.map((r) => (r as PromiseFulfilledResult<GuestRun>).value);
  const release = guests[0].release;
  const kernelResults = join('kernels', release);
  for (const { out } of guests) {
    const guestResults = join(out, 'results');
    if (!existsSync(guestResults)) continue;
    // The experiment folders; each guest's overview lists only what it ran, so the commit renders this
    // kernel's overview (and the kernel table) from everything this kernel has.
    for (const entry of readdirSync(guestResults).filter((e) => statSync(join(guestResults, e)).isDirectory())) {
      try {
        cpSync(join(guestResults, entry), results.folder(join(kernelResults, entry)), { recursive: true });
      } catch (error) {
        throw writeRefused(error, opts.resultsDir);
      }
    }
  }
  await results.commit([kernelResults]);
  // Only successful runs' folders go: a failed one keeps its serial log for the user.
  for (const { runDir } of guests) rmSync(runDir, { recursive: true, force: true });
  return {
    release,
    exitCode: guests.find((g) => g.exitCode !== EXIT.ok && !(opts.all && g.exitCode === EXIT.unsupported))?.exitCode ?? EXIT.ok,
    bootSeconds: Math.max(...guests.map((g) => g.bootSeconds)),
    totalSeconds: (Date.now() - started) / 1000,
  };
}

interface GuestRun {
  runDir: string;
  out: string;
  release: string;
  exitCode: number;
  bootSeconds: number;
}

function tail(path: string, lines = 15): string {
  return existsSync(path) ? readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no serial output)';
}
