// A damaged build cache: a BPF object in build/bpf/ or an esbuild bundle in build/js/ truncated, corrupted or
// missing while newer than its sources. Each is rebuilt, with one line saying what was damaged; where it
// cannot be rebuilt, exit 11 and a message that says what to delete or install; nothing half-written, and no
// temporary names of a killed build left to pile up. Every test damages a copy of the repository: other runs
// use the real build/ meanwhile.
import t from 'tap';
import { RUN_ID, claimRun } from '../../scripts/support/ownership.ts';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT } from '../../scripts/support/paths.ts';
import { EXIT } from '../../scripts/support/errors.ts';
import { findOnPath } from '../../scripts/run/setup/preflight.ts';
import { NEEDS_ROOT, cli, leftovers, tempDir } from '../helpers.ts';

/** The BPF tests build the objects once before damaging them. */
const NEEDS_CLANG = findOnPath('clang') ? false : 'clang not installed (it builds bpf/*.bpf.c) — run as root: bash scripts/bootstrap.sh';

/** The sources, with node_modules linked entry by entry (its install stamp copied), so that a build in the copy
 *  bundles and compiles as the real one does and damage stays in the copy. */
function copyRepo(label: string): string {
  const dir = tempDir(label);
  for (const part of ['package.json', 'package-lock.json', 'tsconfig.json', 'scripts', 'servers', 'experiments', 'bpf']) {
    cpSync(join(ROOT, part), join(dir, part), { recursive: true, preserveTimestamps: true });
  }
  const modules = join(ROOT, 'node_modules');
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  for (const entry of readdirSync(modules)) {
    if (entry === '.bin') continue;
    if (entry === '.bootstrap-lock-hash') copyFileSync(join(modules, entry), join(dir, 'node_modules', entry));
    else symlinkSync(join(modules, entry), join(dir, 'node_modules', entry));
  }
  for (const tool of readdirSync(join(modules, '.bin'))) symlinkSync(join(modules, '.bin', tool), join(dir, 'node_modules', '.bin', tool));
  return dir;
}

/** A dpkg-query that says every package asked about is installed: the bundle tests must not depend on what
 *  this machine has, nor install anything. */
function fakeDpkgQuery(): string {
  const bin = tempDir('fake-bin');
  const script = `#!/bin/bash
fmt=; pkgs=()
for a in "$@"; do case $a in -f=*) fmt=\${a#-f=} ;; -*) ;; *) pkgs+=("$a") ;; esac; done
for p in "\${pkgs[@]}"; do out=\${fmt//'\${Package}'/$p}; printf '%b' "\${out//'\${db:Status-Status}'/installed}"; done
`;
  writeFileSync(join(bin, 'dpkg-query'), script);
  chmodSync(join(bin, 'dpkg-query'), 0o755);
  return bin;
}
const FAKE_BIN = fakeDpkgQuery();

function bootstrap(dir: string) {
  // An npm ci started by mistake fails at once instead of reinstalling the copy's links from the network.
  const env = { PATH: `${FAKE_BIN}:${process.env.PATH}`, HOME: process.env.HOME, npm_config_registry: 'http://127.0.0.1:9/', npm_config_cache: tempDir('npm-cache') };
  return execa('bash', [join(dir, 'scripts', 'bootstrap.sh')], { cwd: dir, reject: false, all: true, env, extendEnv: false });
}

/** buildBpf() in the copy, as a run's setup calls it: its result as JSON, or its message and exit code. */
function buildBpfIn(dir: string, env: Record<string, string> = {}) {
  const driver = `
import { buildBpf } from './scripts/run/setup/build-bpf.ts';
import { HarnessError } from './scripts/support/errors.ts';
try {
  console.log(JSON.stringify(await buildBpf()));
} catch (error) {
  console.error(error instanceof HarnessError ? error.message : error);
  process.exitCode = error instanceof HarnessError ? error.code : 1;
}`;
  return execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', driver], {
    cwd: dir,
    reject: false,
    all: true,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    extendEnv: false,
  });
}

const bytes = (path: string) => readFileSync(path);
const sha256 = (path: string) => createHash('sha256').update(bytes(path)).digest('hex');
const temporaries = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'));
/** A pid that is gone: a child that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = execa('true');
  await child;
  return child.pid!;
}

// --- BPF objects ------------------------------------------------------------------------------------------

/** A copy whose build/bpf/ holds a complete build; returns it and what dump.bpf.o is when whole. */
async function builtCopy(label: string) {
  const dir = copyRepo(label);
  const first = await buildBpfIn(dir);
  if (first.exitCode !== 0) throw new Error(`the first build failed: ${first.all}`);
  const object = join(dir, 'build', 'bpf', 'dump.bpf.o');
  return { dir, object, whole: bytes(object) };
}

t.test('a truncated BPF object newer than its sources is rebuilt, and the build says so', { skip: NEEDS_CLANG }, async (t) => {
  const { dir, object, whole } = await builtCopy('bpf-truncated');
  truncateSync(object, 1234); // now newer than its source, as a full disk or a crash leaves it
  const run = await buildBpfIn(dir);
  t.equal(run.exitCode, 0, run.all);
  t.match(run.stdout, `build/bpf/dump.bpf.o was damaged — truncated: 1234 of ${whole.length} bytes`, 'one line says what and how');
  t.same(bytes(object), whole, 'the object is whole again');
  t.same(temporaries(join(dir, 'build', 'bpf')), [], 'no temporary file left');
  const again = await buildBpfIn(dir);
  t.equal(again.stdout.trim(), '[]', 'the next build finds everything up to date');
});

t.test('a corrupted BPF object of the right size is rebuilt', { skip: NEEDS_CLANG }, async (t) => {
  const { dir, object, whole } = await builtCopy('bpf-corrupt');
  const damaged = Buffer.from(whole);
  damaged.fill(0, 4096, 4096 + 512); // a lost block: the size and the ELF header still look right
  writeFileSync(object, damaged);
  const run = await buildBpfIn(dir);
  t.equal(run.exitCode, 0, run.all);
  t.match(run.stdout, /build\/bpf\/dump\.bpf\.o was damaged — same size, other content/);
  t.same(bytes(object), whole);
});

t.test('an object without a stamp (built before stamps existed) is kept when whole, rebuilt when cut short', { skip: NEEDS_CLANG }, async (t) => {
  const { dir, object, whole } = await builtCopy('bpf-unstamped');
  const counter = join(dir, 'build', 'bpf', 'counter.bpf.o');
  for (const o of [object, counter]) rmSync(`${o}.stamp`);
  truncateSync(object, 30000);
  const run = await buildBpfIn(dir);
  t.equal(run.exitCode, 0, run.all);
  t.match(run.stdout, `build/bpf/dump.bpf.o was damaged — truncated: 30000 bytes, its section headers end at ${whole.length}`);
  t.notMatch(run.stdout, /counter/, 'the whole one is kept');
  t.same(bytes(object), whole);
  t.ok(existsSync(`${counter}.stamp`), 'and stamped, so that from now on every byte is checked');
});

t.test('a run whose BPF object was truncated rebuilds it and succeeds (it failed in libbpf, exit 5)', { skip: NEEDS_ROOT }, async (t) => {
  const { dir, object, whole } = await builtCopy('bpf-run');
  truncateSync(object, 1234);
  const child = cli(['experiment', 'tcp', '--results', tempDir('results'), '--logs', tempDir('logs')], { root: dir });
  const run = await child;
  t.equal(run.exitCode, 0, run.all);
  t.match(run.stdout, `[setup] BPF objects compiled: dump (build/bpf/dump.bpf.o was damaged — truncated: 1234 of ${whole.length} bytes)`);
  t.notMatch(run.all, /bpf_object__open|errno 4001/, 'no libbpf error');
  t.same(await leftovers(child.pid!), [], 'nothing left behind');
});

t.test('a damaged BPF object without clang to rebuild it: exit 11, says what to install, nothing half-written', { skip: NEEDS_CLANG }, async (t) => {
  const { dir, object } = await builtCopy('bpf-no-clang');
  truncateSync(object, 1234);
  const stamp = readFileSync(`${object}.stamp`, 'utf8');
  const run = await buildBpfIn(dir, { PATH: tempDir('empty-path') });
  t.equal(run.exitCode, EXIT.corruptCache, run.all);
  t.match(run.stderr, /build\/bpf\/dump\.bpf\.o is damaged \(truncated: 1234 of \d+ bytes\) and cannot be rebuilt: clang is not installed — install it \(as root: apt-get install clang llvm/);
  t.equal(bytes(object).length, 1234, 'the object is as it was');
  t.equal(readFileSync(`${object}.stamp`, 'utf8'), stamp, 'its stamp too');
  t.same(temporaries(join(dir, 'build', 'bpf')), [], 'no temporary file left');
});

t.test('a damaged BPF object on a read-only build/bpf: exit 11, says what to delete, no libbpf error', { skip: NEEDS_ROOT }, async (t) => {
  const { dir, object } = await builtCopy('bpf-readonly');
  truncateSync(object, 1234);
  const folder = join(dir, 'build', 'bpf');
  await execa('mount', ['--bind', folder, folder]);
  t.teardown(() => execa('umount', [folder]).then(() => undefined));
  await execa('mount', ['-o', 'remount,bind,ro', folder]);
  const child = cli(['experiment', 'tcp', '--results', tempDir('results'), '--logs', tempDir('logs')], { root: dir });
  const run = await child;
  t.equal(run.exitCode, EXIT.corruptCache, run.all);
  t.match(
    run.stderr,
    /build\/bpf\/dump\.bpf\.o is damaged \(truncated: 1234 of \d+ bytes\) and cannot be rebuilt: cannot write into build\/bpf: the file system is read-only \(EROFS\) — make build\/bpf writable, or delete build\/bpf\/dump\.bpf\.o/,
  );
  t.notMatch(run.all, /bpf_object__open|errno 4001|\n\s+at /, 'no libbpf error, no stack trace');
  t.same(await leftovers(child.pid!), [], 'nothing left behind');
});

t.test("a killed build's temporary objects are removed; a live build's are not", { skip: NEEDS_CLANG }, async (t) => {
  const { dir } = await builtCopy('bpf-temporaries');
  const folder = join(dir, 'build', 'bpf');
  const dead = await deadPid();
  const stale = [`.edl-${dead}-abcdef-dump.bpf.o.tmp`, `.edl-${dead}-abcdef-dump.bpf.o.stamp.tmp`];
  claimRun(); // this test process is a live run: its beacon exists
  const live = `.edl-${RUN_ID}-dump.bpf.o.tmp`;
  for (const name of [...stale, live]) writeFileSync(join(folder, name), 'half an object');
  const run = await buildBpfIn(dir);
  t.equal(run.exitCode, 0, run.all);
  t.same(temporaries(folder), [live], "only the live run's temporary file is left");
});

// --- esbuild bundles --------------------------------------------------------------------------------------

/** A copy whose build/js/ holds a complete bundle; returns it and every bundle's bytes when whole. */
async function bundledCopy(label: string) {
  const dir = copyRepo(label);
  const lock = createHash('sha256').update(readFileSync(join(dir, 'package-lock.json'))).digest('hex');
  if (readFileSync(join(dir, 'node_modules', '.bootstrap-lock-hash'), 'utf8').trim() !== lock) {
    throw new Error('node_modules is not installed for this package-lock.json (bootstrap would run npm ci): run npm ci first');
  }
  const first = await bootstrap(dir);
  if (first.exitCode !== 0) throw new Error(`the first bootstrap failed: ${first.all}`);
  const files = ['scripts/cli.mjs', 'scripts/send-sctp.mjs', ...readdirSync(join(dir, 'build', 'js', 'servers')).map((f) => `servers/${f}`)];
  const whole = Object.fromEntries(files.map((f) => [f, sha256(join(dir, 'build', 'js', f))]));
  return { dir, js: join(dir, 'build', 'js'), whole };
}

const cliRuns = (dir: string) => execa(process.execPath, [join(dir, 'build', 'js', 'scripts', 'cli.mjs'), '--help'], { reject: false, all: true });
const rehash = (js: string, whole: Record<string, string>) => Object.fromEntries(Object.keys(whole).map((f) => [f, existsSync(join(js, f)) ? sha256(join(js, f)) : 'missing']));

t.test('a truncated bundle newer than its sources is rebuilt (node stopped with a SyntaxError)', async (t) => {
  const { dir, js, whole } = await bundledCopy('bundle-truncated');
  const size = bytes(join(js, 'scripts', 'cli.mjs')).length;
  truncateSync(join(js, 'scripts', 'cli.mjs'), 1234);
  const run = await bootstrap(dir);
  t.equal(run.exitCode, 0, run.all);
  t.match(run.stdout, `bootstrap: build/js/scripts/cli.mjs was damaged (truncated: 1234 of ${size} bytes): rebuilt`);
  t.same(rehash(js, whole), whole, 'every bundle is whole');
  const cli = await cliRuns(dir);
  t.equal(cli.exitCode, 0, `the CLI starts: ${cli.all}`);
  t.same(readdirSync(join(dir, 'build')).filter((f) => f.startsWith('js.')), [], 'no staging folder left');
  const again = await bootstrap(dir);
  t.equal(again.all, '', 'the next bootstrap says nothing');
});

t.test('a missing server bundle and a corrupted one of the right size are rebuilt', async (t) => {
  const { dir, js, whole } = await bundledCopy('bundle-missing');
  const udp = join(js, 'servers', 'udp.mjs');
  const tcp = join(js, 'servers', 'tcp.mjs');
  const corrupt = Buffer.from(bytes(tcp));
  corrupt.fill(0x20, 1000, 1100);
  writeFileSync(tcp, corrupt);
  await execa('rm', [udp]);
  const run = await bootstrap(dir);
  t.equal(run.exitCode, 0, run.all);
  t.match(run.stdout, 'bootstrap: build/js/servers/tcp.mjs was damaged (same size, other content): rebuilt');
  t.match(run.stdout, 'bootstrap: build/js/servers/udp.mjs was missing: rebuilt');
  t.same(rehash(js, whole), whole, 'every bundle is whole');
});

t.test('a damaged bundle without esbuild to rebuild it: exit 11, says what to delete, nothing half-written', async (t) => {
  const { dir, js } = await bundledCopy('bundle-no-esbuild');
  truncateSync(join(js, 'scripts', 'cli.mjs'), 1234);
  await execa('rm', [join(dir, 'node_modules', '.bin', 'esbuild')]);
  const stamp = readFileSync(join(js, '.stamp'), 'utf8');
  const run = await bootstrap(dir);
  t.equal(run.exitCode, EXIT.corruptCache, run.all);
  t.match(
    run.stderr,
    /bootstrap: build\/js\/scripts\/cli\.mjs was damaged \(truncated: 1234 of \d+ bytes\), and cannot be rebuilt: esbuild is not installed .* — delete node_modules\/\.bootstrap-lock-hash so that the next run reinstalls node_modules \(npm ci\)/,
  );
  t.equal(bytes(join(js, 'scripts', 'cli.mjs')).length, 1234, 'the bundle is as it was');
  t.equal(readFileSync(join(js, '.stamp'), 'utf8'), stamp, 'the stamp too: the next run still sees the damage');
  t.same(readdirSync(join(dir, 'build')).filter((f) => f.startsWith('js.')), [], 'no staging folder left');
});

t.test("a killed bootstrap's staging folders are removed; a live one's are not", async (t) => {
  const { dir, js, whole } = await bundledCopy('bundle-killed');
  // A real kill in the middle of bundling: damage a bundle, start bootstrap, SIGKILL it (and esbuild) once its
  // staging folder exists.
  truncateSync(join(js, 'scripts', 'cli.mjs'), 1234);
  const child = execa('bash', [join(dir, 'scripts', 'bootstrap.sh')], {
    cwd: dir,
    reject: false,
    detached: true,
    env: { PATH: `${FAKE_BIN}:${process.env.PATH}`, HOME: process.env.HOME },
    extendEnv: false,
  });
  const stagingFolders = () => readdirSync(join(dir, 'build')).filter((f) => f.startsWith('js.'));
  for (let i = 0; i < 1000 && stagingFolders().length === 0; i++) await new Promise((r) => setTimeout(r, 2));
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // it had ended: the assertion below says so
  }
  await child;
  t.equal(stagingFolders().length, 1, 'the kill left a staging folder');
  const dead = await deadPid();
  mkdirSync(join(dir, 'build', `js.${dead}`)); // the name before stamps
  mkdirSync(join(dir, 'build', `js.${process.pid}.tmp`)); // a bootstrap bundling now
  const run = await bootstrap(dir);
  t.equal(run.exitCode, 0, run.all);
  t.same(readdirSync(join(dir, 'build')).filter((f) => f.startsWith('js.')), [`js.${process.pid}.tmp`], "only the live bootstrap's folder is left");
  t.same(rehash(js, whole), whole, 'every bundle is whole');
});
