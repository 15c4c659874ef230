// Boots a kernel under QEMU with the host's root shared read-only (virtiofs) and one writable output
// folder; runs a shell script in the guest and waits, with a watchdog. QEMU and both virtiofsd are
// registered for cleanup, so none outlives a failure or Ctrl-C.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { onCleanup } from '../support/cleanup.ts';
import { EXIT, HarnessError } from '../support/errors.ts';
import { GUEST } from './initramfs.ts';

const VIRTIOFSD = '/usr/lib/qemu/virtiofsd';
const MEMORY = '2G';

export interface Boot {
  vmlinuz: string;
  initrd: string;
  /** A folder of this run: sockets, the serial log, and the guest's output folder (out/). */
  runDir: string;
  /** The script the guest runs (as /bin/sh inside the host's root). */
  script: string;
  timeoutMs: number;
}

export interface BootResult {
  /** The guest script's exit status (null if it never finished). */
  exitCode: number | null;
  serialLog: string;
  outDir: string;
  seconds: number;
}

/** KVM only where the CPU offers virtualisation and /dev/kvm exists: a /dev/kvm without vmx/svm is a
 *  backend stock kernels hang on. What boot() passes to QEMU, and what the logs name. */
export function accelerator(): { name: 'KVM' | 'TCG'; args: string[] } {
  const flags = readFileSync('/proc/cpuinfo', 'utf8');
  if (existsSync('/dev/kvm') && /\b(vmx|svm)\b/.test(flags)) {
    return { name: 'KVM', args: ['-accel', 'kvm', '-cpu', 'host', '-smp', String(Math.min(2, cpus().length))] };
  }
  // TCG: -cx16 avoids a double fault in SLUB seen with Debian 6.12 under QEMU 7.2's "max" CPU, and one
  // vCPU avoids the scheduler panics (ttwu_do_activate) seen with two under multi-threaded TCG.
  return { name: 'TCG', args: ['-accel', 'tcg', '-cpu', 'max,-cx16', '-smp', '1'] };
}

function startVirtiofsd(socket: string, source: string, name: string): { child: ResultPromise; stop: () => Promise<void> } {
  // sandbox=chroot: the default (namespace) pivot_roots into the source, which fails for the root itself.
  const child = execa(VIRTIOFSD, [`--socket-path=${socket}`, '-o', `source=${source}`, '-o', 'cache=always', '-o', 'sandbox=chroot', '-f'], {
    reject: false,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
  });
  const stop = onCleanup(`virtiofsd ${name} (pid ${child.pid})`, async () => {
    child.kill('SIGKILL');
    await child;
  });
  return { child, stop };
}

async function waitForSocket(path: string, child: ResultPromise, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (existsSync(path)) return;
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const result = await Promise.race([child, new Promise((resolve) => setTimeout(resolve, 10))]);
  throw new HarnessError(EXIT.runFailed, `${what} did not start: ${(result as { stderr?: string } | undefined)?.stderr ?? 'no socket'}`);
}

export async function boot(b: Boot): Promise<BootResult> {
  const outDir = join(b.runDir, 'out');
  const serialLog = join(b.runDir, 'serial.log');
  writeFileSync(join(outDir, 'guest.sh'), b.script);
  const rootSocket = join(b.runDir, 'root.sock');
  const outSocket = join(b.runDir, 'out.sock');
  // A socket left by an earlier boot would look ready before virtiofsd listens.
  for (const socket of [rootSocket, outSocket]) rmSync(socket, { force: true });
  const root = startVirtiofsd(rootSocket, '/', 'for the host root');
  const out = startVirtiofsd(outSocket, outDir, 'for the output folder');
  await waitForSocket(rootSocket, root.child, 'virtiofsd (host root)');
  await waitForSocket(outSocket, out.child, 'virtiofsd (output folder)');
  const started = Date.now();
  const qemu = execa(
    'qemu-system-x86_64',
    [
      ...accelerator().args,
      '-m', MEMORY,
      '-object', `memory-backend-memfd,id=mem,size=${MEMORY},share=on`,
      '-numa', 'node,memdev=mem',
      '-chardev', `socket,id=root,path=${rootSocket}`,
      '-device', `vhost-user-fs-pci,chardev=root,tag=${GUEST.hostTag}`,
      '-chardev', `socket,id=out,path=${outSocket}`,
      '-device', `vhost-user-fs-pci,chardev=out,tag=${GUEST.outTag}`,
      '-kernel', b.vmlinuz,
      '-initrd', b.initrd,
      '-append', 'console=ttyS0 panic=-1 quiet',
      '-display', 'none',
      '-serial', `file:${serialLog}`,
      '-monitor', 'none',
      '-no-reboot',
      '-nodefaults',
    ],
    { reject: false, timeout: b.timeoutMs, stdin: 'ignore' },
  );
  const stop = onCleanup(`qemu (pid ${qemu.pid})`, async () => {
    qemu.kill('SIGKILL');
    await qemu;
  });
  const result = await qemu;
  await stop();
  await root.stop();
  await out.stop();
  if (result.timedOut) {
    throw new HarnessError(EXIT.runFailed, `the VM did not finish within ${b.timeoutMs / 1000} s; its serial log is ${serialLog}`);
  }
  if (result.exitCode !== 0) {
    throw new HarnessError(EXIT.runFailed, `QEMU failed (exit ${result.exitCode ?? result.signal}): ${String(result.stderr).trim()}; serial log ${serialLog}`);
  }
  const code = join(outDir, 'exit-code');
  return {
    exitCode: existsSync(code) ? Number(readFileSync(code, 'utf8').trim()) : null,
    serialLog,
    outDir,
    seconds: (Date.now() - started) / 1000,
  };
}
