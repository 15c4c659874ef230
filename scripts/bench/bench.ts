// `npm run bench`: how fast the harness is against a run by hand, what each program costs per packet,
// and how long VM runs take. Prints a table and writes results/bench.md (machine, kernel and date
// included: unlike the other results, it is meant to change between runs).
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildBpf } from '../run/setup/build-bpf.ts';
import { BUNDLED_CLI, RESULTS_DIR, ROOT } from '../support/paths.ts';
import { requireRoot } from '../run/setup/preflight.ts';
import { writeAtomic } from '../support/atomic-write.ts';
import { cachedKernels } from '../vm/kernels.ts';
import { readLock } from '../vm/kernel-lock.ts';
import { fidelity, type FloodResult } from './fidelity.ts';
import { byHandFor, latency, type Timing } from './latency.ts';
import { progCosts } from './prog-cost.ts';
import { compileC } from './compile-c.ts';
import { vmByHand } from './vm-by-hand.ts';
import { EXPERIMENTS } from '../../experiments/index.ts';
import { STRUCTS } from '../vocabulary/record-layout.ts';
import type { KernelSeries } from '../vm/kernels.ts';

/** The kernel the VM targets are measured on, and the budget for `all` there (about 1.4 s an experiment). */
const VM_SERIES: KernelSeries = '6.1';
const ALL_BUDGET_S = Math.round(1.4 * EXPERIMENTS.length * 10) / 10;
const VM_RESULTS = join(ROOT, 'build', 'bench', 'vm');

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** Floods as datagrams:payload bytes, comma-separated. Small datagrams test the packet rate; large ones the
 *  bytes each reader must move (tcpdump writes whole packets to its file, the ring holds at most 1,024 B). */
const FLOODS = (process.env.BENCH_FLOODS ?? '10000:64,100000:64,1000000:64,3000000:64,1000000:1400').split(',').map((f) => {
  const [datagrams, payloadBytes] = f.split(':').map(Number);
  return { datagrams, payloadBytes };
});

function table(header: string[], rows: (string | number)[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** A command's wall time, and its output. */
async function wallTime(args: string[]): Promise<{ seconds: number; output: string }> {
  const started = Date.now();
  const run = await execa(args[0], args.slice(1), { cwd: ROOT, reject: false, all: true });
  return { seconds: (Date.now() - started) / 1000, output: run.all ?? '' };
}

/** `--kernel <series> tcp` for each locked kernel that is cached: boot time and total, as the VM runner reports them. */
async function vmTimes(): Promise<(string | number)[][]> {
  const rows: (string | number)[][] = [];
  // Only what the lock names: an older cached release of a series would bench that series twice.
  const locked = new Set(Object.values(readLock()).map((k) => k.release));
  for (const kernel of cachedKernels().filter((k) => locked.has(k.release))) {
    const { output } = await wallTime([process.execPath, BUNDLED_CLI, 'experiment', 'tcp', '--kernel', kernel.series, '--results', VM_RESULTS]);
    const m = /booted in ([\d.]+) s, ([\d.]+) s in all/.exec(output);
    rows.push([kernel.release, m ? m[1] : 'failed', m ? m[2] : 'failed']);
  }
  return rows;
}

requireRoot('npm run bench');
await buildBpf();
const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, kernel ${release()}`);

console.log('1. experiment latency …');
const timings: Timing[] = await latency(RUNS);
const seconds = (key: Timing['key']) => timings.find((t) => t.key === key)!.medianSeconds;
const bare = seconds('by-hand tcp');
const latencyRows = timings.map((t) => [t.what, t.runs, t.medianSeconds.toFixed(2), (t.medianSeconds / bare).toFixed(1) + '×']);
// `all` by hand: each experiment's kind of exchange by hand, the experiments side by side on every core.
const hostProfile = await wallTime([process.execPath, BUNDLED_CLI, 'experiment', 'tcp', '--profile', '--results', join(ROOT, 'build', 'bench', 'host')]);
const allByHand = EXPERIMENTS.reduce((sum, e) => sum + seconds(`by-hand ${byHandFor(e)}`), 0) / cpus().length;

console.log(`2. capture fidelity (UDP floods: ${FLOODS.map((f) => `${f.datagrams} × ${f.payloadBytes} B`).join(', ')}) …`);
const floods = await fidelity(FLOODS);
const floodRows = floods.map((f) => [
  f.datagrams,
  f.payloadBytes,
  f.sent,
  f.arrived,
  `${f.programSaw} / ${f.harnessRead} / ${f.harnessLost}`,
  `${f.tcpdumpCaptured} / ${f.tcpdumpDropped}`,
  Math.round(f.sent / f.sendSeconds),
  floodVerdict(f),
]);

console.log('3. per-packet cost (BPF_PROG_TEST_RUN) …');
const costs = progCosts();
const baseline = (bytes: number) => costs.find((c) => c.program.startsWith('baseline') && c.bytes === bytes)!.nsPerRun;
const costRows = costs.map((c) => [c.program, c.what, c.bytes, c.repeat, c.nsPerRun, c.nsPerRun - baseline(c.bytes), (c.nsPerRun / baseline(c.bytes)).toFixed(1) + '×']);

console.log('4. VM runs …');
const vmRows = await vmTimes();
const guestByHand = await vmByHand(VM_SERIES, await compileC('bare', ['bpf']));
const vmTcp = await wallTime([process.execPath, BUNDLED_CLI, 'experiment', 'tcp', '--kernel', VM_SERIES, '--results', VM_RESULTS]);
const vmAll = await wallTime([process.execPath, BUNDLED_CLI, 'experiment', 'all', '--kernel', VM_SERIES, '--profile', '--results', VM_RESULTS]);

console.log('5. npm test …');
const tests = process.env.BENCH_SKIP_TESTS ? null : await wallTime(['npm', 'test']);

/** Whether the 2× targets hold, and if not, where the time goes. */
function latencyVerdict(): string {
  const ratio = seconds('cli tcp') / bare;
  const allRatio = seconds('all') / allByHand;
  const node = seconds('node');
  return [
    `tcp: ${ratio.toFixed(1)}× the run by hand (target 2×: ${ratio <= 2 ? 'met' : 'missed'}).`,
    `all: ${seconds('all').toFixed(2)} s against ${allByHand.toFixed(2)} s, the by-hand runs of its ${EXPERIMENTS.length} ` +
      `experiments (each by the row of its kind) over ${cpus().length} cores: ${allRatio.toFixed(1)}× (target 2×: ${allRatio <= 2 ? 'met' : 'missed'}).`,
    ratio <= 2
      ? ''
      : `Where tcp's time goes beyond the run by hand: node's own start-up is ${node.toFixed(2)} s ` +
        `(${(node / bare).toFixed(1)}× the whole run by hand) before the harness's code runs; \`--profile\` shows the rest ` +
        '(namespace, server ready, traffic done, results written, each from the experiment\'s start).',
  ]
    .filter(Boolean)
    .join(' ');
}

/** `--profile` lines ("[vm 2] [tcp] +1460 ms server tcp ready: …") as one row per experiment: how long
 *  each stage took, and the experiment's total. */
function stageRows(output: string): (string | number)[][] {
  const STAGES: [string, RegExp][] = [
    ['namespace', /^namespaces? /],
    ['server', /^server .* ready/],
    ['traffic', /^traffic done/],
    ['written', /wrote /],
  ];
  const runs = new Map<string, { guest: string; at: Record<string, number> }>();
  for (const line of output.split('\n')) {
    const m = /^(?:\[vm(?: (\d+))?\] )?\[([\w-]+)\] \+(\d+) ms (.*)$/.exec(line);
    if (!m || m[2] === 'setup') continue;
    const stage = STAGES.find(([, pattern]) => pattern.test(m[4]))?.[0];
    if (!stage) continue;
    const run = runs.get(m[2]) ?? { guest: m[1] ?? '1', at: {} };
    run.at[stage] = Number(m[3]);
    runs.set(m[2], run);
  }
  return [...runs].map(([name, { guest, at }]) => {
    const marks = STAGES.map(([stage]) => at[stage] ?? NaN);
    return [name, guest, ...marks.map((t, i) => t - (i === 0 ? 0 : marks[i - 1])), marks[marks.length - 1]];
  });
}

/** The target: no loss where tcpdump loses none; more captured than tcpdump where it drops. */
function floodVerdict(f: FloodResult): string {
  const accounted = f.harnessRead + f.harnessLost === f.programSaw ? '' : ' (records unaccounted for!)';
  if (f.tcpdumpDropped === 0) return (f.harnessLost === 0 ? 'met: neither lost any' : `missed: lost ${f.harnessLost}, tcpdump none`) + accounted;
  return (f.harnessRead > f.tcpdumpCaptured ? 'met: more than tcpdump' : 'missed: fewer than tcpdump') + accounted;
}

function vmVerdict(): string {
  const floor = guestByHand.seconds;
  const ratio = vmTcp.seconds / floor;
  return (
    `On ${guestByHand.release}: \`--kernel ${VM_SERIES} tcp\` took ${vmTcp.seconds.toFixed(1)} s against ${floor.toFixed(1)} s for the ` +
    `same guest booting and doing the exchange by hand (bare.c + ncat): ${ratio.toFixed(1)}× (target 2×: ${ratio <= 2 ? 'met' : 'missed'}). ` +
    `\`--kernel ${VM_SERIES} all\` took ${vmAll.seconds.toFixed(1)} s (target ${ALL_BUDGET_S} s for ${EXPERIMENTS.length} experiments: ` +
    `${vmAll.seconds <= ALL_BUDGET_S ? 'met' : 'missed'}); under TCG it runs one guest per host core, each on a share of the catalogue.`
  );
}

const report = [
  '# Benchmarks',
  '',
  `${new Date().toISOString().slice(0, 10)} · ${cpus().length} × ${cpu} · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · kernel \`${release()}\` · node ${process.version}`,
  '',
  '## 1. Experiment latency (wall time, median)',
  '',
  'Targets: a single experiment within 2× the run by hand; `all` within 2× the by-hand runs of its experiments ' +
    'divided by the cores. The harness runs each server as a thread of its own process (servers/threads.ts), one ' +
    'node process per run.',
  '',
  table(['what', 'runs', 'seconds', 'against tcp by hand'], latencyRows),
  '',
  latencyVerdict(),
  '',
  'Where `experiment tcp`\'s time goes (`--profile`, one run): before the experiment,',
  '',
  ...hostProfile.output.split('\n').filter((l) => /\[setup\] \+\d+ ms/.test(l)).map((l) => `- ${l.replace(/^\[setup\] \+/, '')}`),
  '',
  'then the experiment\'s stages, in milliseconds:',
  '',
  table(['experiment', 'guest', 'namespace', 'server ready', 'traffic done', 'results written', 'total'], stageRows(hostProfile.output)).replace('| guest |', '| (host) |'),
  '',
  '## 2. Capture fidelity under load',
  '',
  'A flood of UDP datagrams (scripts/bench/flood.c, sendmmsg) from the client namespace to a closed port ' +
    'on the server across the veth pair, captured at the same time by the harness (the dump program on srv0\'s tc ingress; ' +
    `its ring buffer, 4 MiB of ${STRUCTS.dump_record.size.toLocaleString('en')}-byte records, read by servers/count.ts, which counts records instead of sending each) ` +
    'and by `tcpdump -w` on srv0 with its default buffer. "arrived" is srv0\'s rx counter; the program counts every packet ' +
    'it ran on and every record the full ring had no room for ("lost"), so seen = read + lost.',
  '',
  'Target: zero loss where tcpdump also loses none, and more captured than tcpdump where it drops.',
  '',
  table(['datagrams', 'payload (B)', 'sent', 'arrived at srv0', 'harness: seen / read / lost', 'tcpdump: captured / dropped', 'packets per second sent', 'target'], floodRows),
  '',
  '## 3. What observation costs per packet (BPF_PROG_TEST_RUN)',
  '',
  table(['program', 'what', 'bytes', 'repeat', 'ns per run', 'over baseline (ns)', 'ratio'], costRows),
  '',
  '## 4. VM runs (TCG, one vCPU per guest)',
  '',
  vmVerdict(),
  '',
  `Where \`--kernel ${VM_SERIES} all\`'s time goes (\`--profile\`): each guest first spends this long before its first ` +
    'experiment (node and the harness\'s code, then setup):',
  '',
  ...vmAll.output.split('\n').filter((l) => /\[setup\] \+\d+ ms/.test(l)).map((l) => `- ${l.replace(/^\[vm (\d+)\] \[setup\] \+/, 'guest $1: ')}`),
  '',
  'then, per experiment, the milliseconds each stage took:',
  '',
  table(['experiment', 'guest', 'namespace', 'server ready', 'traffic done', 'results written', 'total'], stageRows(vmAll.output)),
  '',
  '`npm run experiment -- tcp --kernel …` on each cached kernel:',
  '',
  table(['kernel', 'boot to guest command (s)', 'total (s)'], vmRows),
  '',
  '## 5. The test suite',
  '',
  tests ? `\`npm test\` on this warm machine: ${tests.seconds.toFixed(0)} s (target: 180 s).` : '`npm test` not timed (BENCH_SKIP_TESTS).',
  '',
].join('\n');
writeAtomic(join(RESULTS_DIR, 'bench.md'), report);
console.log(`\n${report}`);
