// The study's three experiments, run for real in namespaces on this kernel; then one experiment of every
// hook kind through each of the three channels, which must give the same summary.json.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NEEDS_ROOT, cli, leftovers, readSummary, tempDir } from '../helpers.ts';
import type { Summary } from '../../scripts/report/summary-json.ts';

const PAYLOAD = Buffer.from('0123456789\n').toString('hex');

/** The kernel-side and user-side facts (what an import can reproduce). */
const facts = (s: Summary) => ({ kernel_view: s.kernel_view, user_view: s.user_view, original: s.original });

/** A summary without its `channel` field, the one thing in it that says how the records travelled. */
const apartFromChannel = ({ channel: _, ...rest }: Summary) => rest;

/** One experiment of every hook kind: socket filters on raw, stream and datagram sockets, a packet socket,
 *  XDP, tc, cgroup_skb, a tracing program (kprobe or its tracepoint fallback), a filter that only counts
 *  into a pinned map, and one that keys a map of its own by the dump's packet number (reach). */
const EVERY_HOOK = ['raw', 'tcp', 'udp', 'packet', 'xdp', 'tc-ingress', 'cgroup-egress', 'kprobe-tcp', 'counter', 'reach-tcp'];
const OTHER_CHANNELS = ['trace_pipe', 'perf'] as const;

t.test('raw, tcp and udp on this kernel, and every hook kind on every channel', { skip: NEEDS_ROOT }, async (t) => {
  const dirs = { ringbuf: tempDir('ringbuf'), trace_pipe: tempDir('trace'), perf: tempDir('perf'), logs: tempDir('logs') };
  const child = cli(['experiment', ...EVERY_HOOK, '--results', dirs.ringbuf, '--logs', dirs.logs]);
  const run = await child;
  t.equal(run.exitCode, 0, run.all);
  t.match(run.stdout, new RegExp(`^\\[raw\\] namespace edl-${child.pid}-[0-9a-f]{6}-raw`, 'm'), 'prints progress per stage');
  t.same(await leftovers(child.pid!), [], 'nothing left behind');

  t.test('raw: the filter and recv() both start at the IPv4 header', async (t) => {
    const s = readSummary(dirs.ringbuf, 'raw');
    const packets = s.kernel_view.packets;
    t.same(packets.map((p) => [p.starts_with, p.tcp_flags, p.length]), [
      ['ipv4', ['SYN'], 60],
      ['ipv4', ['RST', 'ACK'], 40],
    ]);
    t.same(packets.map((p) => [p.pkt_type, p.protocol, p.ifindex]), [
      ['host', '0x0800', 1],
      ['host', '0x0800', 1],
    ]);
    t.same(s.user_view.reads.map((r) => r.found_in), [{ packet: 0, offset: 0 }, { packet: 1, offset: 0 }]);
    t.same(s.user_view.reads.map((r) => r.hex), packets.map((p) => p.hex), 'reads are byte-identical to the kernel view');
    t.equal(s.original.status, 'reproduced');
  });

  t.test('tcp: TCP header onwards, handshake ACK included, recv() gets the payload', async (t) => {
    const s = readSummary(dirs.ringbuf, 'tcp');
    const packets = s.kernel_view.packets;
    t.same(packets.map((p) => [p.starts_with, p.tcp_flags, p.length, p.payload_length]), [
      ['tcp', ['SYN'], 40, 0],
      ['tcp', ['ACK'], 32, 0],
      ['tcp', ['PSH', 'ACK'], 43, 11],
      ['tcp', ['FIN', 'ACK'], 32, 0],
    ]);
    t.equal(packets[2].payload_offset, 32, 'payload after a 32-byte TCP header (20 + timestamps option)');
    t.same(s.user_view.reads.map((r) => [r.hex, r.found_in]), [[PAYLOAD, { packet: 2, offset: 32 }]]);
    t.equal(packets[2].hex.slice(64), PAYLOAD, 'the payload is unmasked inside the kernel view');
    t.equal(s.original.status, 'differs');
    t.same(s.original.differences.map((d) => d.kind), ['extra-packet']);
    t.match(s.original.differences[0].explanation, /8fac365f63c8/);
  });

  t.test('udp: the 8-byte UDP header, then the payload recv() returns', async (t) => {
    const s = readSummary(dirs.ringbuf, 'udp');
    t.same(s.kernel_view.packets.map((p) => [p.starts_with, p.length, p.payload_offset]), [['udp', 19, 8]]);
    t.same(s.user_view.reads.map((r) => [r.hex, r.found_in]), [[PAYLOAD, { packet: 0, offset: 8 }]]);
    t.equal(s.original.status, 'reproduced');
  });

  for (const channel of OTHER_CHANNELS) {
    t.test(`${channel} gives the same summary.json as the ring buffer, for every hook kind`, async (t) => {
      const run = cli(['experiment', ...EVERY_HOOK, '--channel', channel, '--results', dirs[channel], '--logs', tempDir(`${channel}-logs`)]);
      const done = await run;
      t.equal(done.exitCode, 0, done.all);
      for (const name of EVERY_HOOK) {
        const other = readSummary(dirs[channel], name);
        const ringbuf = readSummary(dirs.ringbuf, name);
        t.equal(other.channel, channel);
        t.ok(ringbuf.kernel_view.packets.length > 0 || ringbuf.program.no_bytes, `${name}: the ring buffer run recorded something to compare`);
        t.strictSame(apartFromChannel(other), apartFromChannel(ringbuf), `${name}: the same summary.json apart from "channel"`);
      }
      t.same(await leftovers(run.pid!), [], 'nothing left behind');
    });
  }

  t.test('the raw logs import back into the same report', async (t) => {
    for (const name of ['raw', 'tcp', 'udp']) {
      const out = tempDir(`import-${name}`);
      const logs = join(dirs.logs, name);
      const imported = await cli(['import', join(logs, 'kernelspace.log'), join(logs, 'userspace.log'), '--as', name, '--out', out]);
      t.equal(imported.exitCode, 0, imported.all);
      const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
      t.equal(s.channel, 'import');
      t.same(facts(s).kernel_view.packets.map((p) => p.hex), facts(readSummary(dirs.ringbuf, name)).kernel_view.packets.map((p) => p.hex));
      t.same(facts(s).user_view, facts(readSummary(dirs.ringbuf, name)).user_view, `${name}: same reads`);
      t.same(facts(s).original, facts(readSummary(dirs.ringbuf, name)).original, `${name}: same verdict`);
    }
  });
});
