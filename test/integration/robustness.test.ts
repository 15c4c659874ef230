// Killing a run at any point leaves the machine as it was (SIGINT cleans up at once; after SIGKILL the
// next run sweeps up), and two runs at the same time do not collide.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../scripts/support/paths.ts';
import { execa } from 'execa';
import { NEEDS_ROOT, cli, leftovers, readSummary, tempDir } from '../helpers.ts';
import { EXIT } from '../../scripts/support/errors.ts';
import { machineState } from '../../scripts/support/machine-state.ts';

/** Starts a run and signals it when its output first matches `when`. */
async function interrupt(args: string[], when: RegExp, signal: NodeJS.Signals) {
  const child = cli(args);
  let sent = false;
  child.stdout!.on('data', (chunk: Buffer) => {
    if (!sent && when.test(String(chunk))) {
      sent = true;
      child.kill(signal);
    }
  });
  const result = await child;
  return { result, pid: child.pid!, sent };
}

// cgroup-ingress makes the most: two namespaces, a veth pair, a cgroup, a cgroup_skb link, a tracefs
// instance with the trace_pipe channel, and private mounts where the system has none.
const RUN = ['experiment', 'cgroup-ingress', '--channel', 'trace_pipe'];
const POINTS: [string, RegExp][] = [
  ['after the namespaces exist', /namespaces edl-/],
  ['after the program is attached', /ready: dump_cgroup_ingress attached/],
  ['after the traffic', /traffic done/],
];

t.test('SIGINT or SIGTERM at any point: exit 130 or 143, machine as before', { skip: NEEDS_ROOT }, async (t) => {
  const before = await machineState();
  const cases = [...POINTS.map(([p, w]) => [p, w, 'SIGINT', EXIT.interrupted] as const), [...POINTS[1], 'SIGTERM', EXIT.terminated] as const];
  for (const [point, when, signal, code] of cases) {
    const { result, pid, sent } = await interrupt([...RUN, '--results', tempDir('int'), '--logs', tempDir('int-logs')], when, signal);
    t.ok(sent, `${signal} ${point}: the signal was sent`);
    t.equal(result.exitCode, code, `${signal} ${point}: exit ${code}\n${result.all}`);
    t.same(await leftovers(pid), [], `${signal} ${point}: nothing left`);
  }
  t.same(await machineState(), before, 'namespaces, links, mounts and programs as before');
});

t.test('SIGKILL at any point: the next run removes what was left, and says so', { skip: NEEDS_ROOT }, async (t) => {
  const before = await machineState();
  for (const [point, when] of POINTS) {
    const { pid, sent } = await interrupt([...RUN, '--results', tempDir('kill'), '--logs', tempDir('kill-logs')], when, 'SIGKILL');
    t.ok(sent, `${point}: killed`);
    t.not((await leftovers(pid)).length, 0, `${point}: the dead run left something (the sweep has work to do)`);
    const next = await cli(['experiment', 'udp', '--results', tempDir('next'), '--logs', tempDir('next-logs')]);
    t.equal(next.exitCode, 0, next.all);
    t.match(next.stdout, new RegExp(`removed what earlier runs that were killed left behind:[\\s\\S]*edl-${pid}-`), `${point}: says what it removed`);
    t.same(await leftovers(pid), [], `${point}: nothing of the dead run is left`);
  }
  t.same(await machineState(), before, 'namespaces, links, mounts and programs as before');
});

/** Starts a run in a process group of its own (as `setsid npm run experiment … &` does). */
function detachedRun(args: string[]) {
  return execa(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'cli.ts'), ...args], {
    cwd: ROOT,
    detached: true,
    reject: false,
    all: true,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
    extendEnv: false,
  });
}

t.test('the whole run SIGKILLed, the next run started at once: it removes everything and names it', { skip: NEEDS_ROOT }, async (t) => {
  const before = await machineState();
  // Killed early (as soon as its first resources exist) and late (after some experiments were written):
  // moments the run itself marks, not times, which a loaded machine stretches.
  const moments = [
    { delay: 'once its first resources exist', reached: async (pid: number) => (await leftovers(pid)).length > 0 },
    { delay: 'after 3 experiments were written', reached: async (_pid: number, output: string) => (output.match(/\bwrote\b/g) ?? []).length >= 3 },
  ];
  for (const { delay, reached } of moments) {
    const run = detachedRun(['experiment', 'all', '--results', tempDir('group-kill'), '--logs', tempDir('group-kill-logs')]);
    let output = '';
    run.all!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && run.exitCode === null && !(await reached(run.pid!, output)); ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    t.equal(run.exitCode, null, `still running ${delay}`);
    process.kill(-run.pid!, 'SIGKILL'); // kill -KILL -- -<its process group>
    await run;
    const left = await leftovers(run.pid!);
    t.not(left.length, 0, `killed ${delay}: it left something (the sweep has work to do)`);
    const next = await cli(['experiment', 'tcp', '--results', tempDir('group-next'), '--logs', tempDir('group-next-logs')]);
    t.equal(next.exitCode, 0, next.all);
    for (const netns of left.filter((l) => l.startsWith('netns ')).map((l) => l.split(' ')[1])) {
      t.match(next.stdout, new RegExp(`network namespace ${netns}\\b`), `killed ${delay}: the next run names ${netns} as removed`);
    }
    t.same(await leftovers(run.pid!), [], `killed ${delay}: nothing of the dead run is left`);
  }
  t.same(await machineState(), before, 'namespaces, links, mounts and programs as before');
});

t.test('a dead run whose process is a zombie, or whose pid another process now has, is dead', { skip: NEEDS_ROOT }, async (t) => {
  // The harness in a session of its own, under a parent that never reaps it (as under an init that reaps late).
  const node = [process.execPath, '--import', 'tsx', join(ROOT, 'scripts', 'cli.ts')].join(' ');
  const wrapper = execa('sh', ['-c', `setsid ${node} experiment all --results ${tempDir('zombie')} --logs ${tempDir('zombie-logs')} >/dev/null 2>&1 & echo $!; exec sleep 120`], {
    cwd: ROOT,
    reject: false,
  });
  const pid = Number(await new Promise<string>((resolve) => wrapper.stdout!.once('data', (chunk: Buffer) => resolve(String(chunk).trim()))));
  await new Promise((resolve) => setTimeout(resolve, 2500));
  process.kill(-pid, 'SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.match(readFileSync(`/proc/${pid}/stat`, 'utf8'), /^\d+ \(.*\) Z /, 'the killed run is a zombie');
  // A name of a run id whose pid is alive but belongs to a stranger: the wrapper (a reused pid, in effect).
  const reused = `edl-${wrapper.pid}-abcdef-reused`;
  await execa('ip', ['netns', 'add', reused]);
  const left = await leftovers(pid);
  t.not(left.length, 0, 'the zombie run left something');
  const next = await cli(['experiment', 'udp', '--results', tempDir('zombie-next'), '--logs', tempDir('zombie-next-logs')]);
  t.equal(next.exitCode, 0, next.all);
  t.same(await leftovers(pid), [], 'nothing of the zombie run is left');
  t.match(next.stdout, `network namespace ${reused}`, 'the name whose pid was reused is removed, and named');
  t.notOk((await execa('ip', ['netns', 'list'])).stdout.includes(reused));
  wrapper.kill('SIGKILL');
  await wrapper;
});

t.test('two runs at the same time both get their results right', { skip: NEEDS_ROOT }, async (t) => {
  const [a, b] = [tempDir('concurrent-a'), tempDir('concurrent-b')];
  const [ra, rb] = await Promise.all([
    cli(['experiment', 'tcp', 'udp', 'xdp', '--results', a, '--logs', tempDir('ca-logs')]),
    cli(['experiment', 'tcp', 'udp', 'xdp', '--channel', 'trace_pipe', '--results', b, '--logs', tempDir('cb-logs')]),
  ]);
  t.equal(ra.exitCode, 0, ra.all);
  t.equal(rb.exitCode, 0, rb.all);
  for (const name of ['tcp', 'udp', 'xdp']) {
    const [sa, sb] = [readSummary(a, name), readSummary(b, name)];
    t.same(sa.kernel_view, sb.kernel_view, `${name}: the same kernel view from both runs`);
    t.same(sa.user_view, sb.user_view, `${name}: the same reads from both runs`);
  }
  t.equal(readSummary(a, 'tcp').kernel_view.packets.length, 4);
});
