// What a run could change on this machine, as sorted lines, so that two snapshots compare with t.same() or a
// diff: namespaces, links, loaded programs of the harness's kinds, mounts, cgroups, tracefs instances, pins,
// the top-level bpf_trace_printk event, processes and temporary files of the harness. The kill soak and the
// robustness tests take one before and one after.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { procMounts } from './kernel-fs.ts';
import { ROOT } from './paths.ts';

const PROGRAM_TYPES = /^(socket_filter|xdp|sched_cls|cgroup_skb|kprobe|tracing|raw_tracepoint|tracepoint)$/;

const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

export async function machineState(): Promise<string[]> {
  const lines = (cmd: string, args: string[]) => execa(cmd, args, { reject: false }).then((r) => r.stdout.split('\n').filter(Boolean));
  const programs = JSON.parse((await execa('bpftool', ['--json', 'prog', 'show'])).stdout) as { name?: string; type: string }[];
  const mounts = procMounts();
  const global = (type: string, sub = '') => {
    const mount = mounts.find((m) => m.type === type);
    return mount ? entries(join(mount.path, sub)).filter((n) => n.startsWith('edl-')).map((n) => `${type} ${n}`) : [];
  };
  const printk = mounts.find((m) => m.type === 'tracefs');
  const printkEnable = printk ? join(printk.path, 'events', 'bpf_trace', 'bpf_trace_printk', 'enable') : null;
  const processes = (await lines('ps', ['-eo', 'args='])).filter((a) => a.includes(join(ROOT, 'servers')) || /\bncat\b.*16962|qemu-system|virtiofsd/.test(a));
  return [
    ...(await lines('ip', ['netns', 'list'])).map((l) => `netns ${l}`),
    ...(await lines('ip', ['-o', 'link', 'show'])).map((l) => `link ${l.replace(/^\d+: /, '').replace(/\s+link\/.*$/, '')}`),
    ...mounts.map((m) => `mount ${m.type} ${m.path}`),
    ...programs.filter((p) => PROGRAM_TYPES.test(p.type)).map((p) => `prog ${p.type} ${p.name}`),
    ...global('cgroup2'),
    ...global('tracefs', 'instances'),
    ...mounts.filter((m) => m.type === 'bpf').flatMap((m) => entries(m.path).filter((n) => n.startsWith('edl-')).map((n) => `pin ${m.path}/${n}`)),
    ...(printkEnable && existsSync(printkEnable) ? [`top-level bpf_trace_printk enable=${readFileSync(printkEnable, 'utf8').trim()}`] : []),
    ...processes.map((p) => `process ${p}`),
    // The tests' and soaks' own temporary folders are theirs to remove.
    ...entries(tmpdir()).filter((n) => /^\.?edl-/.test(n) && !/^edl-(test|soak)-/.test(n)).map((n) => `temporary ${n}`),
  ].sort();
}
