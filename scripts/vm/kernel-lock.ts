// kernels.lock.json: the one Debian kernel each `--kernel <series>` boots, so the kernel matrix (and the
// committed results/kernels/<release>/ folders made on it) changes only when someone runs
// `npm run kernels -- update`, never because Debian published something.
//
// Fields, per series (5.10, 6.1, 6.12, newest):
//   suite     the Debian suite the version was found in when it was locked (bookworm-security, sid, …)
//   release   the kernel's `uname -r`; its results live in results/kernels/<release>/
//   version   the Debian package version, downloaded pinned as `<package>=<version>`
//   packages  every .deb that makes up the kernel (one on bullseye/bookworm; on sid the image is an empty
//             package depending on linux-binary-*, linux-modules-* and linux-base-*), each with the sha256
//             and size in bytes of the .deb file as Debian's signed package index lists them. A download
//             or a cached .deb whose sha256 differs is refused.
// The file's own "about" field says the same in one paragraph, for whoever opens the JSON.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError, EXIT } from '../support/errors.ts';
import { writeAtomic } from '../support/atomic-write.ts';
import { ROOT, RESULTS_DIR } from '../support/paths.ts';
import { KERNEL_SERIES, SERIES, isKernelSeries, type KernelSeries } from './kernel-series.ts';

export interface LockedDeb { name: string; sha256: string; size: number }
export interface LockedKernel { suite: string; release: string; version: string; packages: LockedDeb[] }
export type LockedKernels = Record<KernelSeries, LockedKernel>;

export const LOCK_FILE = join(ROOT, 'kernels.lock.json');

export const LOCK_ABOUT =
  'The Debian kernel each `--kernel <series>` boots. Per series: suite (where the version was found), release ' +
  '(uname -r; results go to results/kernels/<release>/), version (the Debian package version, downloaded pinned as ' +
  'package=version) and packages (every .deb of that kernel with the sha256 and size of the file; a .deb that does ' +
  'not match is refused). Written by `npm run kernels -- update [series…]`, which prints what changed and which ' +
  'results/kernels/ folders that makes stale; do not edit by hand.';

const HEX64 = /^[0-9a-f]{64}$/;
// Debian policy: [epoch:]upstream[-revision], upstream starting with a digit.
const DEBIAN_VERSION = /^(\d+:)?\d[A-Za-z0-9.+~-]*$/;
const RELEASE = /^\d[A-Za-z0-9.+~-]*-cloud-amd64$/;

/** The problems of one series' entry, each as "<field>: <what is wrong>" (empty when it is valid). */
function entryProblems(series: KernelSeries, value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${series}: expected an object`];
  const e = value as Record<string, unknown>;
  const at = (field: string) => `${series}.${field}`;
  const problems: string[] = [];
  for (const field of ['suite', 'release', 'version'])
    if (typeof e[field] !== 'string' || !e[field]) problems.push(`${at(field)}: expected a non-empty string`);
  const release = typeof e.release === 'string' ? e.release : '';
  if (release && !RELEASE.test(release)) problems.push(`${at('release')}: "${release}" is not a cloud-amd64 kernel release`);
  else if (release && !SERIES[series].release.test(release)) problems.push(`${at('release')}: "${release}" is not a ${series} kernel`);
  if (typeof e.version === 'string' && e.version && !DEBIAN_VERSION.test(e.version))
    problems.push(`${at('version')}: "${e.version}" is not a Debian version`);
  if (!Array.isArray(e.packages) || e.packages.length === 0) return [...problems, `${at('packages')}: expected a non-empty list`];
  e.packages.forEach((p: unknown, i: number) => {
    const where = `${at('packages')}[${i}]`;
    if (typeof p !== 'object' || p === null) return void problems.push(`${where}: expected an object`);
    const d = p as Record<string, unknown>;
    if (typeof d.name !== 'string' || !d.name) problems.push(`${where}.name: expected a package name`);
    // Every package of a kernel carries its release in its name; the image comes first (it is what
    // `update` resolved, the others are its dependencies).
    else if (release && (i === 0 ? d.name !== `linux-image-${release}` : !d.name.endsWith(`-${release}`)))
      problems.push(`${where}.name: "${d.name}" ${i === 0 ? `should be linux-image-${release}` : `is not a package of ${release}`}`);
    if (typeof d.sha256 !== 'string' || !HEX64.test(d.sha256)) problems.push(`${where}.sha256: expected 64 lowercase hex digits`);
    if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size <= 0) problems.push(`${where}.size: expected a size in bytes`);
  });
  return problems;
}

function lockError(file: string, why: string, cause?: unknown): HarnessError {
  // The lock is the harness's configuration, committed with the results: a broken one is the user's input
  // to fix (exit 2), not a cache to rebuild.
  return new HarnessError(EXIT.usage,
    `${file} ${why}\nRestore it (\`git checkout -- kernels.lock.json\`), or write a new one from what Debian offers now ` +
    `with \`npm run kernels -- update\` (that moves every series to its newest kernel).`, { cause });
}

/** Parses and validates the lock's text; every problem is named in the error, not only the first. */
export function parseLock(text: string, file = 'kernels.lock.json'): LockedKernels {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw lockError(file, `is not valid JSON (${(e as Error).message}).`, e);
  }
  const kernels = (json as { kernels?: unknown } | null)?.kernels;
  if (typeof kernels !== 'object' || kernels === null || Array.isArray(kernels)) throw lockError(file, 'has no "kernels" object.');
  const problems = [
    ...KERNEL_SERIES.filter((s) => !(s in kernels)).map((s) => `${s}: missing (every series needs a kernel)`),
    ...Object.keys(kernels).filter((s) => !isKernelSeries(s)).map((s) => `${s}: not a series (known: ${KERNEL_SERIES.join(', ')})`),
    ...KERNEL_SERIES.filter((s) => s in kernels).flatMap((s) => entryProblems(s, (kernels as Record<string, unknown>)[s])),
  ];
  if (problems.length) throw lockError(file, `is not a valid kernel lock:\n  ${problems.join('\n  ')}`);
  // Only the known fields are kept: what is used is what was validated.
  return Object.fromEntries(KERNEL_SERIES.map((s) => {
    const e = (kernels as Record<string, LockedKernel>)[s];
    return [s, { suite: e.suite, release: e.release, version: e.version, packages: e.packages.map(({ name, sha256, size }) => ({ name, sha256, size })) }];
  })) as LockedKernels;
}

export function readLock(file = LOCK_FILE): LockedKernels {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw lockError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): --kernel needs it to know which kernel to boot.`, e);
  }
  return parseLock(text, file);
}

/** The file's text: stable key order and layout, so a change to one series is a small diff. */
export function renderLock(kernels: LockedKernels): string {
  const ordered = Object.fromEntries(KERNEL_SERIES.map((s) => {
    const { suite, release, version, packages } = kernels[s];
    return [s, { suite, release, version, packages: packages.map(({ name, sha256, size }) => ({ name, sha256, size })) }];
  }));
  return JSON.stringify({ about: LOCK_ABOUT, kernels: ordered }, null, 2) + '\n';
}

/** Replaces the lock in one step (a reader sees the old or the new file, never half of one). */
export function writeLock(kernels: LockedKernels, file = LOCK_FILE): void {
  const text = renderLock(kernels);
  parseLock(text, file); // never write a lock that the next run would refuse
  writeAtomic(file, text);
}

// ---- what an update changes ----

export interface LockChange { series: KernelSeries; from?: LockedKernel; to: LockedKernel }

const sameKernel = (a: LockedKernel, b: LockedKernel) =>
  a.release === b.release && a.version === b.version &&
  a.packages.length === b.packages.length && a.packages.every((p, i) => p.name === b.packages[i].name && p.sha256 === b.packages[i].sha256);

/** The series whose locked kernel differs (`from` is undefined when the old lock had none). */
export function lockChanges(old: Partial<LockedKernels>, next: LockedKernels, series: readonly KernelSeries[] = KERNEL_SERIES): LockChange[] {
  return series.flatMap((s) => (old[s] && sameKernel(old[s], next[s]) ? [] : [{ series: s, from: old[s], to: next[s] }]));
}

const label = (k: LockedKernel) => `${k.release} (${k.version})`;

/** What `npm run kernels -- update` prints: old → new per series it looked at, then what is stale now and
 *  the commands that regenerate it. `resultsDir` is where results/kernels/ is looked for. */
export function describeUpdate(old: Partial<LockedKernels>, next: LockedKernels, series: readonly KernelSeries[],
  resultsDir = RESULTS_DIR): string[] {
  const changes = lockChanges(old, next, series);
  const lines = series.map((s) => {
    const change = changes.find((c) => c.series === s);
    const name = s.padEnd(7);
    if (!change) return `${name} ${label(next[s])}: unchanged, the newest Debian offers`;
    return `${name} ${change.from ? label(change.from) : '(not locked)'} → ${label(change.to)}  [${change.to.suite}]`;
  });
  if (!changes.length) return [...lines, 'kernels.lock.json is unchanged.'];
  lines.push('kernels.lock.json updated.');
  const shown = (release: string) => `results/kernels/${release}/`;
  for (const { series: s, from, to } of changes) {
    const old = from && existsSync(join(resultsDir, 'kernels', from.release));
    if (old && from.release !== to.release) {
      lines.push(`${shown(from.release)} was made on the kernel ${s} no longer locks: it is stale. Regenerate with`,
        `  git rm -r -q ${shown(from.release)} && npm run experiment -- all --kernel ${s}`);
    } else if (old) {
      lines.push(`${shown(from.release)} was made with ${from.version}, now ${to.version}: it is stale. Regenerate with`,
        `  npm run experiment -- all --kernel ${s}`);
    } else if (existsSync(join(resultsDir, 'kernels', to.release))) {
      lines.push(`${shown(to.release)} is there already, made before it was locked: make sure it is current with`,
        `  npm run experiment -- all --kernel ${s}`);
    } else {
      lines.push(`${shown(to.release)} does not exist yet. Make it with`, `  npm run experiment -- all --kernel ${s}`);
    }
  }
  lines.push('Commit kernels.lock.json together with the regenerated results/kernels/ (the results workflow compares them).');
  return lines;
}
