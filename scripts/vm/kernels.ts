// Debian kernels for the VM runner: find the newest cloud-amd64 image per series, download its
// packages with a private apt (scripts/vm/apt.ts) and extract them into build/kernels/<release>/.
import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError, EXIT } from '../support/errors.ts';
import { ROOT } from '../support/paths.ts';
import { privateApt, type AptSource, type PrivateApt } from './apt.ts';

export type KernelSeries = '5.10' | '6.1' | '6.12' | 'newest';
export const KERNEL_SERIES: readonly KernelSeries[] = ['5.10', '6.1', '6.12', 'newest'];

export interface KernelPackage { series: KernelSeries; suite: string; packages: string[]; version: string; release: string }
export interface CachedKernel { release: string; series: KernelSeries; vmlinuz: string; modulesDir: string }

const KERNELS_DIR = join(ROOT, 'build', 'kernels');
const DEBS_DIR = join(KERNELS_DIR, 'debs');
const DEBIAN = 'http://deb.debian.org/debian';
const SECURITY = 'http://deb.debian.org/debian-security';
const BULLSEYE: AptSource[] = [{ uri: DEBIAN, suite: 'bullseye' }, { uri: SECURITY, suite: 'bullseye-security' }];
const BOOKWORM: AptSource[] = [
  { uri: DEBIAN, suite: 'bookworm' }, { uri: DEBIAN, suite: 'bookworm-updates' }, { uri: SECURITY, suite: 'bookworm-security' },
];
// Releases are filtered by prefix: bullseye-security also carries 6.1 (…-0.deb11.N-cloud-amd64)
// and bookworm carries both 6.1.0-N and 6.12.N+deb12. `newest` is sid, which does ship a
// cloud-amd64 image (7.2.13+deb14 when this was written), so no trixie/experimental fallback.
const SERIES: Record<KernelSeries, { apt: string; sources: AptSource[]; release: RegExp }> = {
  '5.10': { apt: 'bullseye', sources: BULLSEYE, release: /^5\.10\./ },
  '6.1': { apt: 'bookworm', sources: BOOKWORM, release: /^6\.1\./ },
  '6.12': { apt: 'bookworm', sources: BOOKWORM, release: /^6\.12\./ },
  newest: { apt: 'sid', sources: [{ uri: DEBIAN, suite: 'sid' }], release: /./ },
};

// ---- pure parts (tested in test/unit/kernels.test.ts) ----

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

interface Manifest extends KernelPackage { vmlinuz: string; modulesDir: string }

/** build/kernels/<release>/manifest.json → absolute paths; undefined when absent or unreadable. */
export function readManifest(dir: string): (CachedKernel & { version: string }) | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    return { release: m.release, series: m.series, version: m.version, vmlinuz: join(dir, m.vmlinuz), modulesDir: join(dir, m.modulesDir) };
  } catch {
    return undefined;
  }
}

// ---- apt and files ----

const apts = new Map<string, { apt: PrivateApt; updated?: Promise<void> }>();

/** The suite's private apt, updated (at most daily) once per process even when series share it. */
async function aptFor(series: KernelSeries, log: (line: string) => void): Promise<PrivateApt> {
  const { apt: name, sources } = SERIES[series];
  let entry = apts.get(name);
  if (!entry) apts.set(name, (entry = { apt: privateApt(name, sources) }));
  entry.updated ??= entry.apt.update(log).catch((e) => { entry.updated = undefined; throw e; });
  await entry.updated;
  return entry.apt;
}

async function newestPackage(series: KernelSeries, log: (line: string) => void): Promise<KernelPackage> {
  const apt = await aptFor(series, log);
  const names = (await apt.cache(['search', '--names-only', '^linux-image-[0-9].*-cloud-amd64$']))
    .split('\n').map((l) => l.split(' ')[0]).filter((n) => releaseOf(n));
  const best = names.length ? pickNewest(series, parseMadison(await apt.cache(['madison', ...names]))) : undefined;
  if (!best) {
    const suites = SERIES[series].sources.map((s) => s.suite).join(', ');
    throw new HarnessError(EXIT.missingTool,
      `No linux-image-*-cloud-amd64 package for kernel series ${series} in ${suites}. ` +
      `Debian may have dropped or renamed it; check \`apt-cache search linux-image\` there and update SERIES in scripts/vm/kernels.ts.`);
  }
  // Follow same-kernel dependencies (sid: image → binary, modules, base; modules → base).
  const packages = [best.package];
  for (let i = 0; i < packages.length; i++)
    for (const dep of sameKernelDepends(await apt.cache(['show', `${packages[i]}=${best.version}`]), best.release))
      if (!packages.includes(dep)) packages.push(dep);
  return { series, suite: best.suite, packages, version: best.version, release: best.release };
}

/** The newest cloud-amd64 image of every series (updates package lists at most once a day). */
export async function availableKernels(log: (line: string) => void): Promise<KernelPackage[]> {
  return Promise.all(KERNEL_SERIES.map((s) => newestPackage(s, log)));
}

/** Kernels extracted in build/kernels/ (each with a manifest.json written after a complete extraction). */
export function cachedKernels(): CachedKernel[] {
  return cachedManifests().map(({ version: _, ...k }) => k);
}

function cachedManifests() {
  let entries: string[] = [];
  try { entries = readdirSync(KERNELS_DIR); } catch {}
  return entries.filter((e) => !e.startsWith('.') && e !== 'debs').sort()
    .flatMap((e) => readManifest(join(KERNELS_DIR, e)) ?? []);
}

/** Downloads and extracts the newest kernel of a series, or reuses the extracted one. */
export async function fetchKernel(series: KernelSeries, log: (line: string) => void): Promise<CachedKernel> {
  let pkg: KernelPackage;
  try {
    pkg = await newestPackage(series, log);
  } catch (e) {
    // Offline with an older extraction at hand: better a slightly old kernel than no run.
    const old = cachedManifests().filter((k) => k.series === series).sort((a, b) => compareVersions(b.version, a.version))[0];
    if (!old || !(e instanceof HarnessError)) throw e;
    log(`could not look up ${series} kernels (${e.message.split('\n')[0]}); using cached ${old.release}`);
    const { version: _, ...k } = old;
    return k;
  }
  const dir = join(KERNELS_DIR, pkg.release);
  const cached = readManifest(dir);
  if (cached) { const { version: _, ...k } = cached; return k; }

  mkdirSync(DEBS_DIR, { recursive: true });
  const debs = await download(pkg, log);
  return extract(pkg, debs, dir, log);
}

/** apt-get download what is not in build/kernels/debs/ yet (apt moves a file there only once complete). */
async function download(pkg: KernelPackage, log: (line: string) => void): Promise<string[]> {
  const file = (p: string) => {
    const prefix = `${p}_${pkg.version.replace(':', '%3a')}_`;
    return readdirSync(DEBS_DIR).find((f) => f.startsWith(prefix) && f.endsWith('.deb'));
  };
  const missing = pkg.packages.filter((p) => !file(p));
  if (missing.length) {
    log(`downloading ${missing.join(' ')} (${pkg.version})`);
    const apt = await aptFor(pkg.series, log);
    await apt.download(missing.map((p) => `${p}=${pkg.version}`), DEBS_DIR);
  }
  return pkg.packages.map((p) => {
    const f = file(p);
    if (!f) throw new HarnessError(EXIT.missingTool, `apt-get download of ${p}=${pkg.version} reported success but left no .deb in ${DEBS_DIR}; retry.`);
    return join(DEBS_DIR, f);
  });
}

const alive = (pid: number) => {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
};

/** dpkg-deb -x every package into a temp dir, check it, write the manifest, then rename into place. */
async function extract(pkg: KernelPackage, debs: string[], dir: string, log: (line: string) => void): Promise<CachedKernel> {
  // Leftovers of interrupted extractions (they never look cached: dot-named, no manifest) are
  // removed once the process that made them is gone.
  for (const e of readdirSync(KERNELS_DIR)) {
    const pid = Number(/^\.partial-.*-(\d+)$/.exec(e)?.[1]);
    if (pid && !alive(pid)) rmSync(join(KERNELS_DIR, e), { recursive: true, force: true });
  }
  const tmp = join(KERNELS_DIR, `.partial-${pkg.release}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    log(`extracting ${pkg.packages.join(' ')}`);
    for (const deb of debs) {
      const r = await execa('dpkg-deb', ['-x', deb, tmp], { reject: false, all: true });
      if (r.failed) throw new HarnessError(EXIT.runFailed,
        `dpkg-deb -x ${deb} failed: ${(r.all ?? r.message).trim()}\nThe file may be damaged: delete it and fetch again.`);
    }
    // bookworm/bullseye: boot/vmlinuz-<release> and lib/modules/<release>. sid (merged /usr, split
    // packages): everything under usr/lib/modules/<release>/, vmlinuz included, no /boot at all.
    const modulesDir = [`lib/modules/${pkg.release}`, `usr/lib/modules/${pkg.release}`].find((d) => existsSync(join(tmp, d)));
    const vmlinuz = [`boot/vmlinuz-${pkg.release}`, `${modulesDir}/vmlinuz`].find((f) => existsSync(join(tmp, f)));
    if (!vmlinuz || !modulesDir)
      throw new HarnessError(EXIT.runFailed,
        `${pkg.packages.join(', ')} ${pkg.version} has no ${!modulesDir ? `lib/modules/${pkg.release}` : `vmlinuz for ${pkg.release}`}: ` +
        `Debian's kernel packaging changed; adjust sameKernelDepends()/extract() in scripts/vm/kernels.ts.`);
    const manifest: Manifest = { ...pkg, vmlinuz, modulesDir };
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    // A directory there without a manifest is not a finished kernel (nothing of ours writes one).
    if (existsSync(dir) && !readManifest(dir)) rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(tmp, dir);
    } catch (e) {
      if (!readManifest(dir)) throw e; // someone else finished the same kernel first: use theirs
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const { version: _, ...k } = readManifest(dir)!;
  return k;
}
