// Versions of the tools a result depends on, for reports (stable between identical runs). Asking them costs
// processes (clang --version alone takes 0.6 s under TCG), so the answer is kept in build/ and asked again
// only when a tool's file, node, or the shared libraries (ld.so.cache) changed.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { writeAtomic } from '../../support/atomic-write.ts';
import { ROOT } from '../../support/paths.ts';
import { TOOLS, findOnPath } from './preflight.ts';
import type { ToolVersions } from '../../vocabulary/observations.ts';

const CACHE = join(ROOT, 'build', 'tool-versions.json');

async function output(cmd: string, args: string[]): Promise<string> {
  return (await execa(cmd, args, { reject: false, all: true })).all ?? '';
}

const match = (text: string, pattern: RegExp) => pattern.exec(text)?.[1] ?? 'unknown';

/** What the versions depend on: each tool's file, node itself, and the dynamic linker's cache (libbpf). */
function fingerprint(): string {
  const file = (path: string | null) => {
    if (path === null) return 'missing';
    try {
      const real = realpathSync(path);
      const { size, mtimeMs } = statSync(real);
      return `${real}:${size}:${mtimeMs}`;
    } catch {
      return `${path}:unreadable`;
    }
  };
  return [...TOOLS.map((t) => file(findOnPath(t))), process.execPath, process.version, file('/etc/ld.so.cache')].join('\n');
}

async function ask(): Promise<ToolVersions> {
  const [clang, ip, bpftool, ncat] = await Promise.all([
    output('clang', ['--version']),
    output('ip', ['-V']),
    output('bpftool', ['version']),
    output('ncat', ['--version']),
  ]);
  return {
    node: process.version,
    clang: match(clang, /clang version (\S+)/),
    // The library the servers load through koffi (iproute2 may link another), read from that library.
    libbpf: (await import('../../../servers/load-attach/libbpf.ts')).libbpfVersion(),
    bpftool: match(bpftool, /bpftool v(\S+)/),
    ncat: match(ncat, /Version (\S+)/),
    iproute2: match(ip, /iproute2-([\w.]+)/),
  };
}

export async function toolVersions(): Promise<ToolVersions> {
  const key = fingerprint();
  try {
    const cached = JSON.parse(readFileSync(CACHE, 'utf8')) as { key: string; versions: ToolVersions };
    if (cached.key === key) return cached.versions;
  } catch {
    // No cache yet, or a truncated one: ask the tools.
  }
  const versions = await ask();
  writeAtomic(CACHE, JSON.stringify({ key, versions }, null, 2) + '\n');
  return versions;
}
