// Debian's pinned source package of the kernel (built-kernels.ts): downloaded with a private apt that has a
// `deb-src` line (scripts/vm/apt.ts; /etc/apt is never touched), each file checked against the pin before
// anything reads it, and extracted with dpkg-source (which applies Debian's own patches).
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, HarnessError } from '../../support/errors.ts';
import { ownedName } from '../../support/owned-names.ts';
import { AptError, privateApt } from '../apt.ts';
import { KERNEL_SOURCE, type PinnedSourceFile } from './built-kernels.ts';
import { sha256Of, type BuildPaths } from './build-cache.ts';

const SPEC = `${KERNEL_SOURCE.package}=${KERNEL_SOURCE.version}`;
const WHERE = `${KERNEL_SOURCE.suite} (${KERNEL_SOURCE.uri})`;
const PIN = 'scripts/vm/build/built-kernels.ts';

/** Why a file is not the pinned one (undefined when it is): size first (cheap, says "truncated"), then sha256. */
export function sourceFileProblem(path: string, file: PinnedSourceFile): string | undefined {
  let size: number;
  try { size = statSync(path).size; } catch { return 'missing'; }
  if (size !== file.size) return `${size} bytes where ${PIN} pins ${file.size}${size < file.size ? ' (truncated)' : ''}`;
  const sha256 = sha256Of(path);
  return sha256 === file.sha256 ? undefined : `sha256 ${sha256} where ${PIN} pins ${file.sha256}`;
}

/** The versions of the source package an `apt-cache showsrc` output lists. */
export function showsrcVersions(text: string): string[] {
  return [...text.matchAll(/^Version: (\S+)$/gm)].map((m) => m[1]);
}

function goneMessage(why: string): string {
  return `The kernel source pinned in ${PIN} (${SPEC}) cannot be had: ${why}, and ${'the build cache has no verified copy'}.\n` +
    `Pin a version Debian offers (\`apt-cache showsrc linux\` with a deb-src line for ${KERNEL_SOURCE.suite}): its version, ` +
    `upstream release and the sha256 and size of its .dsc, .orig.tar.xz and .debian.tar.xz, then run \`npm run kernels -- build\` ` +
    `and regenerate results/kernels/<release>/ of both built kernels.`;
}

/** The pinned source files in the cache (downloaded and checked when they are not there). */
export async function ensureSource(paths: BuildPaths, log: (line: string) => void): Promise<string> {
  const ok = () => KERNEL_SOURCE.files.every((f) => sourceFileProblem(join(paths.source, f.name), f) === undefined);
  if (existsSync(paths.source) && ok()) return join(paths.source, KERNEL_SOURCE.files[0].name);
  if (existsSync(paths.source)) log(`[build] ${paths.source}: not the pinned files (interrupted or damaged); downloading again`);

  const apt = privateApt(`${KERNEL_SOURCE.suite}-src`, [{ uri: KERNEL_SOURCE.uri, suite: KERNEL_SOURCE.suite, kind: 'deb-src' }], { dir: paths.apt });
  const inIndex = async (force: boolean) => {
    await apt.update((line) => log(`[build] ${line}`), { force });
    return showsrcVersions(await apt.cache(['showsrc', KERNEL_SOURCE.package])).includes(KERNEL_SOURCE.version);
  };
  try {
    if (!(await inIndex(false)) && !(await inIndex(true)))
      throw new HarnessError(EXIT.kernelGone, goneMessage(`Debian's ${WHERE} source index no longer lists ${SPEC}`));
  } catch (e) {
    if (e instanceof AptError && e.failure === 'not-found')
      throw new HarnessError(EXIT.kernelGone, goneMessage(`the source index of ${WHERE} answers 404`), { cause: e });
    throw e;
  }

  const parent = join(paths.source, '..');
  mkdirSync(parent, { recursive: true });
  const staging = join(parent, `.${ownedName('partial-source')}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  try {
    const mb = Math.round(KERNEL_SOURCE.files.reduce((n, f) => n + f.size, 0) / 1e6);
    log(`[build] downloading Debian's source package ${SPEC} from ${KERNEL_SOURCE.suite} (${mb} MB)`);
    try {
      await apt.downloadSource(SPEC, staging);
    } catch (e) {
      if (e instanceof AptError && e.failure === 'not-found')
        throw new HarnessError(EXIT.kernelGone, goneMessage(`Debian's index lists it, but ${KERNEL_SOURCE.uri} answers 404 for its files (removed from the archive)`), { cause: e });
      throw e;
    }
    for (const file of KERNEL_SOURCE.files) {
      const problem = sourceFileProblem(join(staging, file.name), file);
      if (problem === 'missing') throw new HarnessError(EXIT.offline, `apt-get source ${SPEC} reported success but left no ${file.name}; retry.`);
      if (problem)
        throw new HarnessError(EXIT.kernelGone,
          `The downloaded ${file.name} is not the file ${PIN} pins: ${problem}. It was deleted and nothing was built.\n` +
          `apt checked it against Debian's signed Sources index, so Debian now serves other bytes under ${SPEC} than when it was pinned, ` +
          `or the pin was edited by hand.`);
    }
    rmSync(paths.source, { recursive: true, force: true });
    renameSync(staging, paths.source);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  log(`[build] ${SPEC}: ${KERNEL_SOURCE.files.map((f) => f.name).join(', ')} match the pin`);
  return join(paths.source, KERNEL_SOURCE.files[0].name);
}
