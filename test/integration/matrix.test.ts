// The visibility matrix: every hook's experiment run for real on this kernel, and what each one saw.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NEEDS_ROOT, cli, leftovers, readSummary, tempDir } from '../helpers.ts';
import { cleanupAll } from '../../scripts/support/cleanup.ts';
import { resolveHook } from '../../scripts/run/setup/hook-support.ts';
import kprobeTcp from '../../experiments/kprobe-tcp.ts';
import type { Summary } from '../../scripts/report/summary-json.ts';

const PAYLOAD = Buffer.from('0123456789\n').toString('hex');
const MATRIX = [
  'raw6', 'tcp6', 'udp6', 'packet', 'packet-dgram', 'trim-raw', 'trim-tcp', 'trim-udp', 'drop-raw', 'drop-tcp',
  'drop-udp', 'xdp', 'xdp-sctp', 'tc-ingress', 'tc-egress', 'cgroup-ingress', 'cgroup-egress', 'counter', 'kprobe-tcp',
];

const shapes = (s: Summary) => s.kernel_view.packets.map((p) => [p.starts_with, p.tcp_flags, p.length]);
const readLengths = (s: Summary) => s.user_view.reads.map((r) => r.length);

t.test('every hook on this kernel', { skip: NEEDS_ROOT }, async (t) => {
  const dir = tempDir('matrix');
  const child = cli(['experiment', ...MATRIX, '--results', dir, '--logs', tempDir('matrix-logs')]);
  const run = await child;
  t.equal(run.exitCode, 0, run.all);
  t.same(await leftovers(child.pid!), [], 'no namespace, veth, cgroup, pin, mount or process left');
  const s = (name: string) => readSummary(dir, name);

  t.test('IPv6: raw sockets start at TCP, not at the IPv6 header', async (t) => {
    t.same(shapes(s('raw6')), [['tcp', ['SYN'], 40], ['tcp', ['RST', 'ACK'], 20]]);
    t.same(readLengths(s('raw6')), [40, 20]);
    t.same(shapes(s('tcp6')).map(([layer, flags]) => [layer, flags]), [['tcp', ['SYN']], ['tcp', ['ACK']], ['tcp', ['PSH', 'ACK']], ['tcp', ['FIN', 'ACK']]]);
    t.same(s('tcp6').user_view.reads.map((r) => [r.hex, r.found_in?.offset]), [[PAYLOAD, 32]]);
    t.same(s('udp6').user_view.reads.map((r) => [r.hex, r.found_in?.offset]), [[PAYLOAD, 8]]);
  });

  t.test('AF_PACKET: both directions, each loopback packet twice', async (t) => {
    for (const [name, layer, length] of [['packet', 'ethernet', 74], ['packet-dgram', 'ipv4', 60]] as const) {
      const packets = s(name).kernel_view.packets;
      t.same(packets.map((p) => [p.starts_with, p.pkt_type, p.direction]), [
        [layer, 'outgoing', 'to-server'],
        [layer, 'host', 'to-server'],
        [layer, 'outgoing', 'from-server'],
        [layer, 'host', 'from-server'],
      ], name);
      t.equal(packets[0].length, length, `${name}: SYN of ${length} B`);
      t.same(s(name).user_view.reads.map((r) => [r.pkt_type, r.found_in]), packets.map((p, i) => [p.pkt_type, { packet: i, offset: 0 }]));
    }
    t.match(s('packet').kernel_view.packets[0].summary, /^Ethernet 00:00:00:00:00:00 → 00:00:00:00:00:00 \| IPv4 127\.0\.0\.1 → 127\.0\.0\.1 \| TCP \* → 16962 \[SYN\]/);
  });

  t.test('return values: trims never go below the transport header; drops hit one socket only', async (t) => {
    t.same(readLengths(s('trim-raw')), [4, 4], 'raw: trimmed to the 4 bytes returned');
    t.same(shapes(s('trim-raw')).map(([, , length]) => length), [60, 40], 'the filter still saw whole packets');
    t.same(shapes(s('trim-tcp')), [['tcp', ['SYN'], 40], ['tcp', ['ACK'], 32], ['tcp', ['PSH', 'ACK'], 43], ['tcp', ['FIN', 'ACK'], 32]]);
    t.same(readLengths(s('trim-tcp')), [], 'tcp: the payload was trimmed away, the handshake survived');
    t.same(readLengths(s('trim-udp')), [0], 'udp: an empty datagram, the 8-byte header is the floor');
    for (const [name, observed] of [['drop-raw', [60, 40]], ['drop-tcp', [60]], ['drop-udp', [39]]] as const) {
      t.same(readLengths(s(name)), [], `${name}: the filtered socket reads nothing`);
      t.same(s(name).observer_view?.reads.map((r) => r.length), observed, `${name}: the unfiltered raw socket still reads`);
    }
    t.same(shapes(s('drop-tcp')), [['tcp', ['SYN'], 40]], 'drop-tcp: one SYN, never answered');
  });

  t.test('XDP: Ethernet frames towards the server, flows in a map', async (t) => {
    const x = s('xdp');
    t.same(shapes(x).map(([layer, flags]) => [layer, flags]), [['ethernet', ['SYN']], ['ethernet', ['ACK']], ['ethernet', ['PSH', 'ACK']], ['ethernet', ['FIN', 'ACK']]]);
    t.ok(x.kernel_view.packets.every((p) => p.direction === 'to-server' && p.pkt_type === null), 'one direction, no pkt_type');
    t.same(x.kernel_view.maps, [{ map: 'flows', family: 4, protocol: 6, srcPort: '*', dstPort: 16962, src: '198.18.0.1', dst: '198.18.0.2', packets: 4 }]);
    t.same(x.user_view.reads.map((r) => r.found_in), [{ packet: 2, offset: 66 }], 'payload after 14 + 20 + 32 bytes');
    const sctp = s('xdp-sctp');
    t.match(sctp.kernel_view.packets[0].summary, /IPv4 198\.18\.0\.1 → 198\.18\.0\.2 \| SCTP \* → 16962/);
    t.same(sctp.kernel_view.maps.map((m) => [m.protocol, m.dstPort, m.packets]), [[132, 16962, 1]], 'recognised as SCTP');
    t.same(sctp.user_view.reads.map((r) => [r.length, r.found_in]), [[52, { packet: 0, offset: 14 }]], 'the raw socket reads from the IPv4 header');
  });

  t.test('tc and cgroup_skb: ingress sees the client, egress the server', async (t) => {
    const toServer = [['SYN'], ['ACK'], ['PSH', 'ACK'], ['FIN', 'ACK']];
    // With delayed ACKs off (quickack routes), the server ACKs the data and the FIN separately, before detaching.
    const fromServer = [['SYN', 'ACK'], ['ACK'], ['ACK']];
    for (const [name, layer, direction, flags] of [
      ['tc-ingress', 'ethernet', 'to-server', toServer],
      ['tc-egress', 'ethernet', 'from-server', fromServer],
      ['cgroup-ingress', 'ipv4', 'to-server', toServer],
      ['cgroup-egress', 'ipv4', 'from-server', fromServer],
    ] as const) {
      const packets = s(name).kernel_view.packets;
      t.ok(packets.every((p) => p.starts_with === layer && p.direction === direction), `${name}: all ${layer}, ${direction}`);
      t.same(packets.map((p) => p.tcp_flags), flags, `${name}: ${flags.map((f) => f.join('|')).join(', ')}`);
      t.same(readLengths(s(name)), [11], `${name}: the server still reads its data`);
    }
  });

  t.test('counter: counts match bpftool and the interface counters; pins are gone', async (t) => {
    const c = s('counter');
    t.same(c.kernel_view.maps.map((m) => [m.protocol, m.packets]), [[1, 2], [6, 4], [17, 2]]);
    t.same(c.checks.map((k) => k.ok), [true, true], JSON.stringify(c.checks));
  });

  t.test('kprobe-tcp: a kprobe, or the nearest tracepoint, said so', async (t) => {
    const k = s('kprobe-tcp');
    const kprobes = existsSync('/sys/bus/event_source/devices/kprobe');
    t.equal(k.hook, kprobes ? 'kprobe' : 'tracepoint');
    if (!kprobes) t.match(k.note, /kprobes are not available.*tcp_probe/);
    t.ok(k.kernel_view.packets.length > 0 && k.kernel_view.packets.every((p) => p.starts_with === 'tcp'), 'TCP from the header on');
    t.ok(k.kernel_view.packets.some((p) => p.tcp_flags?.join() === 'PSH,ACK' && p.length === 43), 'the data segment');
  });

  t.test('the overview: one row per experiment, from the summaries', async (t) => {
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    for (const name of MATRIX) {
      const o = s(name).overview;
      t.match(readme, `| [${name}](${name}/report.md) | ${o.hook} |`, `${name} has its row`);
      t.ok(readme.includes(o.first_layer.replace(/\|/g, '\\|')), `${name}: first layer cell`);
    }
  });
});

t.test('socket experiments also run between two namespaces (--topology veth), into folders of their own', { skip: NEEDS_ROOT }, async (t) => {
  const dir = tempDir('veth');
  const child = cli(['experiment', 'raw', 'tcp', 'packet', '--topology', 'veth', '--results', dir, '--logs', tempDir('veth-logs')]);
  const run = await child;
  t.equal(run.exitCode, 0, run.all);
  t.same(await leftovers(child.pid!), []);
  t.notOk(existsSync(join(dir, 'raw')), 'the loopback result is not overwritten: the variant has its own folder');
  const raw = readSummary(dir, 'raw-veth');
  t.same(shapes(raw), [['ipv4', ['SYN'], 60]], 'raw-veth: the RST leaves for the client, the raw socket never sees it');
  t.match(raw.kernel_view.packets[0].summary, /IPv4 198\.18\.0\.1 → 198\.18\.0\.2/);
  t.match(raw.why.join(' '), /leaves through the veth/, 'the report explains this run, on veth');
  t.notMatch(raw.why.join(' '), /on loopback this host also receives/, 'and not the loopback one');
  t.ok(raw.original.differences.every((d) => d.explanation !== null), 'each difference from 2017 is put down to the topology');
  t.equal(readSummary(dir, 'tcp-veth').kernel_view.packets.length, 4);
  t.equal(readSummary(dir, 'tcp-veth').topology, 'veth');
  t.match(run.stdout, /\[packet\] runs on loopback only: its socket is bound to lo/, 'an experiment tied to lo says so');
  t.equal(readSummary(dir, 'packet').topology, 'loopback');
  t.match(readFileSync(join(dir, 'README.md'), 'utf8'), /\[raw-veth\]\(raw-veth\/report\.md\)/, 'the overview lists the variant');
});

t.test('a hook this kernel lacks is reported as unsupported, before anything is attached', { skip: NEEDS_ROOT }, async (t) => {
  t.teardown(cleanupAll);
  const missing = { ...kprobeTcp, hook: 'tracepoint', tracepoint: 'no_such/tracepoint', fallback: undefined } as const;
  t.same(await resolveHook(missing), {
    kind: 'unsupported',
    lack: { reason: 'the tracepoint no_such/tracepoint does not exist; there is no fallback', missing: 'tracepoint no_such/tracepoint' },
  });
  // The kernel's lack of kprobes (this one's) is proven by the kprobe module's probe, and the fallback is taken.
  const kprobes = await resolveHook(kprobeTcp);
  if (kprobes.kind === 'fallback') {
    t.match(kprobes, { lack: { missing: 'CONFIG_KPROBES' }, spec: { hook: 'tracepoint', filter: { program: 'tp_tcp_probe' } } });
  } else t.equal(kprobes.kind, 'as-declared', 'this kernel has kprobes');
});
