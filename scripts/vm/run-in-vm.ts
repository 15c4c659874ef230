// `npm run experiment -- <names> --kernel <series>`: the same experiments inside a VM running that kernel.
// Results land in <results>/kernels/<uname -r>/, as a host run would write them, plus the cross-kernel table.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildBpf } from '../run/setup/build-bpf.ts';
import { sweepStale } from '../run/setup/sweep-stale.ts';
import { EXIT, HarnessError } from '../support/errors.ts';
import { requireRoot } from '../run/setup/preflight.ts';
import { ROOT, projectScript } from '../support/paths.ts';
import { GUEST, buildInitramfs } from './initramfs.ts';
import { fetchKernel, type KernelSeries } from './kernels.ts';
import { writeKernelTable } from '../report/kernel-matrix.ts';
import { accelerator, boot } from './qemu.ts';
import { writeOverview } from '../report/write-matrix.ts';
import { EXPERIMENTS } from '../../experiments/index.ts';

const VM_TIMEOUT_MS = 20 * 60_000;
/** Debian packages the VM runner needs besides the harness's own. */
const VM_PACKAGES = ['qemu-system-x86', 'busybox-static', 'cpio', 'xz-utils', 'zstd'];

export interface VmRunOptions {
  series: KernelSeries;
  /** The CLI arguments the guest passes on (experiment names and flags, without --kernel). */
  guestArgs: string[];
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

/** Installs the VM tools on first use; quiet when they are there. */
async function ensureVmTools(log: (line: string) => void): Promise<void> {
  const { stdout } = await execa('dpkg-query', ['-W', '-f', '${Package} ${db:Status-Status}\\n', ...VM_PACKAGES], { reject: false });
  const installed = new Set(stdout.split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(' ')[0]));
  const missing = VM_PACKAGES.filter((p) => !installed.has(p));
  if (missing.length === 0) return;
  log(`[vm] installing ${missing.join(', ')}`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const update = await execa('apt-get', ['update', '-qq'], { reject: false, env });
  const install = update.exitCode === 0 ? await execa('apt-get', ['install', '-y', '-qq', ...missing], { reject: false, env }) : update;
  if (install.exitCode !== 0) {
    throw new HarnessError(EXIT.missingTool, `could not install ${missing.join(', ')}: ${install.stderr.trim()} — check the apt sources and the network`);
  }
}

/** The guest's script: its own /proc, /sys, /dev, /run and /tmp, then the harness, output to the share. */
function guestScript(args: string[]): string {
  const out = GUEST.outDir;
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return [
    'mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev',
    // A fresh /run (the host's is visible through the share); /tmp stays: the checkout may live there.
    'mount -t tmpfs tmpfs /run',
    `uname -r > ${out}/release`,
    `echo "booted in $(cut -d' ' -f1 /proc/uptime) s" >> ${out}/stdout.log`,
    `{ cd '${ROOT}' && ${projectScript('scripts/cli').join(' ')} experiment ${quoted} --results ${out}/results --logs ${out}/logs; } >> ${out}/stdout.log 2>&1`,
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
    for (const line of text.slice(shown, complete).split('\n').filter(Boolean)) log(`[vm] ${line}`);
    shown = complete;
  }, 250);
  return () => clearInterval(timer);
}

export async function runInVm(opts: VmRunOptions): Promise<VmRun> {
  requireRoot('npm run experiment -- --kernel');
  const started = Date.now();
  await ensureVmTools(opts.log);
  const stale = await sweepStale();
  if (stale.length) opts.log(`[vm] removed what earlier runs that were killed left behind:\n  ${stale.join('\n  ')}`);
  await buildBpf(); // the guest shares our build/ read-only: compile here, once
  const kernel = await fetchKernel(opts.series, opts.log);
  const kernelDir = join(ROOT, 'build', 'kernels', kernel.release);
  const initrd = await buildInitramfs(kernel.modulesDir, kernelDir);
  const runDir = join(ROOT, 'build', 'vm', `${process.pid}-${kernel.release}`);
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(join(runDir, 'out'), { recursive: true });
  opts.log(`[vm] booting ${kernel.release} (${accelerator().name})`);
  const stopFollowing = follow(join(runDir, 'out', 'stdout.log'), opts.log);
  const result = await boot({
    vmlinuz: kernel.vmlinuz,
    initrd,
    runDir,
    script: guestScript(opts.guestArgs),
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
  const kernelsDir = join(opts.resultsDir, 'kernels');
  const target = join(kernelsDir, release);
  if (existsSync(join(out, 'results'))) {
    for (const entry of readdirSync(join(out, 'results'))) {
      rmSync(join(target, entry), { recursive: true, force: true });
      cpSync(join(out, 'results', entry), join(target, entry), { recursive: true });
    }
  }
  // The guest's overview lists only what it ran: rebuild it from everything this kernel has.
  writeOverview(target, EXPERIMENTS.map((e) => e.name));
  writeKernelTable(opts.resultsDir, kernelsDir);
  const booted = /booted in ([\d.]+) s/.exec(readFileSync(join(out, 'stdout.log'), 'utf8'));
  // Only a successful run's folder goes: a failed one keeps its serial log for the user.
  rmSync(runDir, { recursive: true, force: true });
  return {
    release,
    exitCode: result.exitCode,
    bootSeconds: booted ? Number(booted[1]) : NaN,
    totalSeconds: (Date.now() - started) / 1000,
  };
}

function tail(path: string, lines = 15): string {
  return existsSync(path) ? readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no serial output)';
}
