// Wall time of experiments through the harness against the same exchanges done by hand (bare.c and ncat
// for the socket experiments; ip, tc and ncat for a veth one; no harness), median of several runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { BUNDLED_CLI, ROOT } from '../support/paths.ts';
import { createNamespace, type Namespace } from '../run/topology/netns.ts';
import { bpfObjectPath } from '../run/setup/build-bpf.ts';
import { hookNamed } from '../hooks/index.ts';
import { ownedName } from '../support/owned-names.ts';
import { EXPERIMENTS } from '../../experiments/index.ts';
import { compileC } from './compile-c.ts';
import type { ExperimentSpec } from '../../experiments/spec.ts';

/** The exchanges done by hand: one per kind of experiment whose cost differs. */
export type ByHand = 'tcp' | 'udp' | 'raw' | 'veth-tc';

export interface Timing {
  /** How the bench refers to the row. */
  key: `by-hand ${ByHand}` | `cli ${string}` | 'npm tcp' | 'all' | 'node';
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
    try {
      if (via === 'npm') await execa('npm', ['run', '--silent', ...args.slice(0, 1), '--', ...args.slice(1)], { cwd: ROOT });
      else await execa(process.execPath, [BUNDLED_CLI, ...args], { cwd: ROOT });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** The ncat command of each socket exchange (the study's), run in the namespace. */
const NCAT: Record<Exclude<ByHand, 'veth-tc'>, string[]> = {
  tcp: ['ncat', '127.0.0.1', '16962'],
  udp: ['ncat', '-u', '--send-only', '127.0.0.1', '16962'],
  raw: ['ncat', '127.0.0.1', '16962'], // no listener: SYN, RST|ACK; ncat fails, as expected
};

/** bare.c in a namespace of its own (created before the clock starts: nothing touches the host's). */
function bare(binary: string, mode: Exclude<ByHand, 'veth-tc'>, ns: Namespace): () => Promise<void> {
  const [cmd, ...prefix] = ns.exec;
  return async () => {
    const server = execa(cmd, [...prefix, binary, mode], { cwd: ROOT });
    await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
    await execa(cmd, [...prefix, ...NCAT[mode]], { input: '0123456789\n', reject: false });
    await server;
  };
}

/** A veth experiment by hand, as a shell script would do it: two namespaces joined by veth, the dump program
 *  on srv0's tc ingress (tc's own loader), a listener, one exchange, and everything removed again. */
function vethTcByHand(): () => Promise<void> {
  return async () => {
    const [s, c] = [ownedName('bh-s'), ownedName('bh-c')]; // the sweep's names, should the bench be killed
    const ip = (...args: string[]) => execa('ip', args);
    await ip('netns', 'add', s);
    await ip('netns', 'add', c);
    try {
      await ip('-n', s, 'link', 'add', 'srv0', 'type', 'veth', 'peer', 'name', 'cli0', 'netns', c);
      await ip('-n', s, 'addr', 'add', '198.18.0.2/24', 'dev', 'srv0');
      await ip('-n', c, 'addr', 'add', '198.18.0.1/24', 'dev', 'cli0');
      for (const [ns, dev] of [[s, 'srv0'], [c, 'cli0']]) await ip('-n', ns, 'link', 'set', dev, 'up');
      await execa('tc', ['-n', s, 'qdisc', 'add', 'dev', 'srv0', 'clsact']);
      await execa('tc', ['-n', s, 'filter', 'add', 'dev', 'srv0', 'ingress', 'bpf', 'da', 'obj', bpfObjectPath('dump'), 'sec', 'tc']);
      const listener = execa('ip', ['netns', 'exec', s, 'ncat', '-l', '198.18.0.2', '16962'], { reject: false });
      await new Promise((resolve) => setTimeout(resolve, 20)); // ncat -l says nothing when it listens
      await execa('ip', ['netns', 'exec', c, 'ncat', '198.18.0.2', '16962'], { input: '0123456789\n' });
      await listener;
    } finally {
      await ip('netns', 'del', c);
      await ip('netns', 'del', s);
    }
  };
}

/** Which by-hand exchange stands for an experiment: its socket's, or the veth one for hooks off the socket. */
export function byHandFor(spec: ExperimentSpec): ByHand {
  if (hookNamed(spec.hook).attachesTo !== 'socket') return spec.topology === 'veth' ? 'veth-tc' : 'tcp';
  const server = spec.server.program;
  return server === 'tcp' ? 'tcp' : server === 'udp' ? 'udp' : 'raw';
}

export async function latency(runs: number): Promise<Timing[]> {
  const binary = await compileC('bare', ['bpf']);
  // The harness's own namespace (lo up, quickack, removed by the cleanup registry or the next run's sweep).
  const ns = await createNamespace('bench');
  try {
    const byHand = async (mode: Exclude<ByHand, 'veth-tc'>): Promise<Timing> => ({
      key: `by-hand ${mode}`,
      what: `${mode} by hand (bare.c ${mode} + ncat)`,
      runs,
      medianSeconds: await timed(runs, bare(binary, mode, ns)),
    });
    const cli = async (name: string): Promise<Timing> => ({
      key: `cli ${name}`,
      what: `node build/js/scripts/cli.mjs experiment ${name}${name === 'tcp' ? ' (what npm runs)' : ''}`,
      runs,
      medianSeconds: await timed(runs, harness([name], 'node')),
    });
    return [
      await byHand('tcp'),
      await byHand('udp'),
      await byHand('raw'),
      { key: 'by-hand veth-tc', what: 'a veth + tc ingress exchange by hand (ip, tc, ncat)', runs, medianSeconds: await timed(runs, vethTcByHand()) },
      await cli('tcp'),
      await cli('udp'),
      await cli('raw'),
      await cli('tc-ingress'),
      { key: 'npm tcp', what: 'npm run experiment tcp (npm adds its own start-up)', runs, medianSeconds: await timed(runs, harness(['tcp'], 'npm')) },
      {
        key: 'all',
        what: `node build/js/scripts/cli.mjs experiment all (${EXPERIMENTS.length} experiments, ${cpus().length} at a time)`,
        runs,
        medianSeconds: await timed(runs, harness(['all'], 'node')),
      },
      // The floor under any node process: the harness is one.
      { key: 'node', what: 'node start-up alone (node -e 0)', runs, medianSeconds: await timed(runs, async () => void (await execa(process.execPath, ['-e', '0']))) },
    ];
  } finally {
    await ns.remove();
  }
}
