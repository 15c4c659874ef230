// Checks made before anything touches the kernel: root, and the tools a run calls.
import { execa } from 'execa';
import { EXIT, HarnessError } from './errors.ts';

const TOOLS = ['clang', 'ip', 'ncat', 'bpftool'];

export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    throw new HarnessError(
      EXIT.notRoot,
      `${what} needs root: it creates network namespaces and loads eBPF programs. Run it as root (sudo -E npm run …).`,
    );
  }
}

export async function requireTools(): Promise<void> {
  const missing = (
    await Promise.all(TOOLS.map(async (t) => ((await execa('which', [t], { reject: false })).exitCode === 0 ? null : t)))
  ).filter((t) => t !== null);
  if (missing.length > 0) {
    throw new HarnessError(
      EXIT.missingTool,
      `missing tools: ${missing.join(', ')}. scripts/bootstrap.sh installs them (npm run experiment runs it first); ` +
        'as root run: apt-get update && apt-get install clang llvm libbpf-dev bpftool ncat iproute2',
    );
  }
}
