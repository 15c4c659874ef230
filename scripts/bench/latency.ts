// Wall time of an experiment through the harness against the same exchange done by hand (bare-tcp.c and
// ncat, no harness), median of several runs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { BUNDLED_CLI, ROOT } from '../support/paths.ts';
import { createNamespace, type Namespace } from '../run/topology/netns.ts';
import { EXPERIMENTS } from '../../experiments/index.ts';
import { compileC } from './compile-c.ts';

export interface Timing {
  /** How the bench refers to the row. */
  key: 'by-hand' | 'cli' | 'npm' | 'all' | 'node';
  what: string;
  runs: number;
  medianSeconds: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function timed(runs: number, once: () => Promise<void>): Promise<number> {
  const seconds: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    await once();
    seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  return median(seconds);
}

/** The harness as `npm run experiment` starts it after the first install (bundled; bootstrap costs
 *  milliseconds then), either through npm or the command npm runs. */
function harness(names: string[], via: 'npm' | 'node'): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edl-bench-'));
    const args = ['experiment', ...names, '--results', dir, '--logs', dir];
    if (via === 'npm') await execa('npm', ['run', '--silent', ...args.slice(0, 1), '--', ...args.slice(1)], { cwd: ROOT });
    else await execa(process.execPath, [BUNDLED_CLI, ...args], { cwd: ROOT });
  };
}

/** bare-tcp in a namespace of its own (created before the clock starts: nothing touches the host's). */
function bare(binary: string, ns: Namespace): () => Promise<void> {
  const [cmd, ...prefix] = ns.exec;
  return async () => {
    const server = execa(cmd, [...prefix, binary], { cwd: ROOT });
    await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
    await execa(cmd, [...prefix, 'ncat', '127.0.0.1', '16962'], { input: '0123456789\n' });
    await server;
  };
}

export async function latency(runs: number): Promise<Timing[]> {
  const binary = await compileC('bare-tcp', ['bpf']);
  // The harness's own namespace (lo up, quickack, removed by the cleanup registry or the next run's sweep).
  const ns = await createNamespace('bench');
  try {
    return [
      { key: 'by-hand', what: 'tcp by hand (bare-tcp.c + ncat)', runs, medianSeconds: await timed(runs, bare(binary, ns)) },
      { key: 'cli', what: 'node build/js/scripts/cli.mjs experiment tcp (what npm runs)', runs, medianSeconds: await timed(runs, harness(['tcp'], 'node')) },
      { key: 'npm', what: 'npm run experiment tcp (npm adds its own start-up)', runs, medianSeconds: await timed(runs, harness(['tcp'], 'npm')) },
      { key: 'all', what: `npm run experiment all (${EXPERIMENTS.length} experiments)`, runs: 1, medianSeconds: await timed(1, harness(['all'], 'npm')) },
      // The floor under any node process: the harness starts two (the CLI and the server).
      { key: 'node', what: 'node start-up alone (node -e 0)', runs, medianSeconds: await timed(runs, async () => void (await execa(process.execPath, ['-e', '0']))) },
    ];
  } finally {
    await ns.remove();
  }
}
