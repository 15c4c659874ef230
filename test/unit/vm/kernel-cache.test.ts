// fetchKernel against a fake Debian archive and a cache in a temporary folder: the locked .deb is checked
// before it is extracted, a damaged entry or .deb is found and rebuilt, each fault that cannot be repaired
// has its exit code and says what to do, and nothing half-made is left. Tiny .debs are built with dpkg-deb
// (no network, no root).
import t from 'tap';
import { RUN_ID } from '../../../scripts/support/ownership.ts';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../../scripts/support/errors.ts';
import { AptError } from '../../../scripts/vm/apt.ts';
import { parseLock, readLock, type LockedKernel, type LockedKernels } from '../../../scripts/vm/kernel-lock.ts';
import { checkEntry, debFileName, sha256File } from '../../../scripts/vm/kernel-cache.ts';
import { fetchKernel, kernelStatuses, parseMadison, type KernelArchive } from '../../../scripts/vm/kernels.ts';
import { IS_ROOT, tempDir } from '../../helpers.ts';

const RELEASE = '6.1.0-99-cloud-amd64';
const VERSION = '6.1.999-1';
const IMAGE = `linux-image-${RELEASE}`;
const VMLINUZ = `boot/vmlinuz-${RELEASE}`;
const MODULES = `lib/modules/${RELEASE}`;

/** A kernel image .deb laid out like bookworm's, with `vmlinuz` as its kernel. */
function buildDeb(dir: string, vmlinuz: Buffer, name = 'image.deb'): string {
  const tree = join(dir, `${name}.tree`);
  for (const d of ['DEBIAN', 'boot', `${MODULES}/kernel/fs/overlayfs`, `${MODULES}/kernel/net`]) mkdirSync(join(tree, d), { recursive: true });
  writeFileSync(join(tree, 'DEBIAN', 'control'),
    `Package: ${IMAGE}\nVersion: ${VERSION}\nArchitecture: amd64\nMaintainer: Test <test@example.org>\nDescription: a fake kernel\n`);
  writeFileSync(join(tree, VMLINUZ), vmlinuz);
  writeFileSync(join(tree, MODULES, 'kernel/fs/overlayfs/overlay.ko'), 'overlay module\n');
  writeFileSync(join(tree, MODULES, 'kernel/net/veth.ko'), 'veth module\n');
  writeFileSync(join(tree, MODULES, 'modules.order'), 'kernel/fs/overlayfs/overlay.ko\nkernel/net/veth.ko\n');
  const deb = join(dir, name);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '-b', tree, deb], { stdio: 'ignore' });
  rmSync(tree, { recursive: true });
  return deb;
}

const debs = tempDir('kernel-debs');
const GOOD = buildDeb(debs, Buffer.alloc(64 * 1024, 'k'));
// Same version and size, other bytes: the size check passes and the checksum catches it. (Two packages
// built from different trees differ in size by a byte or two, by their compressed timestamps.)
const OTHER = join(debs, 'other.deb');
{
  const bytes = readFileSync(GOOD);
  bytes[bytes.length - 1] ^= 0xff;
  writeFileSync(OTHER, bytes);
}
const LOCKED: LockedKernel = {
  suite: 'bookworm-security', release: RELEASE, version: VERSION,
  packages: [{ name: IMAGE, sha256: sha256File(GOOD), size: readFileSync(GOOD).length }],
};
const LOCK: LockedKernels = { ...readLock(), '6.1': LOCKED };
t.ok(parseLock(JSON.stringify({ kernels: LOCK })), 'the test lock is a valid lock');

const row = (version: string, release = RELEASE) =>
  `linux-image-${release} | ${version} | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages`;

/** A fake archive: `offered` are its madison lines (per freshness), `serve` the file a download gives. */
function fakeArchive(options: { offered?: (fresh: boolean) => string; serve?: string; fail?: Error } = {}) {
  const calls: string[] = [];
  const offered = (fresh = false) => parseMadison(options.offered ? options.offered(fresh) : row(VERSION));
  const archive: KernelArchive = {
    async madison(_series, packages, fresh) {
      calls.push(`madison${fresh ? ' fresh' : ''} ${packages.join(' ')}`);
      if (options.fail) throw options.fail;
      return offered(fresh).filter((r) => packages.includes(r.package));
    },
    async images(_series, fresh) {
      calls.push('images');
      if (options.fail) throw options.fail;
      return offered(fresh);
    },
    async lockEntry() {
      throw new Error('fetchKernel never locks');
    },
    async download(_series, specs, dir) {
      calls.push(`download ${specs.join(' ')}`);
      if (options.fail) throw options.fail;
      copyFileSync(options.serve ?? GOOD, join(dir, debFileName(IMAGE, VERSION)));
    },
  };
  return { archive, calls };
}

/** An archive that must not be asked: a checked cache needs no network. */
const NO_ARCHIVE = fakeArchive({ fail: new Error('the archive was asked') }).archive;

async function fetch(root: string, archive: KernelArchive = NO_ARCHIVE) {
  const log: string[] = [];
  const kernel = await fetchKernel('6.1', (l) => log.push(l), { cacheRoot: root, lock: LOCK, archive });
  return { kernel, log };
}

/** A cache holding the extracted kernel and its .deb. */
async function cached(): Promise<string> {
  const root = tempDir('kernel-cache');
  await fetch(root, fakeArchive().archive);
  return root;
}

const debPath = (root: string) => join(root, 'debs', debFileName(IMAGE, VERSION));
const entry = (root: string) => join(root, RELEASE);
/** Only finished things: no staging folder of any kind. */
const leftovers = (root: string) =>
  [...readdirSync(root), ...(existsSync(join(root, 'debs')) ? readdirSync(join(root, 'debs')).map((e) => `debs/${e}`) : [])].filter((e) => /(^|\/)\./.test(e));

t.test('a first fetch downloads the locked .deb pinned, checks it, extracts it', async (t) => {
  const root = tempDir('kernel-cache');
  const { archive, calls } = fakeArchive();
  const { kernel, log } = await fetch(root, archive);
  t.same(calls, [`madison ${IMAGE}`, `download ${IMAGE}=${VERSION}`]);
  t.same(kernel, { release: RELEASE, series: '6.1', vmlinuz: join(root, RELEASE, VMLINUZ), modulesDir: join(root, RELEASE, MODULES) });
  t.match(log.join('\n'), `downloading ${IMAGE} (${VERSION}`);
  t.equal(sha256File(debPath(root)), LOCKED.packages[0].sha256, 'the .deb is kept for later extractions');
  t.same(leftovers(root), [], 'no staging folder left');
  const manifest = JSON.parse(readFileSync(join(entry(root), 'manifest.json'), 'utf8'));
  t.match(manifest, { format: 2, release: RELEASE, version: VERSION, debs: LOCKED.packages, vmlinuzSize: 64 * 1024, modules: { files: 3 } });

  const again = await fetch(root);
  t.same(again.kernel, kernel, 'then used as it is, without asking Debian');
  t.same(again.log, []);
});

t.test('damaged cache entries are found', async (t) => {
  const root = await cached();
  const check = () => checkEntry(entry(root), '6.1', LOCKED);
  t.same(check().kernel?.release, RELEASE);
  const vmlinuz = join(entry(root), VMLINUZ);

  truncateSync(vmlinuz, 1000);
  t.match(check(), { kind: 'damaged', problem: `${VMLINUZ} has 1000 bytes, 65536 were extracted (truncated)` });
  writeFileSync(vmlinuz, Buffer.alloc(64 * 1024, 'z'));
  t.match(check(), { kind: 'damaged', problem: `${VMLINUZ} differs from what was extracted (sha256)` });
  rmSync(vmlinuz);
  t.match(check(), { kind: 'damaged', problem: `${VMLINUZ} is missing` });

  const fresh = await cached();
  rmSync(join(entry(fresh), MODULES, 'kernel/net/veth.ko'));
  t.match(checkEntry(entry(fresh), '6.1', LOCKED), { kind: 'damaged', problem: /differs from what was extracted: 2 files, .* 3 files/ });
  writeFileSync(join(entry(fresh), 'manifest.json'), '{"format": 2, "rel');
  t.match(checkEntry(entry(fresh), '6.1', LOCKED), { kind: 'damaged', problem: 'manifest.json is unreadable' });
  rmSync(join(entry(fresh), 'manifest.json'));
  t.match(checkEntry(entry(fresh), '6.1', LOCKED), { kind: 'damaged', problem: /^no manifest.json/ });

  const other = await cached();
  const manifestFile = join(entry(other), 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  writeFileSync(manifestFile, JSON.stringify({ ...manifest, version: '6.1.998-1' }));
  t.match(checkEntry(entry(other), '6.1', LOCKED), { kind: 'damaged', problem: /not from the \.debs kernels\.lock\.json locks for 6\.1/ });
  const { format: _, debs: __, ...before } = manifest; // what the harness wrote before the lock
  writeFileSync(manifestFile, JSON.stringify(before));
  t.match(checkEntry(entry(other), '6.1', LOCKED), { kind: 'outdated' });
  t.match(checkEntry(join(other, 'nothing'), '6.1', LOCKED), { kind: 'absent' });
});

t.test('a damaged entry is extracted again from the cached .deb, without Debian', async (t) => {
  for (const damage of [
    (root: string) => truncateSync(join(entry(root), VMLINUZ), 1000),
    (root: string) => rmSync(join(entry(root), 'manifest.json')),
    (root: string) => rmSync(join(entry(root), MODULES, 'kernel/fs'), { recursive: true }),
  ]) {
    const root = await cached();
    damage(root);
    const { kernel, log } = await fetch(root);
    t.match(log[0], `${entry(root)}: `);
    t.match(log[0], 'extracting it again from the locked .debs');
    t.equal(checkEntry(entry(root), '6.1', LOCKED).kernel?.vmlinuz, kernel.vmlinuz, 'whole again');
    t.same(leftovers(root), [], 'the damaged entry is gone, nothing staged is left');
  }
});

t.test('a truncated cached .deb is deleted and downloaded again', async (t) => {
  const root = await cached();
  rmSync(entry(root), { recursive: true });
  truncateSync(debPath(root), 100);
  const { archive, calls } = fakeArchive();
  const { log } = await fetch(root, archive);
  t.match(log.join('\n'), `100 bytes where kernels.lock.json says ${LOCKED.packages[0].size} (truncated); deleting it to download it again`);
  t.same(calls, [`madison ${IMAGE}`, `download ${IMAGE}=${VERSION}`]);
  t.equal(sha256File(debPath(root)), LOCKED.packages[0].sha256);
});

t.test('a download that does not match the lock is deleted and refused (exit 12)', async (t) => {
  const root = tempDir('kernel-cache');
  const { archive } = fakeArchive({ serve: OTHER });
  await t.rejects(fetch(root, archive), {
    code: EXIT.kernelGone,
    message: new RegExp(`The downloaded ${IMAGE} ${VERSION} \\(locked for --kernel 6\\.1\\) is not the file kernels\\.lock\\.json locks: ` +
      `sha256 ${sha256File(OTHER)} where kernels\\.lock\\.json says ${LOCKED.packages[0].sha256}\\. The download was deleted and nothing was extracted`),
  });
  t.same(readdirSync(join(root, 'debs')), [], 'nothing kept: neither the .deb nor the staging folder');
  t.notOk(existsSync(entry(root)), 'nothing extracted');
});

t.test('Debian no longer offers the locked version, nothing cached (exit 12)', async (t) => {
  const root = tempDir('kernel-cache');
  const { archive, calls } = fakeArchive({ offered: () => `${row('6.1.1000-1', '6.1.0-100-cloud-amd64')}\n${row('6.1.998-1', '6.1.0-98-cloud-amd64')}` });
  await t.rejects(fetch(root, archive), {
    code: EXIT.kernelGone,
    message: new RegExp(`locks ${IMAGE} 6\\.1\\.999-1 for --kernel 6\\.1, but Debian \\(bookworm, bookworm-updates, bookworm-security\\) no longer offers it, ` +
      `and .* holds neither the extracted kernel nor its \\.deb\\.\\nRun \`npm run kernels -- update 6\\.1\` to move to 6\\.1\\.0-100-cloud-amd64 \\(6\\.1\\.1000-1\\), ` +
      `then regenerate results/kernels/${RELEASE}/`),
  });
  t.same(calls.slice(0, 2), [`madison ${IMAGE}`, `madison fresh ${IMAGE}`], 'looked again with fresh package lists before saying so');
  t.notOk(calls.some((c) => c.startsWith('download')));
  t.same(leftovers(root), []);
});

t.test('package lists older than the lock: looked up again, then downloaded', async (t) => {
  const root = tempDir('kernel-cache');
  const { archive, calls } = fakeArchive({ offered: (fresh) => (fresh ? row(VERSION) : row('6.1.998-1', '6.1.0-98-cloud-amd64')) });
  await fetch(root, archive);
  t.same(calls, [`madison ${IMAGE}`, `madison fresh ${IMAGE}`, `download ${IMAGE}=${VERSION}`]);
});

t.test('Debian unreachable: exit 10 naming the package', async (t) => {
  const unreachable = new AptError('unreachable', "updating package lists for bookworm failed: Temporary failure resolving 'deb.debian.org'");
  const root = tempDir('kernel-cache');
  await t.rejects(fetch(root, fakeArchive({ fail: unreachable }).archive), {
    code: EXIT.offline,
    message: new RegExp(`^Cannot get ${IMAGE} ${VERSION} \\(locked for --kernel 6\\.1\\): Debian's archive is unreachable, and .* holds neither`),
    cause: unreachable,
  });
  // A damaged entry whose .deb is gone too: the message says both.
  const damaged = await cached();
  rmSync(debPath(damaged));
  truncateSync(join(entry(damaged), VMLINUZ), 10);
  await t.rejects(fetch(damaged, fakeArchive({ fail: unreachable }).archive), {
    code: EXIT.offline, message: new RegExp(`${RELEASE} is damaged \\(${VMLINUZ} has 10 bytes.*\\) with no \\.deb in`),
  });
  t.same(leftovers(damaged), []);
});

t.test('leftovers of killed fetches are removed once their run is dead', async (t) => {
  const root = await cached();
  const dead = `${spawnSync('true').pid!}-abcdef`; // a run id with no beacon
  const staged = [`.edl-${dead}-partial-${RELEASE}`, `.edl-${dead}-damaged-${RELEASE}`, `debs/.edl-${dead}-partial`, `.edl-${RUN_ID}-partial-${RELEASE}`];
  for (const s of staged) mkdirSync(join(root, s, 'boot'), { recursive: true });
  const { log } = await fetch(root);
  t.equal(log.length, 3);
  t.same(leftovers(root), [`.edl-${RUN_ID}-partial-${RELEASE}`], 'a live run keeps its staging folder');
});

/** An immutable folder cannot be renamed, even by root: chattr needs root and a file system that has it. */
function canChattr(): boolean {
  if (!IS_ROOT) return false;
  const dir = tempDir('chattr');
  if (spawnSync('chattr', ['+i', dir]).status !== 0) return false;
  spawnSync('chattr', ['-i', dir]);
  return true;
}

t.test('a damaged entry that cannot be replaced: exit 11 naming the folder to delete', {
  skip: canChattr() ? false : 'needs root and chattr +i (a folder that cannot be moved)',
}, async (t) => {
  const root = await cached();
  truncateSync(join(entry(root), VMLINUZ), 1000);
  t.equal(spawnSync('chattr', ['+i', entry(root)]).status, 0);
  try {
    await t.rejects(fetch(root), {
      code: EXIT.corruptCache,
      message: new RegExp(`^The cached kernel ${entry(root)} is damaged \\(${VMLINUZ} has 1000 bytes.*\\) and could not be replaced: ` +
        `moving it aside failed \\(EPERM\\)\\.\\nDelete it \\(\`rm -rf ${entry(root)}\`\\) and run again`),
    });
  } finally {
    spawnSync('chattr', ['-i', entry(root)]);
  }
  t.same(leftovers(root), [], 'the new extraction was not left staged');
});

t.test('what npm run kernels reports per series', async (t) => {
  const root = await cached();
  const { archive } = fakeArchive({ offered: () => `${row(VERSION)}\n${row('6.1.1000-1', '6.1.0-100-cloud-amd64')}` });
  const statuses = await kernelStatuses(() => {}, { cacheRoot: root, lock: LOCK, archive });
  const s61 = statuses.find((s) => s.series === '6.1')!;
  t.equal(s61.entry.kernel?.release, RELEASE);
  t.ok(s61.debsCached);
  t.match(s61.archive, { lockedOffered: true, newest: { release: '6.1.0-100-cloud-amd64', version: '6.1.1000-1' } });
  // The other series are not in this cache.
  t.match(statuses.find((s) => s.series === '5.10'), { entry: { kind: 'absent' }, debsCached: false });
  truncateSync(join(entry(root), VMLINUZ), 5);
  const offline = await kernelStatuses(() => {}, { cacheRoot: root, lock: LOCK, archive, offline: true });
  t.match(offline.find((s) => s.series === '6.1'), { entry: { kind: 'damaged' }, archive: undefined });
  const unreachable = await kernelStatuses(() => {}, { cacheRoot: root, lock: LOCK, archive: fakeArchive({ fail: new Error('no network') }).archive });
  t.match(unreachable[0].archive, { error: 'no network' });
});
