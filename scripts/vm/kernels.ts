// Debian kernels for the VM runner. `--kernel <series>` boots the kernel kernels.lock.json locks for it
// (scripts/vm/kernel-lock.ts), never simply the newest: the .debs are downloaded pinned (`pkg=version`) with
// a private apt (scripts/vm/apt.ts), checked against the lock's sha256 and extracted into
// build/kernels/<release>/ (scripts/vm/kernel-cache.ts). A checked cache entry needs no network at all.
// Newer kernels are only looked up here, for `npm run kernels` and `npm run kernels -- update`.
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError, EXIT } from '../support/errors.ts';
import { AptError, privateApt, type PrivateApt } from './apt.ts';
import { KERNEL_SERIES, SERIES, suitesOf, type KernelSeries } from './kernel-series.ts';
import { readLock, type LockedDeb, type LockedKernel, type LockedKernels } from './kernel-lock.ts';
import {
  KERNELS_DIR, acceptDownload, cachedDebs, cachedManifests, checkEntry, debFileName, debsDir, downloadStaging, extractEntry,
  shown, sweepLeftovers, type CachedKernel, type EntryCheck,
} from './kernel-cache.ts';

export { KERNEL_SERIES, type KernelSeries } from './kernel-series.ts';
/** What `--kernel` accepts: the Debian series, then the kernels this repository builds. */
export { KERNEL_NAMES, type KernelName } from './kernel-names.ts';
export { readManifest, type CachedKernel } from './kernel-cache.ts';

// ---- pure parts (tested in test/unit/vm/kernels.test.ts) ----

/** Debian version order (dpkg's verrevcmp): <0, 0, >0 like a sort comparator. */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) => {
    const colon = v.indexOf(':'), dash = v.lastIndexOf('-');
    return [colon < 0 ? '0' : v.slice(0, colon), v.slice(colon + 1, dash < 0 ? undefined : dash), dash < 0 ? '' : v.slice(dash + 1)];
  };
  const [ea, ua, ra] = split(a), [eb, ub, rb] = split(b);
  return Number(ea) - Number(eb) || verrevcmp(ua, ub) || verrevcmp(ra, rb);
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
// '~' sorts before everything, even the end of the string; letters before other characters.
const order = (c: string | undefined) =>
  c === undefined || isDigit(c) ? 0 : /[A-Za-z]/.test(c) ? c.charCodeAt(0) : c === '~' ? -1 : c.charCodeAt(0) + 256;

function verrevcmp(a: string, b: string): number {
  let i = 0, j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const d = order(a[i]) - order(b[j]);
      if (d) return d;
      i++; j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    let first = 0;
    while (isDigit(a[i]) && isDigit(b[j])) { first ||= a.charCodeAt(i) - b.charCodeAt(j); i++; j++; }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (first) return first;
  }
  return 0;
}

/** `linux-image-6.1.0-47-cloud-amd64` → `6.1.0-47-cloud-amd64`; undefined for meta, -unsigned, -dbg. */
export function releaseOf(pkg: string): string | undefined {
  return /^linux-image-(\d\S*-cloud-amd64)$/.exec(pkg)?.[1];
}

export interface MadisonRow { package: string; version: string; suite: string }

/** `apt-cache madison` lines: ` pkg | version | http://… bookworm-security/main amd64 Packages`. */
export function parseMadison(text: string): MadisonRow[] {
  return text.split('\n').flatMap((line) => {
    const [pkg, version, from] = line.split('|').map((s) => s.trim());
    const suite = from?.split(/\s+/)[1]?.split('/')[0];
    return pkg && version && suite ? [{ package: pkg, version, suite }] : [];
  });
}

/** The newest cloud image of a series among madison rows (the same package may be in several suites). */
export function pickNewest(series: KernelSeries, rows: MadisonRow[]): (MadisonRow & { release: string }) | undefined {
  let best: (MadisonRow & { release: string }) | undefined;
  for (const row of rows) {
    const release = releaseOf(row.package);
    if (release && SERIES[series].release.test(release) && (!best || compareVersions(row.version, best.version) > 0)) best = { ...row, release };
  }
  return best;
}

/**
 * Packages a kernel image pulls in that belong to the same kernel (named `…-<release>`): none on
 * bookworm/bullseye, where linux-image-* holds everything; on sid linux-image-* is an empty
 * package depending on linux-binary-* (signed vmlinuz), linux-modules-* and linux-base-*
 * (modules.builtin, modules.order, …). The -unsigned binary is not a dependency, so it is skipped.
 */
export function sameKernelDepends(stanza: string, release: string): string[] {
  const depends = /^(?:Pre-)?Depends:(.*(?:\n .*)*)/gm;
  const names: string[] = [];
  for (const m of stanza.matchAll(depends))
    for (const alt of m[1].split(/[,|]/)) {
      const name = alt.trim().split(/[\s(:]/)[0];
      if (name.endsWith(`-${release}`) && !names.includes(name)) names.push(name);
    }
  return names;
}

/** The first stanza's value of `field` in `apt-cache show` output (the same version listed by two suites
 *  gives two identical stanzas). */
export function stanzaField(stanza: string, field: string): string | undefined {
  return new RegExp(`^${field}: *(.*)$`, 'm').exec(stanza.split(/\n\n/)[0])?.[1].trim();
}

/** The locked packages that none of the madison rows offers at the locked version (empty: all offered). */
export function notOffered(locked: LockedKernel, packages: readonly string[], rows: MadisonRow[]): string[] {
  return packages.filter((name) => !rows.some((r) => r.package === name && r.version === locked.version));
}

/** Exit 12's message: what is locked and gone, where it was looked for, and the way forward. */
export function kernelGoneMessage(series: KernelSeries, locked: LockedKernel, missing: readonly string[],
  context: { cache: string; newest?: { release: string; version: string }; why?: string }): string {
  const to = context.newest ? `${context.newest.release} (${context.newest.version})` : `the newest ${series} kernel Debian offers`;
  const stale = `results/kernels/${locked.release}/`;
  const regenerate = context.newest?.release === locked.release
    ? `npm run experiment -- all --kernel ${series}`
    : `git rm -r -q ${stale} && npm run experiment -- all --kernel ${series}`;
  return `kernels.lock.json locks ${missing.join(', ')} ${locked.version} for --kernel ${series}, but Debian ` +
    `(${suitesOf(series)}) no longer offers ${missing.length > 1 ? 'them' : 'it'}${context.why ? ` (${context.why})` : ''}, and ${context.cache}.\n` +
    `Run \`npm run kernels -- update ${series}\` to move to ${to}, then regenerate ${stale} with \`${regenerate}\`.\n` +
    `(Or put the locked .deb${missing.length > 1 ? 's' : ''}, e.g. from snapshot.debian.org, into build/kernels/debs/: ` +
    `a file whose sha256 matches the lock is used as if downloaded.)`;
}

// ---- Debian's archive ----

/** What the kernels need of Debian's archive (a fake one in the tests). `fresh` refreshes the package lists
 *  first, even when they are less than a day old (once per process). */
export interface KernelArchive {
  /** `apt-cache madison` rows of these packages. */
  madison(series: KernelSeries, packages: readonly string[], fresh?: boolean): Promise<MadisonRow[]>;
  /** The rows of every versioned cloud-amd64 image in the series' suites. */
  images(series: KernelSeries, fresh?: boolean): Promise<MadisonRow[]>;
  /** The lock entry for an image: its same-kernel dependencies, each .deb's sha256 and size from the index. */
  lockEntry(series: KernelSeries, image: MadisonRow & { release: string }): Promise<LockedKernel>;
  /** `apt-get download` of `package=version` specs into `dir`. */
  download(series: KernelSeries, specs: readonly string[], dir: string): Promise<void>;
}

const apts = new Map<string, { apt: PrivateApt; updated?: Promise<void>; refreshed?: Promise<void> }>();

/** The suite's private apt, its lists updated once per process (at most daily, or now when `fresh`) even
 *  when series share it. */
async function aptFor(series: KernelSeries, log: (line: string) => void, fresh = false): Promise<PrivateApt> {
  const { apt: name, sources } = SERIES[series];
  let entry = apts.get(name);
  if (!entry) apts.set(name, (entry = { apt: privateApt(name, sources) }));
  const e = entry;
  if (fresh) {
    e.refreshed ??= e.apt.update(log, { force: true }).catch((err) => { e.refreshed = undefined; throw err; });
    e.updated ??= e.refreshed;
    await e.refreshed;
  } else {
    e.updated ??= e.apt.update(log).catch((err) => { e.updated = undefined; throw err; });
    await e.updated;
  }
  return e.apt;
}

export function debianArchive(log: (line: string) => void): KernelArchive {
  return {
    async madison(series, packages, fresh) {
      const apt = await aptFor(series, log, fresh);
      return parseMadison(await apt.cache(['madison', ...packages]));
    },
    async images(series, fresh) {
      const apt = await aptFor(series, log, fresh);
      const names = (await apt.cache(['search', '--names-only', '^linux-image-[0-9].*-cloud-amd64$']))
        .split('\n').map((l) => l.split(' ')[0]).filter((n) => releaseOf(n));
      return names.length ? parseMadison(await apt.cache(['madison', ...names])) : [];
    },
    async lockEntry(series, image) {
      const apt = await aptFor(series, log);
      // Follow same-kernel dependencies (sid: image → binary, modules, base; modules → base).
      const packages: LockedDeb[] = [];
      const names = [image.package];
      for (let i = 0; i < names.length; i++) {
        const stanza = await apt.cache(['show', `${names[i]}=${image.version}`]);
        const sha256 = stanzaField(stanza, 'SHA256'), size = Number(stanzaField(stanza, 'Size'));
        if (!sha256 || !size)
          throw new HarnessError(EXIT.missingTool, `apt-cache show ${names[i]}=${image.version} (${suitesOf(series)}) lists no SHA256 and Size: ` +
            `the package is gone from the lists or apt's output changed; nothing was locked.`);
        packages.push({ name: names[i], sha256, size });
        for (const dep of sameKernelDepends(stanza, image.release)) if (!names.includes(dep)) names.push(dep);
      }
      return { suite: image.suite, release: image.release, version: image.version, packages };
    },
    async download(series, specs, dir) {
      await (await aptFor(series, log)).download([...specs], dir);
    },
  };
}

/** The newest image of a series Debian offers now, as a lock entry (for `npm run kernels -- update`). */
export async function newestKernel(series: KernelSeries, archive: KernelArchive, fresh = true): Promise<LockedKernel> {
  const best = pickNewest(series, await archive.images(series, fresh));
  if (!best)
    throw new HarnessError(EXIT.missingTool,
      `No linux-image-*-cloud-amd64 package for kernel series ${series} in ${suitesOf(series)}. ` +
      `Debian may have dropped or renamed it; check \`apt-cache search linux-image\` there and update SERIES in scripts/vm/kernel-series.ts.`);
  return archive.lockEntry(series, best);
}

/** An apt failure while getting a locked package, as the error the user sees: unreachable → exit 10 naming
 *  the package; anything else as apt said it. */
function downloadFailure(series: KernelSeries, locked: LockedKernel, missing: readonly LockedDeb[], cache: string, e: unknown): unknown {
  if (!(e instanceof AptError) || e.failure !== 'unreachable') return e;
  return new HarnessError(EXIT.offline,
    `Cannot get ${missing.map((d) => d.name).join(', ')} ${locked.version} (locked for --kernel ${series}): Debian's archive ` +
    `is unreachable, and ${cache}.\n${e.message}`, { cause: e });
}

/** Throws exit 12 when the archive no longer has the locked version of a missing package. The package lists
 *  may predate the lock (they are refreshed daily), so a miss is looked up again with fresh lists. */
async function ensureOffered(series: KernelSeries, locked: LockedKernel, missing: readonly LockedDeb[], archive: KernelArchive,
  cache: string, freshOnly = false): Promise<void> {
  const names = missing.map((d) => d.name);
  let gone: string[];
  try {
    gone = freshOnly ? names : notOffered(locked, names, await archive.madison(series, names));
    if (gone.length) gone = notOffered(locked, names, await archive.madison(series, names, true));
  } catch (e) {
    // The suite itself answers 404 (moved to archive.debian.org, say): nothing of it is offered any more.
    if (e instanceof AptError && e.failure === 'not-found')
      throw new HarnessError(EXIT.kernelGone, kernelGoneMessage(series, locked, names, { cache, why: 'its package index answers 404' }), { cause: e });
    throw downloadFailure(series, locked, missing, cache, e);
  }
  if (!gone.length) return;
  let newest: { release: string; version: string } | undefined;
  try { newest = pickNewest(series, await archive.images(series)); } catch {} // the message then says "the newest"
  throw new HarnessError(EXIT.kernelGone, kernelGoneMessage(series, locked, gone, { cache, newest }));
}

export interface FetchOptions {
  /** Instead of build/kernels/ (tests). */
  cacheRoot?: string;
  /** Instead of kernels.lock.json. */
  lock?: LockedKernels;
  /** Instead of Debian's archive through the private apt. */
  archive?: KernelArchive;
}

/**
 * The locked kernel of a series, extracted and checked: the cache entry when it matches the lock; otherwise
 * extracted (again) from the locked .debs, downloading those not cached. Fails with exit 12 when Debian no
 * longer offers a missing .deb, 10 when its archive is unreachable, 11 when a damaged entry cannot be replaced.
 */
export async function fetchKernel(series: KernelSeries, log: (line: string) => void, options: FetchOptions = {}): Promise<CachedKernel> {
  const root = options.cacheRoot ?? KERNELS_DIR;
  const locked = (options.lock ?? readLock())[series];
  for (const removed of sweepLeftovers(root)) log(`removed ${removed}, left by a fetch that was interrupted`);
  const dir = join(root, locked.release);
  const check = checkEntry(dir, series, locked);
  if (check.kernel) return check.kernel;
  const damaged = check.kind === 'absent' ? undefined : check.problem;
  if (damaged) log(`${shown(dir)}: ${damaged}; extracting it again from the locked .debs`);

  mkdirSync(debsDir(root), { recursive: true });
  const { found, missing } = cachedDebs(root, locked, log);
  if (missing.length) {
    const archive = options.archive ?? debianArchive(log);
    const cache = damaged
      ? `${shown(dir)} is damaged (${damaged}) with no .deb in ${shown(debsDir(root))} to extract it again from`
      : `${shown(root)} holds neither the extracted kernel nor its .deb`;
    await ensureOffered(series, locked, missing, archive, cache);
    const staging = downloadStaging(root);
    try {
      const bytes = missing.reduce((n, d) => n + d.size, 0);
      const size = bytes >= 1e6 ? `${(bytes / 1e6).toFixed(0)} MB` : `${bytes} bytes`;
      log(`downloading ${missing.map((d) => d.name).join(' ')} (${locked.version}, ${size})`);
      try {
        await archive.download(series, missing.map((d) => `${d.name}=${locked.version}`), staging);
      } catch (e) {
        // Listed but 404: the lists are older than the archive's last removal. Look again with fresh ones.
        if (e instanceof AptError && e.failure === 'not-found') {
          await ensureOffered(series, locked, missing, archive, cache, true);
          throw new HarnessError(EXIT.offline, `Debian's archive lists ${missing.map((d) => d.name).join(', ')} ${locked.version} but ` +
            `answered 404 for it (a mirror in the middle of a sync?); retry later.\n${e.message}`, { cause: e });
        }
        throw downloadFailure(series, locked, missing, cache, e);
      }
      for (const deb of missing) found.set(deb.name, acceptDownload(staging, root, series, locked, deb));
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return extractEntry(root, series, locked, locked.packages.map((d) => found.get(d.name)!), log, damaged);
}

// ---- what `npm run kernels` shows ----

export interface KernelStatus {
  series: KernelSeries;
  locked: LockedKernel;
  /** build/kernels/<release>/: usable, or why not ("not cached", or what is damaged). */
  entry: EntryCheck;
  /** Every locked .deb is in build/kernels/debs/ with the locked size (not hashed: this is a listing). */
  debsCached: boolean;
  /** What the archive offers, when it could be asked. */
  archive?: { lockedOffered: boolean; newest?: MadisonRow & { release: string } } | { error: string };
}

/** Per series: the lock, the cache, and (unless `offline`) whether Debian still offers it and something newer. */
export async function kernelStatuses(log: (line: string) => void, options: FetchOptions & { offline?: boolean } = {}): Promise<KernelStatus[]> {
  const root = options.cacheRoot ?? KERNELS_DIR;
  const lock = options.lock ?? readLock();
  const archive = options.archive ?? debianArchive(log);
  return Promise.all(KERNEL_SERIES.map(async (series): Promise<KernelStatus> => {
    const locked = lock[series];
    const debsCached = locked.packages.every((d) => {
      try { return statSync(join(debsDir(root), debFileName(d.name, locked.version))).size === d.size; } catch { return false; }
    });
    const status: KernelStatus = { series, locked, entry: checkEntry(join(root, locked.release), series, locked), debsCached };
    if (options.offline) return status;
    try {
      const rows = await archive.images(series);
      status.archive = { lockedOffered: notOffered(locked, [locked.packages[0].name], rows).length === 0, newest: pickNewest(series, rows) };
    } catch (e) {
      status.archive = { error: (e as Error).message.split('\n')[0] };
    }
    return status;
  }));
}

/** Kernels extracted in build/kernels/ (each with a manifest), whether or not the lock still names them. */
export function cachedKernels(root = KERNELS_DIR): CachedKernel[] {
  return cachedManifests(root).map(({ release, series, vmlinuz, modulesDir }) => ({ release, series, vmlinuz, modulesDir }));
}
