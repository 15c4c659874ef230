// Checks made before anything touches the kernel: root, and the tools a run calls.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, HarnessError } from '../../support/errors.ts';

/** The tools a run calls (their versions go into every result). */
export const TOOLS = ['clang', 'ip', 'ncat', 'bpftool'];

/** Where `tool` is on PATH, or null: no process per tool on every run's start. */
export function findOnPath(tool: string): string | null {
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  return dirs.map((d) => join(d, tool)).find((path) => existsSync(path)) ?? null;
}

export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    throw new HarnessError(
      EXIT.notRoot,
      `${what} needs root: it creates network namespaces and loads eBPF programs. Run it as root (sudo -E npm run …).`,
    );
  }
}

export function requireTools(): void {
  const missing = TOOLS.filter((t) => findOnPath(t) === null);
  if (missing.length > 0) {
    throw new HarnessError(
      EXIT.missingTool,
      `missing tools: ${missing.join(', ')}. scripts/bootstrap.sh installs them (npm run experiment runs it first); ` +
        'as root run: apt-get update && apt-get install clang llvm libbpf-dev bpftool ncat iproute2',
    );
  }
}
