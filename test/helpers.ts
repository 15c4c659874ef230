// Shared by the tests: run the CLI as a user would, skip what needs root, and check nothing is left behind.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT } from '../scripts/support/paths.ts';
import { procMounts } from '../scripts/support/kernel-fs.ts';
import { ownedPrefix } from '../scripts/support/owned-names.ts';
import type { Summary } from '../scripts/report/summary-json.ts';

export const IS_ROOT = process.getuid?.() === 0;

/** tap's `skip` option: a reason naming the missing capability, or false. */
export const NEEDS_ROOT = IS_ROOT ? false : 'needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_BPF): network namespaces and eBPF programs';

const tempDirs: string[] = [];
process.once('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A temporary folder, removed when the test file's process exits (tap runs each file in its own). */
export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `edl-test-${label}-`));
  tempDirs.push(dir);
  return dir;
}

/** Runs `scripts/cli.ts` with the given arguments, as `npm run experiment|import` does after bootstrap
 *  (`root`: that of another copy of the repository). */
export function cli(args: string[], options: { uid?: number; root?: string } = {}) {
  const root = options.root ?? ROOT;
  const command = [process.execPath, '--import', 'tsx', join(root, 'scripts', 'cli.ts'), ...args];
  const [file, ...rest] =
    options.uid === undefined ? command : ['setpriv', `--reuid=${options.uid}`, `--regid=${options.uid}`, '--clear-groups', ...command];
  // A clean environment: tap's process-info hooks would follow the CLI, and fail under another uid.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' };
  return execa(file, rest, { cwd: root, reject: false, all: true, env, extendEnv: false });
}

export function readSummary(resultsDir: string, name: string): Summary {
  return JSON.parse(readFileSync(join(resultsDir, name, 'summary.json'), 'utf8')) as Summary;
}

/** What a run of the harness with this PID could have left: namespaces, processes, tracefs instances,
 *  cgroups, pins, private mounts, veth links in the host namespace. */
export async function leftovers(pid: number): Promise<string[]> {
  const prefix = ownedPrefix(pid);
  const netns = (await execa('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(prefix));
  const procs = (await execa('ps', ['-eo', 'pid=,args='])).stdout
    .split('\n')
    .filter((l) => l.includes(join(ROOT, 'servers')) || /\bncat\b.*16962/.test(l));
  const mounts = procMounts();
  // Our things inside the system's tracefs, cgroup2 and bpffs mounts (private mounts show up as mounts).
  const inside = mounts
    .filter(({ type }) => type === 'tracefs' || type === 'cgroup2' || type === 'bpf')
    .flatMap(({ path, type }) => {
      const dir = type === 'tracefs' ? join(path, 'instances') : path;
      return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith(prefix)).map((n) => `${type} ${join(dir, n)}`) : [];
    });
  const veths = (await execa('ip', ['-o', 'link', 'show', 'type', 'veth'])).stdout.split('\n').filter(Boolean);
  return [
    ...netns.map((n) => `netns ${n}`),
    ...procs.map((p) => `process ${p.trim()}`),
    ...inside,
    ...mounts.filter(({ path }) => path.includes(prefix)).map(({ path, type }) => `${type} mount ${path}`),
    ...veths.map((v) => `veth in the host namespace: ${v}`),
  ];
}
