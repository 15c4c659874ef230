// Slow: boots a Debian kernel other than the host's under QEMU (TCG here: about a minute) and checks one
// experiment's facts inside it. Needs root (and the network once, to fetch the kernel package).
import t from 'tap';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { release } from 'node:os';
import { execa } from 'execa';
import { NEEDS_ROOT, cli, readSummary, tempDir } from '../helpers.ts';
import { ROOT } from '../../scripts/support/paths.ts';
import { cleanupAll } from '../../scripts/support/cleanup.ts';
import { HarnessError } from '../../scripts/support/errors.ts';
import { buildInitramfs } from '../../scripts/vm/initramfs.ts';
import { fetchKernel } from '../../scripts/vm/kernels.ts';
import { boot } from '../../scripts/vm/qemu.ts';

const SERIES = '6.12';

t.test(`tcp inside a VM running Debian's ${SERIES} kernel`, { skip: NEEDS_ROOT, timeout: 15 * 60_000 }, async (t) => {
  const results = tempDir('vm');
  const child = cli(['experiment', 'tcp', '--kernel', SERIES, '--results', results]);
  const run = await child;
  t.equal(run.exitCode, 0, run.all);
  t.match(run.stdout, /\[vm\] booted in [\d.]+ s/, 'the guest reports its boot time');
  const [guest] = readdirSync(join(results, 'kernels'), { withFileTypes: true }).filter((d) => d.isDirectory());
  t.match(guest.name, new RegExp(`^${SERIES.replace('.', '\\.')}\\.`), `ran on ${guest.name}`);
  t.not(guest.name, release(), 'not the host kernel');
  const s = readSummary(join(results, 'kernels', guest.name), 'tcp');
  t.equal(s.kernel, guest.name, 'summary.json names the guest kernel');
  t.same(s.kernel_view.packets.map((p) => [p.starts_with, p.tcp_flags, p.length]), [
    ['tcp', ['SYN'], 40],
    ['tcp', ['ACK'], 32],
    ['tcp', ['PSH', 'ACK'], 43],
    ['tcp', ['FIN', 'ACK'], 32],
  ]);
  t.same(s.user_view.reads.map((r) => r.found_in), [{ packet: 2, offset: 32 }]);
  t.match(readFileSync(join(results, 'kernels', 'README.md'), 'utf8'), guest.name, 'the cross-kernel table has its column');
  const stray = await execa('pgrep', ['-x', 'qemu-system-x86|virtiofsd'], { reject: false });
  t.equal(stray.stdout, '', 'no QEMU or virtiofsd left running');
});

t.test('a guest that hangs is stopped by the watchdog, with its serial log', { skip: NEEDS_ROOT, timeout: 5 * 60_000 }, async (t) => {
  t.teardown(cleanupAll);
  const kernel = await fetchKernel(SERIES, () => {});
  const runDir = tempDir('vm-hang');
  mkdirSync(join(runDir, 'out'));
  const initrd = await buildInitramfs(kernel.modulesDir, join(ROOT, 'build', 'kernels', kernel.release));
  const error = await boot({ vmlinuz: kernel.vmlinuz, initrd, runDir, script: 'sleep 600\n', timeoutMs: 20_000 }).then(
    () => null,
    (e: unknown) => e,
  );
  t.type(error, HarnessError);
  t.match((error as Error).message, /did not finish within 20 s; its serial log is .*serial\.log/);
  t.match(readFileSync(join(runDir, 'serial.log'), 'utf8'), /edl-init: running the guest command/, 'the serial log shows the boot');
  const stray = await execa('pgrep', ['-x', 'qemu-system-x86|virtiofsd'], { reject: false });
  t.equal(stray.stdout, '', 'QEMU and virtiofsd were killed');
});

t.test('a run on this kernel while a VM run is in progress: both right, neither touches the other', { skip: NEEDS_ROOT, timeout: 15 * 60_000 }, async (t) => {
  const vmResults = tempDir('vm-during');
  const vm = cli(['experiment', 'tcp', '--kernel', SERIES, '--results', vmResults]);
  await new Promise<void>((resolve) => vm.stdout!.on('data', (chunk: Buffer) => /\[vm\] booting/.test(String(chunk)) && resolve()));
  const host = await cli(['experiment', 'tcp', 'udp', '--results', tempDir('host-during'), '--logs', tempDir('host-during-logs')]);
  t.equal(host.exitCode, 0, host.all);
  t.notMatch(host.stdout, /removed what earlier runs/, 'the host run takes nothing of the VM run for a leftover');
  const run = await vm;
  t.equal(run.exitCode, 0, run.all);
  const [guest] = readdirSync(join(vmResults, 'kernels'), { withFileTypes: true }).filter((d) => d.isDirectory());
  t.equal(readSummary(join(vmResults, 'kernels', guest.name), 'tcp').kernel_view.packets.length, 4, 'the guest saw the 4 segments');
});
