// Killing a run at any point leaves the machine as it was (SIGINT cleans up at once; after SIGKILL the
// next run sweeps up), and two runs at the same time do not collide.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { NEEDS_ROOT, cli, leftovers, readSummary, tempDir } from '../helpers.ts';
import { EXIT } from '../../scripts/support/errors.ts';

/** What the harness could change on this machine, besides its own leftovers check. */
async function machineState(): Promise<string[]> {
  const lines = (cmd: string, args: string[]) => execa(cmd, args, { reject: false }).then((r) => r.stdout.split('\n').sort());
  const programs = JSON.parse((await execa('bpftool', ['--json', 'prog', 'show'])).stdout) as { name?: string; type: string }[];
  return [
    ...(await lines('ip', ['netns', 'list'])).map((l) => `netns ${l}`),
    ...(await lines('ip', ['-o', 'link', 'show'])).map((l) => `link ${l.replace(/\s+link\/.*$/, '')}`),
    ...readFileSync('/proc/mounts', 'utf8').split('\n').sort().map((l) => `mount ${l}`),
    ...programs.filter((p) => /^(socket_filter|xdp|sched_cls|cgroup_skb|kprobe|tracing)$/.test(p.type)).map((p) => `prog ${p.type} ${p.name}`),
  ];
}

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
