import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  compareVersions, kernelGoneMessage, notOffered, parseMadison, pickNewest, readManifest, releaseOf, sameKernelDepends, stanzaField,
} from '../../../scripts/vm/kernels.ts';
import { AptError, aptFailure } from '../../../scripts/vm/apt.ts';
import type { LockedKernel } from '../../../scripts/vm/kernel-lock.ts';
import { EXIT } from '../../../scripts/support/errors.ts';

t.test('Debian version order', async (t) => {
  // Each pair is a < b (checked against `dpkg --compare-versions`).
  const ascending: [string, string][] = [
    ['6.1.158-1', '6.1.159-1'], ['6.1.99-1', '6.1.158-1'], ['5.10.244-1', '5.10.244-1+deb11u1'],
    ['6.12.48-1~bpo12+1', '6.12.48-1'], ['1.0~rc1', '1.0'], ['1.0', '1.0a'], ['1.0a', '1.0+'],
    ['1.0-1', '1:0.9-1'], ['6.12.57+deb12-1', '6.12.57+deb13-1'], ['1.0', '1.0-0.1'], ['1.01', '1.2'],
  ];
  for (const [a, b] of ascending) {
    t.ok(compareVersions(a, b) < 0, `${a} < ${b}`);
    t.ok(compareVersions(b, a) > 0, `${b} > ${a}`);
  }
  t.equal(compareVersions('1:6.1.0-1', '1:6.1.0-1'), 0);
  t.equal(compareVersions('1.001', '1.1'), 0);
});

t.test('release from package name', async (t) => {
  t.equal(releaseOf('linux-image-6.1.0-47-cloud-amd64'), '6.1.0-47-cloud-amd64');
  t.equal(releaseOf('linux-image-6.12.57+deb12-cloud-amd64'), '6.12.57+deb12-cloud-amd64');
  t.equal(releaseOf('linux-image-7.2.13+deb14-cloud-amd64'), '7.2.13+deb14-cloud-amd64');
  for (const no of ['linux-image-cloud-amd64', 'linux-image-6.1.0-47-cloud-amd64-unsigned',
    'linux-image-6.1.0-47-cloud-amd64-dbg', 'linux-image-6.1.0-47-amd64', 'linux-modules-7.2.13+deb14-cloud-amd64'])
    t.equal(releaseOf(no), undefined, no);
});

const BOOKWORM = `
linux-image-6.1.0-46-cloud-amd64 |   6.1.158-1 | http://deb.debian.org/debian bookworm/main amd64 Packages
linux-image-6.1.0-47-cloud-amd64 |  6.1.159-1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-6.12.48+deb12-cloud-amd64 | 6.12.48-1~deb12u1 | http://deb.debian.org/debian bookworm-updates/main amd64 Packages
linux-image-6.12.57+deb12-cloud-amd64 | 6.12.57-1~deb12u1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
`;

t.test('madison parsing and newest per series', async (t) => {
  const rows = parseMadison(BOOKWORM);
  t.equal(rows.length, 4);
  t.same(rows[1], { package: 'linux-image-6.1.0-47-cloud-amd64', version: '6.1.159-1', suite: 'bookworm-security' });
  t.match(pickNewest('6.1', rows), { release: '6.1.0-47-cloud-amd64', version: '6.1.159-1', suite: 'bookworm-security' });
  t.match(pickNewest('6.12', rows), { release: '6.12.57+deb12-cloud-amd64', suite: 'bookworm-security' });
  t.match(pickNewest('newest', rows), { release: '6.12.57+deb12-cloud-amd64' });
  t.equal(pickNewest('5.10', rows), undefined);
  // bullseye-security also carries a 6.1 backport: it must not win the 5.10 series.
  const bullseye = parseMadison(`
linux-image-5.10.0-35-cloud-amd64 | 5.10.237-1 | http://deb.debian.org/debian bullseye/main amd64 Packages
linux-image-5.10.0-37-cloud-amd64 | 5.10.247-1 | http://deb.debian.org/debian-security bullseye-security/main amd64 Packages
linux-image-6.1.0-0.deb11.40-cloud-amd64 | 6.1.158-1~deb11u1 | http://deb.debian.org/debian-security bullseye-security/main amd64 Packages
`);
  t.match(pickNewest('5.10', bullseye), { release: '5.10.0-37-cloud-amd64', suite: 'bullseye-security' });
});

t.test('same-kernel dependencies', async (t) => {
  const release = '7.2.13+deb14-cloud-amd64';
  const sid = `Package: linux-image-${release}
Version: 7.2.13-1
Depends: dracut | initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool, linux-base-${release} (= 7.2.13-1), linux-binary-${release} (= 7.2.13-1), linux-modules-${release} (= 7.2.13-1)
Pre-Depends: linux-base (>= 4.17~)
Suggests: linux-doc-7.2, linux-image-${release}-dbg
`;
  t.same(sameKernelDepends(sid, release), [`linux-base-${release}`, `linux-binary-${release}`, `linux-modules-${release}`]);
  t.same(sameKernelDepends(`Package: linux-modules-${release}\nDepends: kmod, linux-base-${release} (= 7.2.13-1)\n`, release), [`linux-base-${release}`]);
  const bookworm = `Package: linux-image-6.1.0-47-cloud-amd64
Depends: kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool
Recommends: firmware-linux-free, apparmor
`;
  t.same(sameKernelDepends(bookworm, '6.1.0-47-cloud-amd64'), []);
});

t.test('manifest reading', async (t) => {
  const dir = t.testdir({
    'manifest.json': JSON.stringify({
      series: 'newest', suite: 'sid', packages: ['linux-image-7.2.13+deb14-cloud-amd64'], version: '7.2.13-1',
      release: '7.2.13+deb14-cloud-amd64', vmlinuz: 'boot/vmlinuz-7.2.13+deb14-cloud-amd64', modulesDir: 'usr/lib/modules/7.2.13+deb14-cloud-amd64',
    }),
  });
  t.same(readManifest(dir), {
    release: '7.2.13+deb14-cloud-amd64', series: 'newest', version: '7.2.13-1',
    vmlinuz: join(dir, 'boot/vmlinuz-7.2.13+deb14-cloud-amd64'), modulesDir: join(dir, 'usr/lib/modules/7.2.13+deb14-cloud-amd64'),
  });
  t.equal(readManifest(join(dir, 'nothing')), undefined);
  writeFileSync(join(dir, 'manifest.json'), '{"truncated'); // never trust a half-written manifest
  t.equal(readManifest(dir), undefined);
});

// ---- the locked version among what Debian offers ----

const LOCKED_61: LockedKernel = {
  suite: 'bookworm-security', release: '6.1.0-57-cloud-amd64', version: '6.1.192-3',
  packages: [{ name: 'linux-image-6.1.0-57-cloud-amd64', sha256: 'a'.repeat(64), size: 26705532 }],
};

t.test('the locked version among madison rows', async (t) => {
  const image = ['linux-image-6.1.0-57-cloud-amd64'];
  const offered = parseMadison(`
linux-image-6.1.0-57-cloud-amd64 |  6.1.192-3 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-6.1.0-58-cloud-amd64 |  6.1.193-1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
`);
  t.same(notOffered(LOCKED_61, image, offered), [], 'offered at the locked version');
  // The same package at another version (a rebuild) is not the locked kernel.
  const rebuilt = parseMadison('linux-image-6.1.0-57-cloud-amd64 | 6.1.192-4 | http://deb.debian.org/debian bookworm/main amd64 Packages');
  t.same(notOffered(LOCKED_61, image, rebuilt), image);
  t.same(notOffered(LOCKED_61, image, []), image, 'nothing listed at all');
  // Any suite will do: the version decides, not where it is found.
  const elsewhere = parseMadison('linux-image-6.1.0-57-cloud-amd64 | 6.1.192-3 | http://deb.debian.org/debian bookworm-updates/main amd64 Packages');
  t.same(notOffered(LOCKED_61, image, elsewhere), []);
  // The newest is still what pickNewest says, whatever is locked.
  t.match(pickNewest('6.1', offered), { release: '6.1.0-58-cloud-amd64', version: '6.1.193-1' });
});

t.test('the message when Debian dropped the locked kernel', async (t) => {
  const text = kernelGoneMessage('6.1', LOCKED_61, ['linux-image-6.1.0-57-cloud-amd64'], {
    cache: 'build/kernels holds neither the extracted kernel nor its .deb',
    newest: { release: '6.1.0-58-cloud-amd64', version: '6.1.193-1' },
  });
  t.match(text, 'linux-image-6.1.0-57-cloud-amd64 6.1.192-3 for --kernel 6.1', 'which package and version');
  t.match(text, 'bookworm, bookworm-updates, bookworm-security', 'where it was looked for');
  t.match(text, 'build/kernels holds neither', 'that the cache lacks it');
  t.match(text, 'Run `npm run kernels -- update 6.1` to move to 6.1.0-58-cloud-amd64 (6.1.193-1)', 'what to run, and to what');
  t.match(text, 'then regenerate results/kernels/6.1.0-57-cloud-amd64/ with `git rm -r -q results/kernels/6.1.0-57-cloud-amd64/ && npm run experiment -- all --kernel 6.1`');
  t.match(text, 'snapshot.debian.org');
  // Unknown newest (the lookup failed too): still says what to run.
  t.match(kernelGoneMessage('6.1', LOCKED_61, ['linux-image-6.1.0-57-cloud-amd64'], { cache: 'x' }), 'to move to the newest 6.1 kernel Debian offers');
});

t.test('apt failures: unreachable, gone, other', async (t) => {
  t.equal(aptFailure(`Err:1 http://deb.debian.org/debian bookworm InRelease
  Temporary failure resolving 'deb.debian.org'
E: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Temporary failure resolving 'deb.debian.org'`), 'unreachable');
  t.equal(aptFailure(`E: Failed to fetch http://deb.debian.org/debian/pool/main/l/linux-signed-amd64/linux-image-6.1.0-57-cloud-amd64_6.1.192-3_amd64.deb  404  Not Found [IP: 151.101.2.132 80]`), 'not-found');
  t.equal(aptFailure(`E: Failed to fetch http://deb.debian.org/debian/pool/x.deb  Could not connect to deb.debian.org:80 (151.101.2.132), connection timed out`), 'unreachable');
  t.equal(aptFailure(`E: Failed to fetch http://x/y.deb  Hash Sum mismatch`), 'unreachable');
  t.equal(aptFailure(`E: The repository 'http://deb.debian.org/debian bullseye Release' does not have a Release file.
Err:2 http://deb.debian.org/debian bullseye Release
  404  Not Found [IP: 151.101.2.132 80]`), 'not-found');
  t.equal(aptFailure(`E: Version '7.2.12-1' for 'linux-image-7.2.13+deb14-cloud-amd64' was not found`), 'failed');
  t.equal(new AptError('unreachable', 'x').code, EXIT.offline);
  t.equal(new AptError('failed', 'x').code, EXIT.missingTool);
});

t.test('fields of apt-cache show', async (t) => {
  const stanza = `Package: linux-image-6.1.0-57-cloud-amd64
Version: 6.1.192-3
Size: 26705532
SHA256: 4fdd0172a8c3f41a97e92465b2ac1867e1c10d82d7aeed3d26ee7a5d14df1754
Description-en: Linux 6.1 for x86-64 cloud (signed)

Package: linux-image-6.1.0-57-cloud-amd64
Version: 6.1.192-3
SHA256: ffff
`;
  t.equal(stanzaField(stanza, 'SHA256'), '4fdd0172a8c3f41a97e92465b2ac1867e1c10d82d7aeed3d26ee7a5d14df1754', 'the first stanza');
  t.equal(stanzaField(stanza, 'Size'), '26705532');
  t.equal(stanzaField(stanza, 'Filename'), undefined);
  t.equal(stanzaField('', 'SHA256'), undefined, 'apt-cache show of a version that is not there prints nothing, exit 0');
});
