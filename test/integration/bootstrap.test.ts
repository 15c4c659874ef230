// First use on a machine whose apt archive or npm registry cannot be reached: bootstrap.sh names the packages
// and what to do, exits 10 (offline), not 4 (a missing tool: not root, or no such package), and installs
// nothing by half. Nothing here touches the machine's packages or needs a real outage: a fake dpkg-query says
// which packages are missing, apt runs with an APT_CONFIG of its own (temporary lists, cache and status, an
// unreachable proxy, and no dpkg to run), and npm with an unreachable registry and an empty cache.
import t from 'tap';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT } from '../../scripts/support/paths.ts';
import { EXIT } from '../../scripts/support/errors.ts';
import { IS_ROOT, tempDir } from '../helpers.ts';

const BOOTSTRAP = join(ROOT, 'scripts', 'bootstrap.sh');
const NEEDS_ROOT_APT = IS_ROOT ? false : 'needs root: bootstrap.sh runs apt-get only as root (a non-root run stops first, with exit 4)';
/** What an unreachable host is here: nothing listens on the discard port of the loopback. */
const NOWHERE = 'http://127.0.0.1:9';

/** The part of the repository bootstrap.sh reads before it bundles, in a folder of its own: no node_modules,
 *  so npm ci has to fetch everything. Readable by everyone (the not-root test runs as nobody). */
function copyForBootstrap(label: string): string {
  const dir = tempDir(label);
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'scripts'));
  for (const file of ['package.json', 'package-lock.json', 'scripts/bootstrap.sh']) copyFileSync(join(ROOT, file), join(dir, file));
  return dir;
}

/** A dpkg-query that says every package asked about is installed but those in `missing`. */
function fakeDpkgQuery(missing: string[]): string {
  const bin = tempDir('fake-bin');
  chmodSync(bin, 0o755);
  const script = `#!/bin/bash
fmt=; pkgs=()
for a in "$@"; do case $a in -f=*) fmt=\${a#-f=} ;; -*) ;; *) pkgs+=("$a") ;; esac; done
for p in "\${pkgs[@]}"; do
  status=installed
  case " ${missing.join(' ')} " in *" $p "*) status=not-installed ;; esac
  out=\${fmt//'\${Package}'/$p}; printf '%b' "\${out//'\${db:Status-Status}'/$status}"
done
`;
  writeFileSync(join(bin, 'dpkg-query'), script);
  chmodSync(join(bin, 'dpkg-query'), 0o755);
  return bin;
}

/** apt's configuration for a test: everything apt writes in temporary folders, no dpkg to run (so nothing
 *  can be installed whatever apt decides), and the sources given. */
function aptConfig(sources: string, extra = ''): { config: string; status: string; archives: string } {
  const dir = tempDir('apt');
  for (const sub of ['lists/partial', 'cache/archives/partial', 'state', 'parts', 'sources.d']) mkdirSync(join(dir, sub), { recursive: true });
  const status = join(dir, 'state', 'status');
  writeFileSync(status, '');
  writeFileSync(join(dir, 'sources.list'), `${sources}\n`);
  const config = join(dir, 'apt.conf');
  writeFileSync(
    config,
    [
      // apt.conf.d is read after this file: an empty one, so nothing there (a proxy, say) changes the test.
      `Dir::Etc::parts "${dir}/parts";`,
      `Dir::Etc::sourcelist "${dir}/sources.list";`,
      `Dir::Etc::sourceparts "${dir}/sources.d";`,
      `Dir::State::Lists "${dir}/lists";`,
      `Dir::Cache "${dir}/cache";`,
      `Dir::State::status "${status}";`,
      'Dir::Bin::dpkg "/bin/false";',
      'APT::Sandbox::User "root";',
      extra,
    ].join('\n'),
  );
  return { config, status, archives: join(dir, 'cache', 'archives') };
}

function bootstrap(dir: string, bin: string, env: Record<string, string> = {}, uid?: number) {
  const command = ['bash', join(dir, 'scripts', 'bootstrap.sh')];
  const [file, ...args] = uid === undefined ? command : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', ...command];
  return execa(file, args, {
    cwd: dir,
    reject: false,
    all: true,
    env: { PATH: `${bin}:${process.env.PATH}`, HOME: tempDir('home'), NO_COLOR: '1', ...env },
    extendEnv: false,
  });
}

t.test("every exit code bootstrap.sh uses is the table's number for its meaning", async (t) => {
  // Comment lines may speak of exit codes; only the code counts.
  const text = readFileSync(BOOTSTRAP, 'utf8')
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n');
  const named = [...text.matchAll(/\bEXIT_([A-Z_]+)=(\d+)/g)].map(([, name, value]) => ({ name, value: Number(value) }));
  t.ok(named.length > 0, 'bootstrap.sh names its exit codes (EXIT_<NAME>=<number>), since it cannot import the table');
  for (const { name, value } of named) {
    const key = name.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    t.equal(value, (EXIT as Record<string, number>)[key], `EXIT_${name}=${value} is EXIT.${key} in scripts/vocabulary/exit-codes.ts`);
  }
  const names = new Set(named.map((n) => `$EXIT_${n.name}`));
  // Every way out: `exit <code>`, and the code handed to cannot_bundle (which exits with it).
  const exits = [...text.matchAll(/\bexit\s+("?[^\s;)]+"?)/g), ...text.matchAll(/\bcannot_bundle\s+(\S+)/g)].map((m) => m[1].replace(/"/g, ''));
  t.ok(exits.length > 5, 'found the exits');
  for (const code of exits) {
    t.ok(code === '0' || code === '$code' || names.has(code), `exit ${code} is a named code from the table`);
  }
});

t.test('not root, a package missing: exit 4 (a missing tool), with the command to run as root', async (t) => {
  const dir = copyForBootstrap('not-root');
  const run = await bootstrap(dir, fakeDpkgQuery(['ncat']), {}, IS_ROOT ? 65534 : undefined);
  t.equal(run.exitCode, EXIT.missingTool, run.all);
  t.match(run.stderr, /missing Debian packages: ncat — run as root once.*apt-get install --no-install-recommends ncat/s);
  t.notOk(existsSync(join(dir, 'node_modules')), 'nothing installed');
});

t.test("apt cannot reach Debian's archive: exit 10, names the packages and what to do", { skip: NEEDS_ROOT_APT }, async (t) => {
  const dir = copyForBootstrap('apt-offline');
  const apt = aptConfig('deb http://deb.debian.org/debian bookworm main', `Acquire::http::Proxy "${NOWHERE}";\nAcquire::https::Proxy "${NOWHERE}";`);
  const run = await bootstrap(dir, fakeDpkgQuery(['ncat', 'bpftool']), { APT_CONFIG: apt.config });
  t.equal(run.exitCode, EXIT.offline, run.all);
  t.match(run.stdout, 'bootstrap: installing Debian packages: bpftool ncat');
  t.match(run.stderr, /Could not connect to 127\.0\.0\.1:9/, "apt's own error line is shown");
  t.match(
    run.stderr,
    /cannot reach Debian's archive for the packages bpftool ncat .*check the network, the proxy .* and the apt sources .*install them by hand: apt-get update && apt-get install --no-install-recommends bpftool ncat/s,
  );
  t.notMatch(run.all, /Reading package lists|Building dependency tree|^Hit:|^Get:/m, "none of apt's progress");
  t.equal(readFileSync(apt.status, 'utf8'), '', 'nothing installed');
  t.same(readdirSync(apt.archives).filter((f) => f.endsWith('.deb')), [], 'nothing downloaded');
  t.notOk(existsSync(join(dir, 'node_modules')), 'it stopped before npm');
});

t.test('apt reaches its archive, which has no such package: exit 4, not 10', { skip: NEEDS_ROOT_APT }, async (t) => {
  const dir = copyForBootstrap('apt-no-package');
  const repo = tempDir('empty-repo');
  writeFileSync(join(repo, 'Packages'), '');
  const apt = aptConfig(`deb [trusted=yes] file:${repo} ./`);
  const run = await bootstrap(dir, fakeDpkgQuery(['ncat']), { APT_CONFIG: apt.config });
  t.equal(run.exitCode, EXIT.missingTool, run.all);
  t.match(run.stderr, /E: Unable to locate package ncat/, "apt's own error line is shown");
  t.match(run.stderr, /apt-get could not install: ncat/);
  t.equal(readFileSync(apt.status, 'utf8'), '', 'nothing installed');
});

/** npm with a registry nothing answers at and a cache of its own (the machine's cache would satisfy npm ci
 *  without the network). No retries: npm's default two, with back-off, take a minute to end the same way. */
const npmOffline = () => ({ npm_config_registry: `${NOWHERE}/`, npm_config_cache: tempDir('npm-cache'), npm_config_fetch_retries: '0' });

t.test('the npm registry cannot be reached: exit 10, names the packages, nothing half-installed', async (t) => {
  const dir = copyForBootstrap('npm-offline');
  const bin = fakeDpkgQuery([]);
  const run = await bootstrap(dir, bin, npmOffline());
  t.equal(run.exitCode, EXIT.offline, run.all);
  t.match(run.stdout, 'bootstrap: installing npm packages (npm ci)');
  t.match(run.stderr, /npm error code ECONNREFUSED/, "npm's own error is shown");
  t.notMatch(run.stderr, /npm error +at /, "but not npm's stack");
  t.match(
    run.stderr,
    /cannot reach the npm registry: npm ci could not fetch http:\/\/127\.0\.0\.1:9\/\S+ \(ECONNREFUSED\), so the npm packages of package-lock\.json \(esbuild, execa, .* and their dependencies\) are not installed — check the network and npm's proxy and registry .*install them by hand: npm ci/s,
  );
  t.notOk(existsSync(join(dir, 'node_modules', '.bootstrap-lock-hash')), 'no stamp says node_modules is complete');
  const again = await bootstrap(dir, bin, npmOffline());
  t.equal(again.exitCode, EXIT.offline, 'the next run does not take what is there for complete');
  t.match(again.stdout, 'installing npm packages (npm ci)');
});

t.test('an outdated node_modules and no registry: the old stamp goes, exit 10', async (t) => {
  const dir = copyForBootstrap('npm-outdated');
  mkdirSync(join(dir, 'node_modules', 'hexy'), { recursive: true });
  writeFileSync(join(dir, 'node_modules', '.bootstrap-lock-hash'), 'the hash of an older package-lock.json\n');
  const run = await bootstrap(dir, fakeDpkgQuery([]), npmOffline());
  t.equal(run.exitCode, EXIT.offline, run.all);
  t.notOk(existsSync(join(dir, 'node_modules', '.bootstrap-lock-hash')), 'no stamp says node_modules is complete');
});

t.test('npm ci fails for another reason (a garbled lock file): exit 4, not 10', async (t) => {
  const dir = copyForBootstrap('npm-garbled');
  writeFileSync(join(dir, 'package-lock.json'), '{ "lockfileVersion": ');
  const run = await bootstrap(dir, fakeDpkgQuery([]), npmOffline());
  t.equal(run.exitCode, EXIT.missingTool, run.all);
  t.match(run.stderr, /npm error code EUSAGE/, "npm's words are shown");
  t.match(run.stderr, /npm ci failed \(npm's words above\)/);
  t.notOk(existsSync(join(dir, 'node_modules', '.bootstrap-lock-hash')), 'no stamp');
});
