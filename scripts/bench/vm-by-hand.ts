// The floor of a VM run: the same guest (kernel, initramfs, QEMU, virtiofs) running the tcp exchange by hand
// (bare.c and ncat in a namespace, no harness), timed from the host like `--kernel … tcp`.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ownedName } from '../support/owned-names.ts';
import { ROOT } from '../support/paths.ts';
import { GUEST, buildInitramfs } from '../vm/initramfs.ts';
import { fetchKernel, type KernelSeries } from '../vm/kernels.ts';
import { boot } from '../vm/qemu.ts';
import { guestPreamble } from '../vm/run-in-vm.ts';

export async function vmByHand(series: KernelSeries, bare: string): Promise<{ release: string; seconds: number }> {
  const kernel = await fetchKernel(series, () => {});
  const initrd = await buildInitramfs(kernel.modulesDir, join(ROOT, 'build', 'kernels', kernel.release));
  const runDir = join(ROOT, 'build', 'vm', ownedName(`bench-${kernel.release}`));
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(join(runDir, 'out'), { recursive: true });
  const out = GUEST.outDir;
  const script = [
    ...guestPreamble(),
    `cd '${ROOT}'`,
    'ip netns add bench && ip -n bench link set lo up',
    `ip netns exec bench ${bare} tcp > /run/bare.out 2>&1 &`,
    'until grep -q ready /run/bare.out; do sleep 0.05; done',
    'echo 0123456789 | ip netns exec bench ncat 127.0.0.1 16962',
    'wait',
    `echo $? > ${out}/exit-code`,
    '',
  ].join('\n');
  const started = Date.now();
  await boot({ vmlinuz: kernel.vmlinuz, initrd, runDir, script, timeoutMs: 5 * 60_000 });
  const seconds = (Date.now() - started) / 1000;
  rmSync(runDir, { recursive: true, force: true });
  return { release: kernel.release, seconds };
}
