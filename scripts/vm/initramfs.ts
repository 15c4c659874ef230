// A tiny initramfs per kernel: static busybox, the modules the guest needs (in dependency order), and an
// /init that mounts the host's root read-only over virtiofs under a tmpfs overlay, runs the guest's
// command from the shared output folder, and powers off. No disk image is built or downloaded.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { EXIT, HarnessError } from '../support/errors.ts';

/** What the guest loads: virtio transport and virtiofs to see the host, overlay to write, and the hooks. */
const WANTED = ['virtio_pci', 'virtiofs', 'overlay', 'veth', 'sch_ingress', 'cls_bpf'];

/** Mount points inside the guest. */
export const GUEST = { hostTag: 'hostroot', outTag: 'out', outDir: '/mnt/edl-out' } as const;

const INIT = `#!/bin/busybox sh
# PID 1 in the guest. Anything failing here ends in poweroff, with the reason on the serial console.
B=/bin/busybox
$B mkdir -p /proc /sys /dev /lower /upper /newroot
$B mount -t proc proc /proc
$B mount -t sysfs sysfs /sys
$B mount -t devtmpfs devtmpfs /dev
for m in $($B cat /modules/order); do $B insmod /modules/$m.ko || echo "edl-init: insmod $m failed"; done
$B mount -t virtiofs -o ro ${GUEST.hostTag} /lower || echo "edl-init: cannot mount the host's root"
$B mount -t tmpfs tmpfs /upper
$B mkdir -p /upper/upper /upper/work
$B mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/upper,workdir=/upper/work /newroot
$B mkdir -p /newroot${GUEST.outDir}
$B mount -t virtiofs ${GUEST.outTag} /newroot${GUEST.outDir} || echo "edl-init: cannot mount the output folder"
echo "edl-init: running the guest command"
$B chroot /newroot /bin/sh ${GUEST.outDir}/guest.sh
echo "edl-init: guest command finished"
$B sync
$B poweroff -f
`;

/** Module name as the kernel knows it (file names use - or _ interchangeably). */
const moduleName = (file: string) => basename(file).replace(/\.ko(\.xz|\.zst|\.gz)?$/, '').replace(/-/g, '_');

function findModules(dir: string, found = new Map<string, string>()): Map<string, string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) findModules(path, found);
    else if (/\.ko(\.xz|\.zst|\.gz)?$/.test(entry.name)) found.set(moduleName(entry.name), path);
  }
  return found;
}

/** The module's bytes, decompressed (busybox insmod reads plain .ko files only). */
async function moduleBytes(path: string): Promise<Buffer> {
  const tool = path.endsWith('.xz') ? ['xz', '-dc'] : path.endsWith('.zst') ? ['zstd', '-dc'] : path.endsWith('.gz') ? ['gzip', '-dc'] : null;
  if (!tool) return readFileSync(path);
  const { stdout } = await execa(tool[0], [...tool.slice(1), path], { encoding: 'buffer' });
  return Buffer.from(stdout);
}

/** depends= from the module's .modinfo section (a NUL-separated list of key=value strings). */
function dependencies(ko: Buffer): string[] {
  const at = ko.indexOf('\0depends=');
  if (at < 0) return [];
  const end = ko.indexOf(0, at + 1);
  const list = ko.subarray(at + '\0depends='.length, end).toString();
  return list ? list.split(',').map((m) => m.replace(/-/g, '_')) : [];
}

/** Builds <dir>/initrd-<hash>.gz for a kernel unless it is already there; returns its path. The hash
 *  covers /init and the module list, so a change to either builds a new one. `modulesDir` null: a kernel
 *  with everything built in (this repository's own builds), whose initramfs loads nothing. */
export async function buildInitramfs(modulesDir: string | null, dir: string): Promise<string> {
  const hash = createHash('sha256').update(INIT).update(WANTED.join()).digest('hex').slice(0, 12);
  const out = join(dir, `initrd-${hash}.gz`);
  if (existsSync(out) && statSync(out).size > 0) return out;
  // Per process: two runs may build the same kernel's initramfs at once; the rename decides.
  const staging = join(dir, `initramfs.${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'bin'), { recursive: true });
  mkdirSync(join(staging, 'modules'));
  copyFileSync('/usr/bin/busybox', join(staging, 'bin', 'busybox'));
  writeFileSync(join(staging, 'init'), INIT);
  chmodSync(join(staging, 'init'), 0o755);

  const available = modulesDir === null ? new Map<string, string>() : findModules(modulesDir);
  const order: string[] = [];
  const visit = async (name: string): Promise<void> => {
    if (order.includes(name)) return;
    const path = available.get(name);
    if (!path) return; // built into this kernel
    const ko = await moduleBytes(path);
    for (const dep of dependencies(ko)) await visit(dep);
    writeFileSync(join(staging, 'modules', `${name}.ko`), ko);
    order.push(name);
  };
  for (const name of WANTED) await visit(name);
  writeFileSync(join(staging, 'modules', 'order'), order.join('\n') + '\n');

  const tmp = `${out}.${process.pid}.tmp`;
  const archive = await execa('sh', ['-c', `find . | cpio -o -H newc --quiet | gzip -1 > ${JSON.stringify(tmp)}`], {
    cwd: staging,
    reject: false,
  });
  if (archive.exitCode !== 0) throw new HarnessError(EXIT.runFailed, `could not build the initramfs: ${archive.stderr}`);
  renameSync(tmp, out);
  rmSync(staging, { recursive: true, force: true });
  return out;
}
