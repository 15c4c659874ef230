// The hook modules: each attaches, probes and names its return values as declared, what each declares about
// its view agrees with the committed results, and nothing outside scripts/hooks/ switches on a hook's name.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HOOKS, hookNamed } from '../../../scripts/hooks/index.ts';
import { ROOT } from '../../../scripts/support/paths.ts';
import { EXPERIMENTS, findExperiment } from '../../../experiments/index.ts';
import { viewStartLayers } from '../../../scripts/hooks/view-start.ts';
import { readSummaries } from '../../../scripts/report/read-results.ts';
import type { AttachContext, ProbeContext } from '../../../scripts/hooks/hook.ts';

/** An AttachContext that records what a hook asked for. */
function recorder(cgroup: string | undefined) {
  const calls: string[] = [];
  const detach = (what: string) => () => void calls.push(`detach ${what}`);
  const ctx: AttachContext = {
    attachBySection: () => (calls.push('by-section'), detach('by-section')),
    attachXdp: (ifindex) => (calls.push(`xdp ${ifindex}`), detach('xdp')),
    attachTc: (ifindex, direction) => (calls.push(`tc ${ifindex} ${direction}`), detach('tc')),
    attachCgroup: (path) => (calls.push(`cgroup ${path}`), detach('cgroup')),
    ifindex: () => 7,
    cgroup,
  };
  return { calls, ctx };
}

t.test('the registry: unique names, every experiment\'s hook (and fallback) in it', async (t) => {
  t.equal(new Set(HOOKS.map((h) => h.name)).size, HOOKS.length);
  for (const e of EXPERIMENTS) {
    t.equal(hookNamed(e.hook).name, e.hook, `${e.name}: ${e.hook}`);
    if (e.fallback) t.equal(hookNamed(e.fallback.hook).name, e.fallback.hook, `${e.name}: fallback ${e.fallback.hook}`);
  }
});

t.test('attach: each hook asks for its own attach point', async (t) => {
  const expected: Record<string, string[] | null> = {
    socket: null,
    xdp: ['xdp 7'],
    'tc-ingress': ['tc 7 ingress'],
    'tc-egress': ['tc 7 egress'],
    'cgroup-ingress': ['cgroup /sys/fs/cgroup/edl-1-x'],
    'cgroup-egress': ['cgroup /sys/fs/cgroup/edl-1-x'],
    kprobe: ['by-section'],
    tracepoint: ['by-section'],
  };
  t.same(Object.keys(expected).sort(), HOOKS.map((h) => h.name).sort(), 'every hook is covered here');
  for (const hook of HOOKS) {
    const { calls, ctx } = recorder('/sys/fs/cgroup/edl-1-x');
    const detach = hook.attach(ctx);
    if (expected[hook.name] === null) {
      t.equal(detach, null, `${hook.name}: the server attaches per socket`);
      t.same(calls, [], `${hook.name}: nothing attached up front`);
      t.equal(hook.attachesTo, 'socket');
      continue;
    }
    t.same(calls, expected[hook.name], `${hook.name} attaches where it should`);
    detach!();
    t.match(calls.at(-1), /^detach /, `${hook.name}: the detach it returns undoes that attach`);
  }
  t.throws(() => hookNamed('cgroup-ingress').attach(recorder(undefined).ctx), /needs config\.cgroup/, 'a cgroup hook without a cgroup is refused');
});

t.test('probe: a lack is proven and named; tracing hooks look where libbpf will', async (t) => {
  const probe = (name: 'kprobe' | 'tracepoint', present: string[], tracepoint?: string) => {
    const ctx: ProbeContext = { exists: (p) => present.includes(p), tracefs: async () => '/tracefs', tracepoint };
    return hookNamed(name).probe(ctx);
  };
  t.equal(await probe('kprobe', ['/sys/bus/event_source/devices/kprobe']), null, 'the kprobe PMU will do');
  t.equal(await probe('kprobe', ['/tracefs/kprobe_events']), null, 'so will the legacy kprobe_events file');
  t.match(await probe('kprobe', []), { missing: 'CONFIG_KPROBES', reason: /no kprobe PMU and no kprobe_events/ });
  t.match(await probe('tracepoint', ['/tracefs/events/tcp/tcp_probe'], 'tcp/tcp_probe'), { missing: 'CONFIG_DEBUG_INFO_BTF' });
  t.match(await probe('tracepoint', ['/sys/kernel/btf/vmlinux'], 'tcp/tcp_probe'), { missing: 'tracepoint tcp/tcp_probe' });
  t.equal(await probe('tracepoint', ['/sys/kernel/btf/vmlinux', '/tracefs/events/tcp/tcp_probe'], 'tcp/tcp_probe'), null);
  for (const hook of HOOKS.filter((h) => h.attachesTo !== 'kernel')) {
    t.equal(await hook.probe({ exists: () => false, tracefs: async () => '/nowhere' }), null, `${hook.name}: nothing to probe beyond the eBPF core`);
  }
});

t.test('return values: the "keep going" value is named and means keep going', async (t) => {
  const keep: Record<string, number> = { xdp: 2, 'tc-ingress': 0, 'tc-egress': 0, 'cgroup-ingress': 1, 'cgroup-egress': 1 };
  for (const [name, value] of Object.entries(keep)) {
    const hook = hookNamed(name as keyof typeof keep & Parameters<typeof hookNamed>[0]);
    t.equal(hook.returnName(value), hook.keepGoing, `${name}: ${value} is ${hook.keepGoing}`);
    t.equal(hook.returnEffect(value), 'keep-going');
  }
  t.equal(hookNamed('xdp').returnEffect(1), 'drop', 'XDP_DROP drops');
  t.equal(hookNamed('tc-ingress').returnName(2), 'TC_ACT_SHOT');
  t.equal(hookNamed('tc-ingress').returnEffect(2), 'drop');
  t.equal(hookNamed('cgroup-egress').returnEffect(0), 'drop');
  t.equal(hookNamed('socket').returnEffect(0), 'drop', 'a socket filter returning 0 drops for its socket');
  t.equal(hookNamed('socket').returnEffect(4), 'trim');
  t.equal(hookNamed('kprobe').returnEffect(0), 'ignored');
});

t.test('what each hook declares about its view agrees with the committed results', async (t) => {
  const DIRECTION: Record<string, string> = { ingress: 'to-server', egress: 'from-server' };
  let compared = 0;
  for (const s of readSummaries(join(ROOT, 'results'), EXPERIMENTS.map((e) => e.name))) {
    const hook = hookNamed(s.hook);
    const spec = findExperiment(s.experiment)!;
    const starts = viewStartLayers(hook, { socket: spec.server.program, family: spec.family, transport: spec.transport });
    for (const [i, p] of s.kernel_view.packets.entries()) {
      if (p.length > 0) t.ok(starts.includes(p.starts_with), `${s.experiment} #${i}: ${hook.name} views start at the ${starts.join(' or ')} header (${p.starts_with})`);
      if (DIRECTION[hook.sees]) t.equal(p.direction, DIRECTION[hook.sees], `${s.experiment} #${i}: ${hook.name} sees ${hook.sees} packets`);
      compared++;
    }
  }
  t.ok(compared > 20, `compared ${compared} packets`);
});

t.test('nothing outside scripts/hooks/ switches on a hook\'s name', async (t) => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));
  const switching = /\bhook\s*[!=]==\s*'|\.hook\.startsWith\(|case '(?:socket|xdp|tc-|cgroup-|kprobe|tracepoint)/;
  const offenders = [...files(join(ROOT, 'scripts')), ...files(join(ROOT, 'servers'))]
    .filter((f) => !f.startsWith(join(ROOT, 'scripts', 'hooks')))
    .flatMap((f) => readFileSync(f, 'utf8').split('\n').flatMap((line, i) => (switching.test(line) ? [`${relative(ROOT, f)}:${i + 1}: ${line.trim()}`] : [])));
  t.same(offenders, [], 'ask the hook module (hookNamed(name).…) instead');
});
