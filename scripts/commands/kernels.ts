// `npm run kernels`: per series, the kernel kernels.lock.json locks, whether it is cached, and whether Debian
// still offers it or something newer; then the kernels this repository builds, built or not.
// `npm run kernels -- update [series…]`: the only way the lock (and so the kernel matrix) moves; it prints
// old → new and which results/kernels/ folders that makes stale. `npm run kernels -- build [name…]`: builds
// the kernels of scripts/vm/build/ that are not built yet (scripts/vm/build/build-kernel.ts).
import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import { EXIT, HarnessError } from '../support/errors.ts';
import { ROOT } from '../support/paths.ts';
import { AptError } from '../vm/apt.ts';
import { KERNEL_SERIES, isKernelSeries, type KernelSeries } from '../vm/kernel-series.ts';
import { describeUpdate, lockChanges, readLock, writeLock, type LockedKernels } from '../vm/kernel-lock.ts';
import { cachedManifests } from '../vm/kernel-cache.ts';
import { debianArchive, kernelStatuses, newestKernel, type KernelStatus } from '../vm/kernels.ts';
import { BUILT_KERNELS, BUILT_KERNEL_NAMES, KERNEL_SOURCE, builtRelease, isBuiltKernelName, type BuiltKernelName } from '../vm/build/built-kernels.ts';
import { buildPaths } from '../vm/build/build-cache.ts';
import { ensureBuiltKernel, findBuilt, formatDuration } from '../vm/build/build-kernel.ts';
import { HELP } from './usage.ts';

export const KERNELS_USAGE = `Usage:
  npm run kernels [-- --offline]
  npm run kernels -- update [${KERNEL_SERIES.join('|')} …]
  npm run kernels -- build [${BUILT_KERNEL_NAMES.join('|')} …]

Without a command: per series, the kernel kernels.lock.json locks (what --kernel <series> boots), whether
build/kernels/ holds it, and whether Debian still offers it and offers something newer (--offline: do not ask);
then the kernels built here from Debian's ${KERNEL_SOURCE.package} ${KERNEL_SOURCE.version} source, built or not.
build: builds those named (default: all) that are not built from the repository's inputs yet, into
${buildPaths().root} (EDL_BUILD_CACHE); a built one is left as it is. --kernel <name> builds on first use too.
update: looks up the newest Debian kernel of each series named (default: all), rewrites kernels.lock.json,
prints old → new per series, and says which results/kernels/<release>/ folders are stale and how to
regenerate them. Nothing else moves the lock: a new Debian kernel changes nothing until this is run.`;

function kernelsUsageError(message: string): HarnessError {
  return new HarnessError(EXIT.usage, `${message}\n\n${KERNELS_USAGE}`);
}

const progress = (line: string) => console.error(line); // stdout stays the table

export async function kernelsCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { help: HELP, offline: { type: 'boolean' } } });
  } catch (error) {
    throw kernelsUsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(KERNELS_USAGE);
    return EXIT.ok;
  }
  const [command, ...rest] = positionals;
  if (command === 'update') {
    if (values.offline) throw kernelsUsageError('update needs Debian\'s archive: --offline does not go with it');
    return update(rest);
  }
  if (command === 'build') return build(rest);
  if (command !== undefined) throw kernelsUsageError(`unknown kernels command "${command}" (known: update, build)`);
  return list(Boolean(values.offline));
}

// ---- the listing ----

function debianColumn(s: KernelStatus): string {
  if (!s.archive) return 'not asked (--offline)';
  if ('error' in s.archive) return 'unknown: archive unreachable';
  const { lockedOffered, newest } = s.archive;
  const offered = lockedOffered ? 'offered' : 'NO LONGER OFFERED';
  if (!newest || newest.version === s.locked.version) return `${offered}, nothing newer`;
  return `${offered}; newer: ${newest.release} (${newest.version})`;
}

function cacheColumn(s: KernelStatus): string {
  if (s.entry.kernel) return 'cached';
  if (s.entry.kind === 'absent') return s.debsCached ? 'not extracted (.debs cached)' : 'not cached';
  return s.entry.kind === 'outdated' ? 'extracted again at next use' : 'damaged (see below)';
}

async function list(offline: boolean): Promise<number> {
  const statuses = await kernelStatuses(progress, { offline });
  const rows = [['series', 'locked release', 'version', 'build/kernels/', 'Debian'],
    ...statuses.map((s) => [s.series, s.locked.release, s.locked.version, cacheColumn(s), debianColumn(s)])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());

  const notes: string[] = [];
  for (const s of statuses)
    if (s.entry.kind === 'damaged')
      notes.push(`${s.series}: build/kernels/${s.locked.release}/: ${s.entry.problem}; the next --kernel ${s.series} run extracts it again.`);
  const unreachable = statuses.find((s) => s.archive && 'error' in s.archive)?.archive as { error: string } | undefined;
  if (unreachable) notes.push(`Debian's archive could not be asked (${unreachable.error}); --kernel still works for cached kernels.`);
  const gone = statuses.filter((s) => s.archive && 'lockedOffered' in s.archive && !s.archive.lockedOffered);
  for (const s of gone)
    notes.push(`${s.series}: Debian no longer offers the locked ${s.locked.release}${s.entry.kernel || s.debsCached ? '; it is cached, so --kernel still works here' : '; --kernel ' + s.series + ' fails here (exit 12)'}. ` +
      `\`npm run kernels -- update ${s.series}\` moves the lock to what Debian offers.`);
  const newer = statuses.filter((s) => s.archive && 'newest' in s.archive && s.archive.newest && s.archive.newest.version !== s.locked.version);
  if (newer.length) notes.push(`Newer kernels are used only after \`npm run kernels -- update ${newer.map((s) => s.series).join(' ')}\` (it says which results it makes stale).`);
  const locked = new Set(statuses.map((s) => s.locked.release));
  const unlocked = cachedManifests().filter((m) => !locked.has(m.release));
  if (unlocked.length)
    notes.push(`Cached but no longer locked (delete when nothing uses them): ${unlocked.map((m) => relative(ROOT, m.dir)).join(', ')}.`);
  if (notes.length) console.log(`\n${notes.join('\n')}`);
  listBuilt();
  return EXIT.ok;
}

// ---- the kernels built here ----

function listBuilt(): void {
  console.log(`\nBuilt here from Debian's ${KERNEL_SOURCE.package} ${KERNEL_SOURCE.version} source (${KERNEL_SOURCE.suite}), ` +
    `scripts/vm/build/minimal.config; cache ${buildPaths().root}:`);
  const rows = [['name', 'release', 'state'], ...BUILT_KERNELS.map((k) => {
    const found = findBuilt(k.name);
    const state = found.kernel
      ? `built (bzImage ${(found.kernel.manifest.bzImageSize / 1e6).toFixed(1)} MB, make ${formatDuration(found.kernel.manifest.buildSeconds)})`
      : `${found.problem}: npm run kernels -- build ${k.name}`;
    return [k.name, builtRelease(k), state];
  })];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
  for (const k of BUILT_KERNELS) console.log(`  ${k.name}: ${k.about}`);
}

async function build(names: string[]): Promise<number> {
  const unknown = names.filter((n) => !isBuiltKernelName(n));
  if (unknown.length) throw kernelsUsageError(`unknown built kernel ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${BUILT_KERNEL_NAMES.join(', ')})`);
  const wanted = names.length ? BUILT_KERNEL_NAMES.filter((n) => names.includes(n)) : [...BUILT_KERNEL_NAMES];
  for (const name of wanted as BuiltKernelName[]) {
    const found = findBuilt(name);
    if (found.kernel) {
      console.log(`${name}: ${found.kernel.release} is built (${found.kernel.dir}); nothing to do`);
      continue;
    }
    const kernel = await ensureBuiltKernel(name, progress);
    console.log(`${name}: ${kernel.release} built: ${kernel.vmlinuz} (${(kernel.manifest.bzImageSize / 1e6).toFixed(1)} MB, ` +
      `make ${formatDuration(kernel.manifest.buildSeconds)}); run it with \`npm run experiment -- all --kernel ${name}\``);
  }
  return EXIT.ok;
}

// ---- update ----

async function update(names: string[]): Promise<number> {
  const unknown = names.filter((n) => !isKernelSeries(n));
  if (unknown.length) throw kernelsUsageError(`unknown kernel series ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${KERNEL_SERIES.join(', ')})`);
  const series = names.length ? [...new Set(names as KernelSeries[])] : [...KERNEL_SERIES];
  let old: Partial<LockedKernels>;
  try {
    old = readLock();
  } catch (e) {
    // A lock that cannot be read can only be replaced as a whole: the series not named would be lost.
    if (!(e instanceof HarnessError) || series.length < KERNEL_SERIES.length) throw e;
    progress(`${(e.message.split('\n')[0])}: writing a new one`);
    old = {};
  }
  const archive = debianArchive(progress);
  const found = await Promise.all(series.map(async (s) => {
    try {
      return await newestKernel(s, archive, true);
    } catch (e) {
      if (e instanceof AptError && e.code === EXIT.offline)
        throw new HarnessError(EXIT.offline,
          `Cannot look up the newest ${s} kernel: Debian's archive is unreachable. kernels.lock.json is unchanged.\n${e.message}`, { cause: e });
      throw e;
    }
  }));
  const next = { ...old, ...Object.fromEntries(series.map((s, i) => [s, found[i]])) } as LockedKernels;
  if (lockChanges(old, next, series).length) writeLock(next);
  for (const line of describeUpdate(old, next, series)) console.log(line);
  return EXIT.ok;
}
