// Builds one of the kernels of built-kernels.ts, or finds it built. The recipe, step by step (each step's name
// is what a failure names):
//   tools    the Debian packages a kernel build needs (apt-get, on first use)
//   source   Debian's pinned source package, downloaded and checked (source.ts)
//   extract  dpkg-source -x, once (tree.ts)
//   patch    the tree brought to this kernel's patches (tree.ts)
//   config   make tinyconfig, minimal.config and CONFIG_LOCALVERSION merged in, make olddefconfig, and every
//            requested setting checked in the result (kernel-config.ts)
//   compile  make bzImage, into the objects both kernels share: the second kernel recompiles only what its
//            patch and LOCALVERSION change
//   install  bzImage, .config and the log staged and renamed to kernels/<name>/, the manifest written last
// One build at a time per source tree (a lock the kernel drops if its holder dies); a build killed at any point
// leaves nothing that looks finished, and the next one repairs the tree and the objects (build-cache.ts).
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { interrupted, onCleanup } from '../../support/cleanup.ts';
import { EXIT, HarnessError } from '../../support/errors.ts';
import { ownedName } from '../../support/owned-names.ts';
import { holdLock } from '../../support/ownership.ts';
import { CONFIG_FRAGMENT, KERNEL_SOURCE, builtKernel, builtRelease, repoFile, type BuiltKernel, type BuiltKernelName } from './built-kernels.ts';
import { buildPaths, checkFinished, inputsDigest, sha256Of, sweepBuildLeftovers, type BuildPaths, type BuiltManifest, type FinishedKernel, RECIPE_FORMAT } from './build-cache.ts';
import { configProblems, localversionSetting, mergeConfig, parseConfig } from './kernel-config.ts';
import { ensureSource } from './source.ts';
import { prepareTree } from './tree.ts';
import { ensureBuildTools } from './tools.ts';

export type BuildStep = 'tools' | 'source' | 'extract' | 'patch' | 'config' | 'compile' | 'install';

export interface BuildOptions {
  /** Instead of /var/cache/ebpf-dump-lab (EDL_BUILD_CACHE). */
  root?: string;
  /** make -j (default: the number of cores). */
  jobs?: number;
}

/** The inputs of a kernel as they are in the repository now, and their digest. */
export function kernelInputs(kernel: BuiltKernel): { fragment: string; patches: string[]; digest: string } {
  const fragment = readFileSync(repoFile(CONFIG_FRAGMENT), 'utf8');
  const patches = kernel.patches.map((p) => readFileSync(repoFile(p), 'utf8'));
  return { fragment, patches, digest: inputsDigest(kernel, fragment, patches) };
}

/** The finished kernel when kernels/<name>/ holds it, built from the inputs the repository has now. */
export function findBuilt(name: BuiltKernelName, root?: string): ReturnType<typeof checkFinished> {
  const kernel = builtKernel(name);
  return checkFinished(join(buildPaths(root).kernels, name), kernel, kernelInputs(kernel).digest);
}

const MARKER = '.edl-make-started';

/** After a `make` that was killed, every file it wrote since it started may be half-written (an object whose
 *  .cmd file still says it is up to date): those are deleted, so make builds them again. Returns how many. */
export function forgetInterruptedMake(obj: string): number {
  const marker = join(obj, MARKER);
  if (!existsSync(marker)) return 0;
  const since = statSync(marker).mtimeMs;
  let removed = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name !== MARKER && statSync(path, { throwIfNoEntry: false })?.mtimeMs !== undefined && statSync(path).mtimeMs >= since) {
        rmSync(path, { force: true });
        removed++;
      }
    }
  };
  walk(obj);
  rmSync(marker, { force: true });
  return removed;
}

/** What a kernel build passes to make, whatever the step: the output folder, and a reproducible version string. */
function makeEnv(): Record<string, string> {
  return { KBUILD_BUILD_USER: 'edl', KBUILD_BUILD_HOST: 'ebpf-dump-lab', KBUILD_BUILD_TIMESTAMP: '2017-07-01' };
}

interface Runner {
  log: WriteStream;
  logPath: string;
  /** Runs a command with its output to the log; throws with the log's tail when it fails. */
  run(cmd: string, args: string[], options?: { cwd?: string; onLine?: (line: string) => void }): Promise<void>;
}

function runner(logPath: string): Runner {
  const log = createWriteStream(logPath, { flags: 'a' });
  return {
    log,
    logPath,
    async run(cmd, args, options = {}) {
      log.write(`\n$ ${cmd} ${args.join(' ')}\n`);
      const child: ResultPromise = execa(cmd, args, { cwd: options.cwd, env: makeEnv(), reject: false, all: true, stdin: 'ignore', buffer: false });
      const stop = onCleanup(`${cmd} (pid ${child.pid})`, async () => {
        // make, told to stop, stops its jobs and deletes the targets they were writing.
        child.kill('SIGTERM');
        await child;
      });
      let partial = '';
      child.all!.on('data', (chunk: Buffer) => {
        log.write(chunk);
        if (!options.onLine) return;
        const text = partial + chunk.toString();
        const lines = text.split('\n');
        partial = lines.pop()!;
        for (const line of lines) options.onLine(line);
      });
      const r = await child;
      await stop();
      if (r.exitCode !== 0) {
        await new Promise((resolve) => log.write('', resolve));
        throw Object.assign(new Error(`${cmd} ${args.slice(0, 4).join(' ')}… exited with ${r.exitCode ?? r.signal}`), { exitCode: r.exitCode });
      }
    },
  };
}

/** What a failed step's log says: its compiler errors (with -j2 they are not at the end), then its last lines. */
export function logExcerpt(text: string, lines = 8): string {
  const all = text.trimEnd().split('\n');
  const errors = all.filter((l) => /(^|: )(fatal )?error: /.test(l)).slice(0, 8);
  const end = all.slice(-lines);
  return [...(errors.length ? ['errors:', ...errors.map((l) => `  ${l}`), 'its end:'] : ['its end:']), ...end.map((l) => `  ${l}`)].join('\n');
}

function tail(path: string): string {
  try { return logExcerpt(readFileSync(path, 'utf8')); } catch { return ''; }
}

async function configure(kernel: BuiltKernel, fragment: string, paths: BuildPaths, r: Runner, log: (line: string) => void): Promise<void> {
  // Made in a folder of its own: `make tinyconfig` merges tiny.config into <objtree>/.config whatever
  // KCONFIG_CONFIG says, and the shared objects' .config must change only when the result differs.
  const scratch = join(paths.work, `.${ownedName(`config-${kernel.name}`)}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch);
  try {
    const make = (target: string) => r.run('make', [`O=${scratch}`, target], { cwd: paths.src });
    log(`[build] ${kernel.name}: make tinyconfig + minimal.config + CONFIG_LOCALVERSION="${kernel.localversion}", make olddefconfig`);
    await make('tinyconfig');
    const requested = [...parseConfig(fragment, CONFIG_FRAGMENT), localversionSetting(kernel.localversion)];
    const config = join(scratch, '.config');
    writeFileSync(config, mergeConfig(readFileSync(config, 'utf8'), requested));
    await make('olddefconfig');
    const final = readFileSync(config, 'utf8');
    const problems = configProblems(final, requested);
    if (problems.length)
      throw new Error(`the configuration is not what ${CONFIG_FRAGMENT} asks for:\n  ${problems.join('\n  ')}\n` +
        `(a setting whose dependencies are unmet is dropped by Kconfig: add them to the fragment)`);
    // Only a changed .config is written: an identical one keeps make from re-reading the configuration.
    const current = join(paths.obj, '.config');
    if (!existsSync(current) || readFileSync(current, 'utf8') !== final) renameSync(config, current);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function compile(kernel: BuiltKernel, paths: BuildPaths, r: Runner, jobs: number, log: (line: string) => void): Promise<number> {
  writeFileSync(join(paths.obj, MARKER), `${new Date().toISOString()}\n`);
  const started = Date.now();
  let compiled = 0, last = Date.now();
  log(`[build] ${kernel.name}: make -j${jobs} bzImage (the log: ${r.logPath})`);
  const marker = join(paths.obj, MARKER);
  await r.run('make', [`O=${paths.obj}`, `-j${jobs}`, 'bzImage'], {
    cwd: paths.src,
    onLine: (line) => {
      if (/^\s+(CC|AS|LD|AR|BTF|GEN)\s/.test(line)) compiled++;
      if (Date.now() - last >= 60_000) {
        last = Date.now();
        log(`[build] ${kernel.name}: compiling, ${compiled} steps done in ${Math.round((last - started) / 60_000)} min (now: ${line.trim()})`);
      }
    },
  }).catch((e: unknown) => {
    // make that failed by itself (a compile error) deleted what it was writing (.DELETE_ON_ERROR): its
    // objects can be trusted. Killed (a signal, or this process stopping), they cannot: the marker stays.
    if (typeof (e as { exitCode?: unknown }).exitCode === 'number' && !interrupted()) rmSync(marker, { force: true });
    throw e;
  });
  rmSync(marker, { force: true });
  return (Date.now() - started) / 1000;
}

async function install(kernel: BuiltKernel, digest: string, buildSeconds: number, paths: BuildPaths, r: Runner): Promise<FinishedKernel> {
  const release = (await execa('make', ['-s', `O=${paths.obj}`, 'kernelrelease'], { cwd: paths.src, env: makeEnv() })).stdout.trim();
  if (release !== builtRelease(kernel))
    throw new Error(`the build says its release is "${release}", where ${builtRelease(kernel)} was expected (the source's version or the configuration is not what built-kernels.ts says)`);
  const bzImage = join(paths.obj, 'arch/x86/boot/bzImage');
  mkdirSync(paths.kernels, { recursive: true });
  const staging = join(paths.kernels, `.${ownedName(`partial-${kernel.name}`)}`);
  const old = join(paths.kernels, `.${ownedName(`old-${kernel.name}`)}`);
  const dir = join(paths.kernels, kernel.name);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  try {
    copyFileSync(bzImage, join(staging, 'bzImage'));
    copyFileSync(join(paths.obj, '.config'), join(staging, 'config'));
    await new Promise((resolve) => r.log.write('', resolve));
    copyFileSync(r.logPath, join(staging, 'build.log'));
    const manifest: BuiltManifest = {
      format: RECIPE_FORMAT, name: kernel.name, release, sourceVersion: KERNEL_SOURCE.version,
      inputs: digest, bzImageSize: statSync(join(staging, 'bzImage')).size, bzImageSha256: sha256Of(join(staging, 'bzImage')),
      buildSeconds: Math.round(buildSeconds), builtAt: new Date().toISOString(),
    };
    writeFileSync(join(staging, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    if (existsSync(dir)) renameSync(dir, old);
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
  const check = checkFinished(dir, kernel, digest);
  if (!check.kernel) throw new Error(`the installed kernel does not check: ${check.problem}`);
  return check.kernel;
}

/**
 * The kernel, built if kernels/<name>/ does not hold it built from today's inputs. `log` gets the progress
 * lines. A failure names its step, keeps the log and says where it is (exit 7; 4, 10 and 12 for missing tools,
 * an unreachable archive and a source Debian no longer offers).
 */
export async function ensureBuiltKernel(name: BuiltKernelName, log: (line: string) => void, options: BuildOptions = {}): Promise<FinishedKernel> {
  const kernel = builtKernel(name);
  const paths = buildPaths(options.root);
  const found = findBuilt(name, options.root);
  if (found.kernel) return found.kernel;
  for (const removed of sweepBuildLeftovers(paths)) log(`[build] removed ${removed}, left by a build that was killed`);
  mkdirSync(paths.logs, { recursive: true });
  const release = await holdLock(paths.work, () => log(`[build] ${name}: another build of this source is under way; waiting for it`));
  try {
    const again = findBuilt(name, options.root); // the build we waited for may have been this one
    if (again.kernel) return again.kernel;
    log(`[build] ${name}: building ${builtRelease(kernel)} (${again.problem}); cache: ${paths.root}`);
    const { fragment, digest } = kernelInputs(kernel);
    const logPath = join(paths.logs, `${name}.log`);
    writeFileSync(logPath, `# ${name} (${builtRelease(kernel)}), started ${new Date().toISOString()}\n`);
    const r = runner(logPath);
    let current = 'tools' as BuildStep;
    const step = (s: string) => { current = s as BuildStep; };
    const started = Date.now();
    try {
      await ensureBuildTools(log);
      step('source');
      const dsc = await ensureSource(paths, log);
      await prepareTree(dsc, paths, kernel.patches.map(repoFile), log, step);
      step('config');
      mkdirSync(paths.obj, { recursive: true });
      const forgotten = forgetInterruptedMake(paths.obj);
      if (forgotten) log(`[build] ${name}: the last make was interrupted; removed the ${forgotten} files it had written, to be made again`);
      await configure(kernel, fragment, paths, r, log);
      step('compile');
      const seconds = await compile(kernel, paths, r, options.jobs ?? cpus().length, log);
      step('install');
      const done = await install(kernel, digest, seconds, paths, r);
      const mb = (done.manifest.bzImageSize / 1e6).toFixed(1);
      log(`[build] ${name}: ${done.release} built in ${formatDuration(seconds)} (make), ${formatDuration((Date.now() - started) / 1000)} in all; ` +
        `bzImage ${mb} MB in ${done.dir}`);
      return done;
    } catch (e) {
      if (e instanceof HarnessError && (e.code === EXIT.interrupted || current === 'tools' || current === 'source')) throw e;
      const code = e instanceof HarnessError ? e.code : EXIT.runFailed;
      throw new HarnessError(code,
        `building ${name} failed at step "${current}": ${(e as Error).message}\n` +
        `The log is kept: ${logPath}\n${current === 'compile' || current === 'config' ? `${tail(logPath)}\n` : ''}` +
        `Nothing was installed; \`npm run kernels -- build ${name}\` starts again from where it failed.`, { cause: e });
    } finally {
      r.log.end();
    }
  } finally {
    release();
  }
}

export function formatDuration(seconds: number): string {
  return seconds < 90 ? `${seconds.toFixed(0)} s` : `${Math.floor(seconds / 60)} min ${String(Math.round(seconds % 60)).padStart(2, '0')} s`;
}
