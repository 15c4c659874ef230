// Compiles bpf/*.bpf.c into build/bpf/*.bpf.o with clang -target bpf, only when a source or header is newer.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT } from '../../support/paths.ts';
import { EXIT, HarnessError } from '../../support/errors.ts';

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
export function bpfObjectPath(name: string): string {
  return join(BPF_BUILD_DIR, `${name}.bpf.o`);
}

/** Builds what is stale; returns the names it compiled (empty when everything was up to date). */
export async function buildBpf(): Promise<string[]> {
  const files = readdirSync(SOURCE_DIR);
  const newestHeader = Math.max(0, ...files.filter((f) => f.endsWith('.h')).map((f) => mtime(join(SOURCE_DIR, f))));
  const built: string[] = [];
  mkdirSync(BPF_BUILD_DIR, { recursive: true });
  for (const file of files.filter((f) => f.endsWith('.bpf.c'))) {
    const name = file.slice(0, -'.bpf.c'.length);
    const out = bpfObjectPath(name);
    if (mtime(out) > Math.max(newestHeader, mtime(join(SOURCE_DIR, file)))) continue;
    // Compile beside, then rename: a concurrent run never loads a half-written object.
    const tmp = `${out}.${process.pid}.tmp`;
    const result = await execa('clang', [...clangBpfArgs(), '-c', file, '-o', tmp], { cwd: SOURCE_DIR, reject: false });
    if (result.exitCode !== 0) {
      rmSync(tmp, { force: true });
      throw new HarnessError(EXIT.bpfLoad, `clang could not compile bpf/${file}:\n${result.stderr}\nFix the program and run again.`);
    }
    renameSync(tmp, out);
    built.push(name);
  }
  return built;
}
