import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareVersions, parseMadison, pickNewest, readManifest, releaseOf, sameKernelDepends } from '../../../scripts/vm/kernels.ts';

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
