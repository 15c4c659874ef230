// Compiles bpf/*.bpf.c into build/bpf/*.bpf.o with clang -target bpf: when a source or header is newer than
// the object, and when the object is not the one the last build wrote. A truncated or corrupted object newer
// than its sources used to be loaded as it was, and failed in libbpf with "errno 4001" (exit 5).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { ROOT } from '../../support/paths.ts';
import { EXIT, HarnessError, WRITE_FAILURES } from '../../support/errors.ts';
import { writeAtomic } from '../../support/atomic-write.ts';
import { ownedName } from '../../support/owned-names.ts';
import { deadOwned } from '../../support/dead-owned.ts';

const SOURCE_DIR = join(ROOT, 'bpf');
const BPF_BUILD_DIR = join(ROOT, 'build', 'bpf');

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** clang's flags for a BPF object, as libbpf-bootstrap's Makefile derives them from the machine:
 *  asm/types.h lives in the multiarch include dir, which -target bpf does not search, and bpf_tracing.h
 *  needs the target architecture to find function arguments in pt_regs. */
export function clangBpfArgs(): string[] {
  const arch = { x64: { target: 'x86', multiarch: 'x86_64-linux-gnu' }, arm64: { target: 'arm64', multiarch: 'aarch64-linux-gnu' } }[
    process.arch as 'x64' | 'arm64'
  ];
  if (!arch) throw new HarnessError(EXIT.bpfLoad, `building BPF objects on ${process.arch} is not set up: add its target and multiarch folder to clangBpfArgs()`);
  return ['-O2', '-g', '-Wall', '-Werror', '-target', 'bpf', `-D__TARGET_ARCH_${arch.target}`, `-I/usr/include/${arch.multiarch}`];
}

/** The object built from bpf/<name>.bpf.c. */
/** bpf/<name>.cbpf: a classic BPF filter, used as written (nothing to compile). */
export function classicFilterPath(name: string): string {
  return join(SOURCE_DIR, `${name}.cbpf`);
}

export function bpfObjectPath(name: string): string {
  return join(BPF_BUILD_DIR, `${name}.bpf.o`);
}

/** What the build wrote: beside each object, `<object>.stamp` holds its size and sha256. Reading and hashing
 *  all five objects (130 kB) costs about 0.15 ms (the whole check 0.35 ms, where mtimes alone took 0.07 ms),
 *  so the check reads every byte rather than trusting size and mtime: it also catches a block the disk lost
 *  without the mtime changing. */
interface Stamp {
  size: number;
  sha256: string;
}

const stampPath = (object: string) => `${object}.stamp`;
const stampOf = (bytes: Buffer): Stamp => ({ size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
const show = (path: string) => relative(ROOT, path);

function readStamp(object: string): Stamp | 'absent' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(stampPath(object), 'utf8');
  } catch {
    return 'absent';
  }
  try {
    const stamp = JSON.parse(text) as Stamp;
    return Number.isInteger(stamp.size) && /^[0-9a-f]{64}$/.test(stamp.sha256) ? stamp : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Why an object without a stamp (built before stamps existed, or by a build killed before it wrote one) is
 *  not a whole ELF file, or null. clang writes the section headers last, so a cut-off object has lost them. */
function elfDamage(bytes: Buffer): string | null {
  if (bytes.length < 64 || bytes.readUInt32BE(0) !== 0x7f454c46 || bytes[4] !== 2 || bytes[5] !== 1) return 'not a 64-bit little-endian ELF object';
  const end = Number(bytes.readBigUInt64LE(0x28)) + bytes.readUInt16LE(0x3a) * bytes.readUInt16LE(0x3c);
  return end > bytes.length ? `truncated: ${bytes.length} bytes, its section headers end at ${end}` : null;
}

/** Why `object` is not what the last build wrote ("truncated: 1234 of 40928 bytes"), or null when it is. */
function damage(object: string): string | null {
  const stamp = readStamp(object);
  if (stamp === 'unreadable') return `its record ${show(stampPath(object))} is unreadable`;
  const bytes = readFileSync(object);
  if (stamp === 'absent') {
    // Whole as far as one can tell: record it (where we may write), so that from now on every byte is checked.
    const why = elfDamage(bytes);
    if (why === null) {
      try {
        writeAtomic(stampPath(object), `${JSON.stringify(stampOf(bytes))}\n`);
      } catch {
        // a read-only build/ (a user's npm test after root's run): checked the same way next time
      }
    }
    return why;
  }
  if (bytes.length < stamp.size) return `truncated: ${bytes.length} of ${stamp.size} bytes`;
  if (bytes.length > stamp.size) return `${bytes.length} bytes where ${stamp.size} were built`;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return sha256 === stamp.sha256 ? null : `same size, other content: sha256 ${sha256.slice(0, 12)}… where ${stamp.sha256.slice(0, 12)}… was built`;
}

/** Removes what builds that were killed left in build/bpf: our temporary objects are owned names
 *  (.edl-<run>-<object>.tmp), gone once their run is (the experiment run's sweep does the same; bench builds
 *  without it). */
function removeStaleTemporaries(): void {
  for (const { path } of deadOwned([BPF_BUILD_DIR])) rmSync(path, { force: true });
}

/** A rebuild that cannot happen: exit 11 when it was to replace a damaged object (the cache is broken and
 *  stays broken), otherwise the missing tool (4) or the unwritable folder (9). */
function cannotBuild(object: string, why: string | null, cause: { tool: true } | { write: NodeJS.ErrnoException }): HarnessError {
  const what = why ? `${show(object)} is damaged (${why}) and cannot be rebuilt` : `${show(object)} needs to be built and cannot be`;
  if ('tool' in cause) {
    const fix = 'install it (as root: apt-get install clang llvm, or bash scripts/bootstrap.sh), then run again';
    return new HarnessError(why ? EXIT.corruptCache : EXIT.missingTool, `${what}: clang is not installed — ${fix}`);
  }
  const reason = WRITE_FAILURES[cause.write.code ?? '']?.why ?? cause.write.message;
  const fix = why
    ? `make ${show(BPF_BUILD_DIR)} writable, or delete ${show(object)} and ${show(stampPath(object))} so that a run that can write there compiles it again`
    : `make ${show(BPF_BUILD_DIR)} writable, then run again`;
  return new HarnessError(why ? EXIT.corruptCache : EXIT.output, `${what}: cannot write into ${show(BPF_BUILD_DIR)}: ${reason} (${cause.write.code}) — ${fix}`, {
    cause: cause.write,
  });
}

/** Builds what is stale, missing or damaged; returns one entry per object it compiled: its name, and what was
 *  wrong with the object it replaced when that was damage ("dump (build/bpf/dump.bpf.o was damaged — truncated:
 *  1234 of 40928 bytes)"). Empty when everything was up to date. */
export async function buildBpf(): Promise<string[]> {
  const files = readdirSync(SOURCE_DIR);
  const newestHeader = Math.max(0, ...files.filter((f) => f.endsWith('.h')).map((f) => mtime(join(SOURCE_DIR, f))));
  const built: string[] = [];
  mkdirSync(BPF_BUILD_DIR, { recursive: true });
  removeStaleTemporaries();
  for (const file of files.filter((f) => f.endsWith('.bpf.c'))) {
    const name = file.slice(0, -'.bpf.c'.length);
    const out = bpfObjectPath(name);
    const fresh = mtime(out) > Math.max(newestHeader, mtime(join(SOURCE_DIR, file)));
    const why = fresh ? damage(out) : null;
    if (fresh && why === null) continue;
    // Compile beside, then rename: a concurrent run never loads a half-written object. The name is owned, so
    // a build killed meanwhile leaves a name the next build (or run's sweep) removes.
    const tmp = join(BPF_BUILD_DIR, `.${ownedName(`${name}.bpf.o`)}.tmp`);
    try {
      writeFileSync(tmp, ''); // clang would only say "unable to open output file": find out why here
    } catch (error) {
      throw cannotBuild(out, why, { write: error as NodeJS.ErrnoException });
    }
    const result = await execa('clang', [...clangBpfArgs(), '-c', file, '-o', tmp], { cwd: SOURCE_DIR, reject: false });
    if (result.exitCode !== 0) {
      rmSync(tmp, { force: true });
      if (result.code === 'ENOENT') throw cannotBuild(out, why, { tool: true });
      // The disk filled while clang wrote: the machine's doing, not the program's.
      if (/No space left on device|Disk quota exceeded/.test(result.stderr)) {
        throw cannotBuild(out, why, { write: Object.assign(new Error(result.stderr), { code: /quota/.test(result.stderr) ? 'EDQUOT' : 'ENOSPC' }) });
      }
      throw new HarnessError(EXIT.bpfLoad, `clang could not compile bpf/${file}:\n${result.stderr}\nFix the program and run again.`);
    }
    try {
      const stamp = stampOf(readFileSync(tmp));
      // The stamp before the object: a run that looks in between sees an object older than its source
      // (stale, rebuilt without fuss), never a fresh object whose stamp is another build's. clang's output is
      // the same bytes for the same source in the same folder (-g records the folder), so two runs building at
      // once write the same stamp.
      writeAtomic(stampPath(out), `${JSON.stringify(stamp)}\n`);
      renameSync(tmp, out);
    } catch (error) {
      rmSync(tmp, { force: true });
      throw cannotBuild(out, why, { write: error as NodeJS.ErrnoException });
    }
    built.push(why ? `${name} (${show(out)} was damaged — ${why})` : name);
  }
  return built;
}
