// The pure parts of the kernels this repository builds (scripts/vm/build/): the configuration merge and its
// check, the patch (it removes exactly the listener's tcp_filter() call, IPv4 and IPv6), the patch plan of the
// shared tree, the finished-kernel check, the recovery after a killed make, and the names --kernel accepts.
// No network, no root, no compiler.
import t from 'tap';
import { mkdirSync, readFileSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  BUILT_KERNELS, CONFIG_FRAGMENT, KERNEL_SOURCE, builtKernel, builtRelease, isBuiltKernelName, repoFile,
} from '../../../scripts/vm/build/built-kernels.ts';
import { configProblems, localversionSetting, mergeConfig, parseConfig } from '../../../scripts/vm/build/kernel-config.ts';
import { ALL_PATCHES, patchPlan, type PatchState } from '../../../scripts/vm/build/tree.ts';
import { RECIPE_FORMAT, checkFinished, inputsDigest, sha256Of, type BuiltManifest } from '../../../scripts/vm/build/build-cache.ts';
import { forgetInterruptedMake, formatDuration, kernelInputs, logExcerpt } from '../../../scripts/vm/build/build-kernel.ts';
import { showsrcVersions, sourceFileProblem } from '../../../scripts/vm/build/source.ts';
import { KERNEL_NAMES, isKernelName } from '../../../scripts/vm/kernel-names.ts';
import { KERNEL_SERIES } from '../../../scripts/vm/kernel-series.ts';
import { tempDir } from '../../helpers.ts';

t.test('the two kernels: names, releases (distinct results folders), patches', async (t) => {
  t.same(BUILT_KERNELS.map((k) => k.name), ['6.1-control', '6.1-without-8fac365f63c8']);
  t.same(BUILT_KERNELS.map(builtRelease), ['6.1.187-edl-control', '6.1.187-edl-without-8fac365f63c8']);
  t.same(builtKernel('6.1-control').patches, [], 'the control is the source as it is');
  t.same(builtKernel('6.1-without-8fac365f63c8').patches, ['scripts/vm/build/without-8fac365f63c8.patch']);
  t.ok(isBuiltKernelName('6.1-control'));
  t.notOk(isBuiltKernelName('6.1'));
  t.same(KERNEL_NAMES, [...KERNEL_SERIES, '6.1-control', '6.1-without-8fac365f63c8'], 'Debian series first, then the built ones');
  t.ok(isKernelName('6.1-without-8fac365f63c8') && isKernelName('6.12') && !isKernelName('6.1-patched'));
  t.match(KERNEL_SOURCE.version, new RegExp(`^${KERNEL_SOURCE.upstream.replace(/\./g, '\\.')}-`), 'the upstream release is the version\'s');
  t.same(KERNEL_SOURCE.files.map((f) => f.name),
    [`linux_${KERNEL_SOURCE.version}.dsc`, `linux_${KERNEL_SOURCE.upstream}.orig.tar.xz`, `linux_${KERNEL_SOURCE.version}.debian.tar.xz`]);
  for (const f of KERNEL_SOURCE.files) t.match(f.sha256, /^[0-9a-f]{64}$/, `${f.name} is pinned by sha256`);
});

t.test('the patch removes the listener\'s tcp_filter() call on the handshake-completing ACK, and nothing else', async (t) => {
  const patch = readFileSync(repoFile('scripts/vm/build/without-8fac365f63c8.patch'), 'utf8');
  const files = [...patch.matchAll(/^\+\+\+ b\/(\S+)$/gm)].map((m) => m[1]);
  t.same(files, ['net/ipv4/tcp_ipv4.c', 'net/ipv6/tcp_ipv6.c'], 'IPv4 and IPv6');
  const removed = patch.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---'));
  const added = patch.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
  t.same(removed.filter((l) => /tcp_filter/.test(l)).map((l) => l.slice(1).trim()), ['if (!tcp_filter(sk, skb)) {', 'if (!tcp_filter(sk, skb)) {'],
    'one tcp_filter() call removed per file');
  t.notOk(added.some((l) => /tcp_filter|tcp_check_req/.test(l)), 'no call added');
  t.same(removed.map((l) => l.replace(/\s+/g, ' ').trim()).sort(),
    ['- if (!tcp_filter(sk, skb)) {', '- if (!tcp_filter(sk, skb)) {', '- } else {', '- } else {',
      '- drop_reason = SKB_DROP_REASON_SOCKET_FILTER;', '- drop_reason = SKB_DROP_REASON_SOCKET_FILTER;'].sort(),
    'besides the call, only its else branch (the filter\'s drop reason) goes');
  // The hunk is the TCP_NEW_SYN_RECV branch: the context is tcp_check_req() on the request socket.
  t.equal((patch.match(/^ \t\t\tnsk = tcp_check_req\(sk, skb, req, false, &req_stolen\);$/gm) ?? []).length, 2);
  t.same(ALL_PATCHES, [repoFile('scripts/vm/build/without-8fac365f63c8.patch')]);
});

t.test('minimal.config: parses, builds everything in, asks for what the runner and the experiments need', async (t) => {
  const fragment = parseConfig(readFileSync(repoFile(CONFIG_FRAGMENT), 'utf8'), CONFIG_FRAGMENT);
  const on = new Set(fragment.filter((s) => s.value === 'y').map((s) => s.symbol));
  for (const symbol of ['64BIT', 'VIRTIO_PCI', 'VIRTIO_FS', 'FUSE_FS', 'OVERLAY_FS', 'TMPFS', 'DEVTMPFS', 'SERIAL_8250_CONSOLE', 'BLK_DEV_INITRD',
    'RD_GZIP', 'BPF_SYSCALL', 'BPF_JIT', 'DEBUG_INFO_BTF', 'CGROUP_BPF', 'NET_NS', 'VETH', 'NET_SCH_INGRESS', 'NET_CLS_BPF', 'NET_CLS_ACT',
    'IPV6', 'UNIX', 'PACKET', 'KPROBES', 'KPROBE_EVENTS', 'BPF_EVENTS', 'FTRACE', 'FUTEX', 'EPOLL', 'BINFMT_ELF', 'ACPI'])
    t.ok(on.has(`CONFIG_${symbol}`), `CONFIG_${symbol}=y`);
  t.notOk(fragment.some((s) => s.value === 'm'), 'no module asked for');
  t.notOk(fragment.some((s) => s.symbol === 'CONFIG_LOCALVERSION'), 'LOCALVERSION is the recipe\'s, per kernel');
});

t.test('config merge and check', async (t) => {
  t.same(parseConfig('# c\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C="x y"\nCONFIG_D=n\n\n'),
    [{ symbol: 'CONFIG_A', value: 'y' }, { symbol: 'CONFIG_B', value: null }, { symbol: 'CONFIG_C', value: '"x y"' }, { symbol: 'CONFIG_D', value: null }]);
  t.throws(() => parseConfig('CONFIG_A=y\nA=y\n', 'f'), /f: line 2: "A=y" is not a CONFIG_ setting/);
  const base = '#\n# tiny\n#\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=y\n';
  const merged = mergeConfig(base, [{ symbol: 'CONFIG_B', value: 'y' }, { symbol: 'CONFIG_C', value: null }, localversionSetting('-edl-x')]);
  t.equal(merged, '#\n# tiny\n#\nCONFIG_A=y\nCONFIG_B=y\n# CONFIG_C is not set\nCONFIG_LOCALVERSION="-edl-x"\n');
  t.throws(() => localversionSetting('edl control'), /not a LOCALVERSION/);
  const requested = parseConfig('CONFIG_A=y\nCONFIG_KPROBES=y\n# CONFIG_X is not set\n');
  t.same(configProblems('CONFIG_A=y\n# CONFIG_KPROBES is not set\nCONFIG_X=y\nCONFIG_THERMAL=m\n', requested), [
    'CONFIG_KPROBES=y was asked for, the final .config has it not set',
    '# CONFIG_X is not set was asked for, the final .config has CONFIG_X=y',
    'CONFIG_THERMAL=m: a module, where everything must be built in',
  ]);
  t.same(configProblems('CONFIG_A=y\nCONFIG_KPROBES=y\n', requested), []);
});

t.test('the shared tree: which patches to revert and apply', async (t) => {
  const P = '/p/without.patch', Q = '/p/other.patch';
  const states = (entries: [string, PatchState][]) => new Map(entries);
  t.same(patchPlan(states([[P, 'not applied']]), []), { reextract: false, revert: [], apply: [] }, 'control on a clean tree: nothing');
  t.same(patchPlan(states([[P, 'not applied']]), [P]), { reextract: false, revert: [], apply: [P] });
  t.same(patchPlan(states([[P, 'applied']]), [P]), { reextract: false, revert: [], apply: [] }, 'already applied');
  t.same(patchPlan(states([[P, 'applied']]), []), { reextract: false, revert: [P], apply: [] }, 'the control after the patched kernel');
  t.same(patchPlan(states([[P, 'applied'], [Q, 'applied']]), []), { reextract: false, revert: [Q, P], apply: [] }, 'reverted in reverse order');
  t.same(patchPlan(states([[P, 'damaged']]), [P]), { reextract: true }, 'half-applied (a killed patch): extract again');
});

t.test('a finished kernel is its manifest, from these inputs, with its bzImage', async (t) => {
  const kernel = builtKernel('6.1-control');
  const { digest, fragment, patches } = kernelInputs(kernel);
  t.equal(digest, inputsDigest(kernel, fragment, patches), 'the repository\'s inputs');
  t.not(inputsDigest(kernel, `${fragment}CONFIG_X=y\n`, patches), digest, 'another fragment is another kernel');
  t.not(inputsDigest(kernel, fragment, ['a patch']), digest, 'another patch is another kernel');
  t.not(inputsDigest(builtKernel('6.1-without-8fac365f63c8'), fragment, patches), digest, 'another LOCALVERSION is another kernel');

  const dir = join(tempDir('built'), '6.1-control');
  t.match(checkFinished(dir, kernel, digest), { problem: 'not built', absent: true });
  mkdirSync(dir);
  writeFileSync(join(dir, 'bzImage'), 'kernel bytes');
  t.match(checkFinished(dir, kernel, digest), { problem: /no readable manifest\.json/, absent: false }, 'a bzImage without its manifest is not finished');
  const manifest: BuiltManifest = {
    format: RECIPE_FORMAT, name: kernel.name, release: builtRelease(kernel), sourceVersion: KERNEL_SOURCE.version, inputs: digest,
    bzImageSize: 12, bzImageSha256: sha256Of(join(dir, 'bzImage')), buildSeconds: 60, builtAt: '2026-12-05T00:00:00Z',
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const ok = checkFinished(dir, kernel, digest);
  t.equal(ok.kernel?.release, '6.1.187-edl-control');
  t.equal(ok.kernel?.vmlinuz, join(dir, 'bzImage'));
  t.match(checkFinished(dir, kernel, 'f'.repeat(64)), { problem: /built from other inputs/ });
  t.match(checkFinished(dir, builtKernel('6.1-without-8fac365f63c8'), digest), { problem: /its manifest names 6\.1-control/ });
  writeFileSync(join(dir, 'bzImage'), 'kernel byteZ');
  t.match(checkFinished(dir, kernel, digest), { problem: /bzImage does not match its manifest/ });
});

t.test('after a killed make, what it wrote is forgotten', async (t) => {
  const obj = tempDir('obj');
  mkdirSync(join(obj, 'net/ipv4'), { recursive: true });
  const old = Date.now() / 1000 - 3600;
  for (const f of ['net/ipv4/tcp.o', 'net/ipv4/.tcp.o.cmd', '.config']) { writeFileSync(join(obj, f), 'old'); utimesSync(join(obj, f), old, old); }
  t.equal(forgetInterruptedMake(obj), 0, 'no marker: the last make finished');
  writeFileSync(join(obj, '.edl-make-started'), 'now');
  const marker = Date.now() / 1000 - 60;
  utimesSync(join(obj, '.edl-make-started'), marker, marker);
  writeFileSync(join(obj, 'net/ipv4/tcp_ipv4.o'), 'half written');
  t.equal(forgetInterruptedMake(obj), 1);
  t.notOk(existsSync(join(obj, 'net/ipv4/tcp_ipv4.o')), 'the object written during the killed make is gone');
  t.ok(existsSync(join(obj, 'net/ipv4/tcp.o')) && existsSync(join(obj, '.config')), 'older files stay');
  t.notOk(existsSync(join(obj, '.edl-make-started')), 'the marker goes with them');
});

t.test('the source: apt-cache showsrc versions, and a file checked against the pin', async (t) => {
  t.same(showsrcVersions('Package: linux\nVersion: 6.1.170-1\nX: y\n\nPackage: linux\nVersion: 6.1.187-1\n'), ['6.1.170-1', '6.1.187-1']);
  const dir = tempDir('source');
  const path = join(dir, 'f');
  writeFileSync(path, 'abc');
  const pin = { name: 'f', size: 3, sha256: sha256Of(path) };
  t.equal(sourceFileProblem(path, pin), undefined);
  t.equal(sourceFileProblem(join(dir, 'g'), pin), 'missing');
  t.match(sourceFileProblem(path, { ...pin, size: 4 }), /3 bytes where .* pins 4 \(truncated\)/);
  t.match(sourceFileProblem(path, { ...pin, sha256: '0'.repeat(64) }), /sha256 [0-9a-f]{64} where .* pins 0{64}/);
});

t.test('durations', async (t) => {
  t.equal(formatDuration(42.4), '42 s');
  t.equal(formatDuration(1850), '30 min 50 s');
});

t.test('a failed step shows its compiler errors, not only its last lines', async (t) => {
  const log = ['  CC      init/main.o', 'src/init/calibrate.c:317:2: error: #error broken', '  317 | #error broken', '  CC      kernel/fork.o',
    '  AR      arch/x86/built-in.a', 'make[1]: *** [Makefile:2050: .] Error 2', 'make: *** [Makefile:250: __sub-make] Error 2'].join('\n');
  const excerpt = logExcerpt(log, 2);
  t.match(excerpt, /^errors:\n {2}src\/init\/calibrate\.c:317:2: error: #error broken\nits end:\n {2}make\[1\]/);
  t.notMatch(excerpt, /kernel\/fork/);
  t.equal(logExcerpt('  CC a.o\n  CC b.o\n', 1), 'its end:\n    CC b.o');
});
