// The study's three experiments, run for real in namespaces on this kernel, through both channels.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NEEDS_ROOT, cli, leftovers, readSummary, tempDir } from '../helpers.ts';
import type { Summary } from '../../scripts/report/summary-json.ts';

const PAYLOAD = Buffer.from('0123456789\n').toString('hex');

/** The kernel-side and user-side facts, without what legitimately differs between channels. */
const facts = (s: Summary) => ({ kernel_view: s.kernel_view, user_view: s.user_view, original: s.original });

t.test('raw, tcp and udp on this kernel', { skip: NEEDS_ROOT }, async (t) => {
  const dirs = { ringbuf: tempDir('ringbuf'), trace_pipe: tempDir('trace'), logs: tempDir('logs') };
  const child = cli(['experiment', 'raw', 'tcp', 'udp', '--results', dirs.ringbuf, '--logs', dirs.logs]);
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

  t.test('trace_pipe gives the same kernel view as the ring buffer', async (t) => {
    const tracer = cli(['experiment', 'raw', 'tcp', 'udp', '--channel', 'trace_pipe', '--results', dirs.trace_pipe, '--logs', tempDir('tlogs')]);
    const traced = await tracer;
    t.equal(traced.exitCode, 0, traced.all);
    for (const name of ['raw', 'tcp', 'udp']) {
      const viaTrace = readSummary(dirs.trace_pipe, name);
      t.equal(viaTrace.channel, 'trace_pipe');
      t.same(facts(viaTrace), facts(readSummary(dirs.ringbuf, name)), `${name}: same packets, bytes and reads`);
    }
    t.same(await leftovers(tracer.pid!), [], 'nothing left behind (tracefs instance removed)');
  });

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
