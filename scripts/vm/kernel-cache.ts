// build/kernels/: the locked kernels' .debs (debs/) and their extractions (<release>/), each checked against
// kernels.lock.json before use. Nothing here talks to Debian (scripts/vm/kernels.ts does).
//
// Every write is staged and renamed into place, under a name that says whose it is:
//   debs/.edl-<run id>-partial/             a download in progress (its .debs move to debs/ once their sha256 matches)
//   .edl-<run id>-partial-<release>/        an extraction in progress (renamed to <release>/ with its manifest inside)
//   .edl-<run id>-damaged-<release>/        a damaged entry moved aside to be replaced, removed right after
// So a process killed at any point leaves only dot-named folders, which never look cached and are removed
// by the next fetch (and the next run's sweep) once their run is dead (support/ownership.ts).
import { createHash } from 'node:crypto';
import { execa } from 'execa';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HarnessError, EXIT } from '../support/errors.ts';
import { KERNELS_DIR, ROOT } from '../support/paths.ts';
import { ownedName } from '../support/owned-names.ts';
import { deadOwned } from '../support/dead-owned.ts';
import type { LockedDeb, LockedKernel } from './kernel-lock.ts';
import type { KernelSeries } from './kernel-series.ts';

export { KERNELS_DIR };

export interface CachedKernel { release: string; series: KernelSeries; vmlinuz: string; modulesDir: string }

/** manifest.json of an extraction; `format` 2 added what the entry is checked against (older ones are rebuilt). */
interface Manifest {
  format: 2;
  series: KernelSeries; suite: string; packages: string[]; version: string; release: string;
  /** The .debs it was extracted from, as the lock listed them then. */
  debs: LockedDeb[];
  vmlinuz: string; modulesDir: string;
  vmlinuzSize: number; vmlinuzSha256: string;
  /** Every file under modulesDir by size: a missing or truncated module changes it. Sizes, not contents:
   *  hashing ~100 MB of modules would cost every run a few hundred ms; vmlinuz is hashed whole (~20 ms). */
  modules: { files: number; bytes: number; sizes: string };
}

/** A path for messages: relative to the repository when inside it. */
export function shown(path: string): string {
  const rel = relative(ROOT, path);
  return rel.startsWith('..') ? path : rel;
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The file name `apt-get download` gives a package (an epoch's colon is escaped). */
export function debFileName(name: string, version: string): string {
  return `${name}_${version.replace(':', '%3a')}_amd64.deb`;
}

/** Why a .deb is not the locked one (undefined when it is): size first (cheap, and says "truncated"). */
export function debProblem(path: string, deb: LockedDeb): string | undefined {
  let size: number;
  try { size = statSync(path).size; } catch { return 'missing'; }
  if (size !== deb.size) return `${size} bytes where kernels.lock.json says ${deb.size}${size < deb.size ? ' (truncated)' : ''}`;
  const sha256 = sha256File(path);
  if (sha256 !== deb.sha256) return `sha256 ${sha256} where kernels.lock.json says ${deb.sha256}`;
  return undefined;
}

// ---- the .debs ----

export const debsDir = (root: string) => join(root, 'debs');

/** The locked .debs already in <root>/debs/ and those still to download. A cached one that does not match
 *  the lock (a truncated or damaged file) is deleted, so it is downloaded again. */
export function cachedDebs(root: string, locked: LockedKernel, log: (line: string) => void): { found: Map<string, string>; missing: LockedDeb[] } {
  const found = new Map<string, string>(), missing: LockedDeb[] = [];
  for (const deb of locked.packages) {
    const path = join(debsDir(root), debFileName(deb.name, locked.version));
    if (!existsSync(path)) { missing.push(deb); continue; }
    const problem = debProblem(path, deb);
    if (!problem) { found.set(deb.name, path); continue; }
    log(`${shown(path)}: ${problem}; deleting it to download it again`);
    try {
      rmSync(path, { force: true });
    } catch (e) {
      throw new HarnessError(EXIT.corruptCache,
        `The cached ${shown(path)} is damaged (${problem}) and could not be deleted (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).\n` +
        `Delete it (\`rm -f ${shown(path)}\`) and run again; it is downloaded again.`, { cause: e });
    }
    missing.push(deb);
  }
  return { found, missing };
}

/** A staging folder for one process's downloads (see the header); the caller removes it when done. */
export function downloadStaging(root: string): string {
  const staging = join(debsDir(root), `.${ownedName('partial')}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  return staging;
}

/** Checks a downloaded .deb against the lock before anything reads it, then moves it into <root>/debs/. A
 *  mismatch deletes it and refuses (exit 12: the locked bytes are not what Debian serves). */
export function acceptDownload(staging: string, root: string, series: KernelSeries, locked: LockedKernel, deb: LockedDeb): string {
  const name = debFileName(deb.name, locked.version);
  const downloaded = join(staging, name);
  const problem = debProblem(downloaded, deb);
  if (problem === 'missing')
    throw new HarnessError(EXIT.offline, `apt-get download of ${deb.name}=${locked.version} reported success but left no ${name}; retry.`);
  if (problem) {
    rmSync(downloaded, { force: true });
    throw new HarnessError(EXIT.kernelGone,
      `The downloaded ${deb.name} ${locked.version} (locked for --kernel ${series}) is not the file kernels.lock.json locks: ${problem}. ` +
      `The download was deleted and nothing was extracted.\n` +
      `apt checked the file against Debian's signed index, so the archive now serves other bytes under this version than when it ` +
      `was locked, or the lock was edited by hand (see \`git log -p kernels.lock.json\`). To lock what Debian serves now, run ` +
      `\`npm run kernels -- update ${series}\`, then regenerate results/kernels/${locked.release}/ with \`npm run experiment -- all --kernel ${series}\`.`);
  }
  const path = join(debsDir(root), name);
  renameSync(downloaded, path);
  return path;
}

// ---- checking an extraction ----

/** A digest of every file's path and size under `dir` (symlinks by target), with the count and total. */
export function treeSizes(dir: string): Manifest['modules'] {
  const lines: string[] = [];
  let bytes = 0;
  const walk = (at: string, rel: string) => {
    for (const e of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, e.name), name = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path, name);
      else if (e.isSymbolicLink()) lines.push(`${name}\0->${readlinkSync(path)}`);
      else { const size = lstatSync(path).size; bytes += size; lines.push(`${name}\0${size}`); }
    }
  };
  walk(dir, '');
  lines.sort();
  return { files: lines.length, bytes, sizes: createHash('sha256').update(lines.join('\n')).digest('hex') };
}

function readJson(path: string): unknown {
  try { return JSON.parse(readFileSync(path, 'utf8')); } catch { return undefined; }
}

/** build/kernels/<release>/manifest.json → absolute paths; undefined when absent or unreadable. Any format:
 *  this says what is there, `checkEntry` whether it can be used. */
export function readManifest(dir: string): (CachedKernel & { version: string }) | undefined {
  const m = readJson(join(dir, 'manifest.json')) as Partial<Manifest> | undefined;
  if (!m || typeof m.release !== 'string' || typeof m.vmlinuz !== 'string' || typeof m.modulesDir !== 'string') return undefined;
  return { release: m.release, series: m.series as KernelSeries, version: String(m.version), vmlinuz: join(dir, m.vmlinuz), modulesDir: join(dir, m.modulesDir) };
}

const sameDebs = (a: LockedDeb[] | undefined, b: LockedDeb[]) =>
  Array.isArray(a) && a.length === b.length && a.every((d, i) => d.name === b[i].name && d.sha256 === b[i].sha256 && d.size === b[i].size);

/** Why an entry cannot be used: there is none, it predates the checks (extracted again without a word of
 *  alarm), or it is damaged or does not match the lock. */
export type EntryProblem = 'absent' | 'outdated' | 'damaged';
export type EntryCheck = { kernel: CachedKernel; problem?: undefined; kind?: undefined } | { kernel?: undefined; problem: string; kind: EntryProblem };

const damagedEntry = (problem: string): EntryCheck => ({ problem, kind: 'damaged' });

/**
 * Whether build/kernels/<release>/ is a complete extraction of exactly the locked .debs: the manifest
 * matches the lock, vmlinuz has its recorded size and sha256, and every module its recorded size.
 * Runs before every --kernel run (~30 ms: one hash of vmlinuz, one stat per module).
 */
export function checkEntry(dir: string, series: KernelSeries, locked: LockedKernel): EntryCheck {
  if (!existsSync(dir) && !isLink(dir)) return { problem: 'not cached', kind: 'absent' };
  const m = readJson(join(dir, 'manifest.json')) as Manifest | undefined;
  if (m === undefined) return damagedEntry(existsSync(join(dir, 'manifest.json')) ? 'manifest.json is unreadable' : 'no manifest.json (an interrupted or foreign extraction)');
  if (m.format !== 2) return { problem: 'extracted by an older harness, without the checksums it is checked against', kind: 'outdated' };
  if (m.series !== series || m.release !== locked.release || m.version !== locked.version || !sameDebs(m.debs, locked.packages))
    return damagedEntry(`extracted from ${m.release} ${m.version}, not from the .debs kernels.lock.json locks for ${series} (${locked.release} ${locked.version})`);
  const vmlinuz = join(dir, m.vmlinuz), modulesDir = join(dir, m.modulesDir);
  let size: number;
  try { size = statSync(vmlinuz).size; } catch { return damagedEntry(`${m.vmlinuz} is missing`); }
  if (size !== m.vmlinuzSize) return damagedEntry(`${m.vmlinuz} has ${size} bytes, ${m.vmlinuzSize} were extracted${size < m.vmlinuzSize ? ' (truncated)' : ''}`);
  if (sha256File(vmlinuz) !== m.vmlinuzSha256) return damagedEntry(`${m.vmlinuz} differs from what was extracted (sha256)`);
  let modules: Manifest['modules'];
  try { modules = treeSizes(modulesDir); } catch { return damagedEntry(`${m.modulesDir} is missing`); }
  if (modules.sizes !== m.modules?.sizes)
    return damagedEntry(`${m.modulesDir} differs from what was extracted: ${modules.files} files, ${modules.bytes} bytes; ${m.modules?.files} files, ${m.modules?.bytes} bytes were extracted`);
  return { kernel: { release: m.release, series, vmlinuz, modulesDir } };
}

// ---- leftovers of killed processes ----

/** Removes staging folders whose run is dead (see the header); returns what it removed. */
export function sweepLeftovers(root: string): string[] {
  const removed: string[] = [];
  for (const { path } of deadOwned([root, join(root, 'debs')])) {
    try {
      rmSync(path, { recursive: true, force: true });
      removed.push(shown(path));
    } catch {
      // the next fetch tries again
    }
  }
  return removed;
}

// ---- making an entry ----

/** The message of a damaged cache entry the harness cannot replace (exit 11). */
export function corruptEntry(dir: string, problem: string, why: string, cause?: unknown): HarnessError {
  return new HarnessError(EXIT.corruptCache,
    `The cached kernel ${shown(dir)} is damaged (${problem}) and could not be replaced: ${why}.\n` +
    `Delete it (\`rm -rf ${shown(dir)}\`) and run again; it is rebuilt from the locked .debs.`, { cause });
}

/**
 * dpkg-deb -x every .deb into .edl-<run id>-partial-<release>/, record what the check needs in manifest.json, then
 * put it in place of build/kernels/<release>/ (moving a damaged one aside first). `debs` are checked already.
 */
export async function extractEntry(root: string, series: KernelSeries, locked: LockedKernel, debs: string[],
  log: (line: string) => void, damaged?: string): Promise<CachedKernel> {
  const dir = join(root, locked.release);
  const staging = join(root, `.${ownedName(`partial-${locked.release}`)}`);
  rmSync(staging, { recursive: true, force: true });
  try {
    log(`extracting ${locked.packages.map((p) => p.name).join(' ')}`);
    for (const deb of debs) {
      const r = await execa('dpkg-deb', ['-x', deb, staging], { reject: false, all: true });
      if (r.failed) throw new HarnessError(EXIT.runFailed,
        `dpkg-deb -x ${shown(deb)} failed: ${(r.all ?? r.message).trim()}\n` +
        `Its sha256 matches kernels.lock.json, so the file is intact: is ${shown(root)} writable and is there space left?`, { cause: r });
    }
    // bookworm/bullseye: boot/vmlinuz-<release> and lib/modules/<release>. sid (merged /usr, split
    // packages): everything under usr/lib/modules/<release>/, vmlinuz included, no /boot at all.
    const modulesDir = [`lib/modules/${locked.release}`, `usr/lib/modules/${locked.release}`].find((d) => existsSync(join(staging, d)));
    const vmlinuz = [`boot/vmlinuz-${locked.release}`, `${modulesDir}/vmlinuz`].find((f) => existsSync(join(staging, f)));
    if (!vmlinuz || !modulesDir)
      throw new HarnessError(EXIT.runFailed,
        `${locked.packages.map((p) => p.name).join(', ')} ${locked.version} has no ${!modulesDir ? `lib/modules/${locked.release}` : `vmlinuz for ${locked.release}`}: ` +
        `Debian's kernel packaging changed; adjust sameKernelDepends() in scripts/vm/kernels.ts or extractEntry() in scripts/vm/kernel-cache.ts.`);
    const manifest: Manifest = {
      format: 2, series, suite: locked.suite, packages: locked.packages.map((p) => p.name), version: locked.version, release: locked.release,
      debs: locked.packages, vmlinuz, modulesDir,
      vmlinuzSize: statSync(join(staging, vmlinuz)).size, vmlinuzSha256: sha256File(join(staging, vmlinuz)),
      modules: treeSizes(join(staging, modulesDir)),
    };
    writeFileSync(join(staging, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    replaceEntry(staging, dir, series, locked, damaged);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const check = checkEntry(dir, series, locked);
  if (check.problem !== undefined) throw corruptEntry(dir, check.problem, 'it was extracted again and still does not match what was extracted');
  return check.kernel;
}

/** Renames the finished staging folder to `dir`; a damaged `dir` is moved aside first (one rename, so a
 *  reader never sees a half-replaced entry), and another process's complete entry wins over ours. */
function replaceEntry(staging: string, dir: string, series: KernelSeries, locked: LockedKernel, damaged?: string): void {
  if (existsSync(dir) || isLink(dir)) {
    if (!checkEntry(dir, series, locked).problem) return; // someone else finished the same kernel first
    const aside = join(dir, '..', `.${ownedName(`damaged-${locked.release}`)}`);
    try {
      rmSync(aside, { recursive: true, force: true });
      renameSync(dir, aside);
    } catch (e) {
      throw corruptEntry(dir, damaged ?? 'it does not match kernels.lock.json', `moving it aside failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, e);
    }
    rmSync(aside, { recursive: true, force: true });
  }
  try {
    renameSync(staging, dir);
  } catch (e) {
    if (checkEntry(dir, series, locked).problem) throw corruptEntry(dir, damaged ?? 'it does not match kernels.lock.json',
      `renaming the new extraction into place failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, e);
  }
}

function isLink(path: string): boolean {
  try { return lstatSync(path).isSymbolicLink(); } catch { return false; }
}

/** Kernels extracted in `root` (each with a manifest written after a complete extraction), checked or not. */
export function cachedManifests(root = KERNELS_DIR): (CachedKernel & { version: string; dir: string })[] {
  let entries: string[] = [];
  try { entries = readdirSync(root); } catch {}
  return entries.filter((e) => !e.startsWith('.') && e !== 'debs').sort()
    .flatMap((e) => { const m = readManifest(join(root, e)); return m ? [{ ...m, dir: join(root, e) }] : []; });
}
