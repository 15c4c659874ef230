import t from 'tap';
import { analyze, locate } from '../../../scripts/analysis/analyze.ts';
import { buildSummary } from '../../../scripts/report/summary-json.ts';
import type { Difference } from '../../../scripts/analysis/types.ts';
import type { KernelPacket, Observations } from '../../../scripts/vocabulary/observations.ts';
import type { ExperimentSpec } from '../../../experiments/spec.ts';
import raw from '../../../experiments/raw.ts';
import tcp from '../../../experiments/tcp.ts';
import udp from '../../../experiments/udp.ts';
import {
  ACK, FIN, LO4, PAYLOAD, PSH, RST4, SYN, SYN4, SYN_OPTIONS, TCP_FIN_ACK, TCP_PSH_ACK, TCP_SYN, UDP_ONLY, ascii, hex, ipv4,
} from '../../fixtures/packets.ts';

type PacketMeta = Partial<Pick<KernelPacket, 'pktType' | 'protocol' | 'ifindex'>>;

/** A run as the capture side would hand it over: every view whole (length = bytes captured). */
function observe(spec: ExperimentSpec, views: Uint8Array[], reads: Uint8Array[], meta: PacketMeta[] = []): Observations {
  return {
    experiment: spec.name,
    kernel: '6.8.0-test',
    channel: 'ringbuf',
    topology: 'loopback',
    serverAddress: '127.0.0.1',
    packets: views.map((bytes, seq) => ({
      seq,
      length: bytes.length,
      bytes,
      pktType: meta[seq]?.pktType ?? null,
      protocol: meta[seq]?.protocol ?? null,
      ifindex: meta[seq]?.ifindex ?? null,
    })),
    reads: reads.map((bytes) => ({ bytes: bytes.slice() })),
    observerReads: [],
    entries: [],
    pinned: [],
    interface: null,
    lost: 0,
  };
}

const run = (spec: ExperimentSpec, views: Uint8Array[], reads: Uint8Array[], meta?: PacketMeta[]) =>
  analyze(spec, observe(spec, views, reads, meta));
const kinds = (differences: Difference[]) => differences.map((d) => d.kind);
const READ = hex(PAYLOAD); // what the server reads: "0123456789\n"

t.test('raw: the server reads the very packets the filter saw', async (t) => {
  const a = run(raw, [SYN4, RST4], [SYN4, RST4]);
  t.same(a.packets.map((p) => [p.decoded.startsWith, p.decoded.tcpFlags, p.packet.length]), [
    ['ipv4', ['SYN'], 60],
    ['ipv4', ['RST', 'ACK'], 40],
  ]);
  t.same(a.reads.map((r) => r.foundIn), [{ packet: 0, offset: 0 }, { packet: 1, offset: 0 }]);
  for (const [i, r] of a.reads.entries()) {
    t.same(r.masked, a.packets[i].masked, `read #${i} masked like packet #${i}`);
    t.same(r.normalised, a.packets[i].normalised, `read #${i} normalised like packet #${i}`);
  }
  t.ok(a.packets[0].masked.some((m) => m.field === 'ipv4.id'));
  t.same(a.study, { status: 'reproduced', differences: [] });
});

t.test('tcp: today\'s kernel shows the handshake\'s ACK to the filter', async (t) => {
  const a = run(tcp, [SYN, ACK, PSH, FIN], [READ]);
  t.same(a.packets.map((p) => [p.decoded.startsWith, p.decoded.tcpFlags, p.decoded.payloadLength]), [
    ['tcp', ['SYN'], 0],
    ['tcp', ['ACK'], 0],
    ['tcp', ['PSH', 'ACK'], 11],
    ['tcp', ['FIN', 'ACK'], 0],
  ]);
  t.same(a.reads[0].foundIn, { packet: 2, offset: 32 });
  t.same(a.reads[0].masked, []);
  t.same(a.reads[0].normalised, READ);
  t.equal(a.study?.status, 'differs');
  t.same(kinds(a.study!.differences), ['extra-packet']);
  const [extra] = a.study!.differences;
  t.match(extra.description, /packet #1 ACK \(32 B\)/);
  t.equal(extra.explanation, tcp.study!.knownDifferences[0].explanation);
  t.match(extra.explanation, /8fac365f63c8/);
});

t.test('tcp: exactly the 2017 exchange', async (t) => {
  const a = run(tcp, [SYN, PSH, FIN], [READ]);
  t.same(a.reads[0].foundIn, { packet: 1, offset: 32 });
  t.same(a.study, { status: 'reproduced', differences: [] });
});

t.test('tcp: a packet the study saw is missing', async (t) => {
  const a = run(tcp, [SYN, PSH], [READ]);
  t.equal(a.study?.status, 'differs');
  t.same(kinds(a.study!.differences), ['missing-packet']);
  t.match(a.study!.differences[0], { description: /FIN\|ACK \(32 B\)/, explanation: null });
});

t.test('tcp: the filter\'s view starts at another layer', async (t) => {
  const views = [
    ipv4(hex(`45 00 00 3c 5d 2e 40 00 40 06 00 00 ${LO4} ${TCP_SYN}`)),
    ipv4(hex(`45 00 00 3f 5d 2f 40 00 40 06 00 00 ${LO4} ${TCP_PSH_ACK} ${PAYLOAD}`)),
    ipv4(hex(`45 00 00 34 5d 30 40 00 40 06 00 00 ${LO4} ${TCP_FIN_ACK}`)),
  ];
  const a = run(tcp, views, [READ]);
  t.same(a.packets.map((p) => p.decoded.startsWith), ['ipv4', 'ipv4', 'ipv4']);
  t.same(a.reads[0].foundIn, { packet: 1, offset: 52 });
  t.equal(a.study?.status, 'differs');
  const first = a.study!.differences.filter((d) => d.kind === 'first-layer');
  t.equal(first.length, 1);
  t.match(first[0].description, /starts at ipv4; in 2017 at tcp/);
  // The packets still line up by flags and payload; each is 20 B longer.
  t.same(kinds(a.study!.differences), ['first-layer', 'packet-length', 'packet-length', 'packet-length']);
});

t.test('tcp: a packet of another length', async (t) => {
  // The SYN carries one more option (MPTCP MP_CAPABLE): data offset 11, 44 B.
  const syn44 = hex(`93 80 42 42 1a 2b 3c 4d 00 00 00 00 b0 02 ff d7 fe 34 00 00 ${SYN_OPTIONS} 1e 04 01 01`);
  t.equal(syn44.length, 44);
  const a = run(tcp, [syn44, PSH, FIN], [READ]);
  t.same(a.packets[0].decoded.tcpFlags, ['SYN']);
  t.same(kinds(a.study!.differences), ['packet-length']);
  t.match(a.study!.differences[0].description, /packet #0 SYN \(44 B\) was 40 B in 2017/);
});

t.test('tcp: reads that do not match the study', async (t) => {
  // The stream read in two parts: the second part is inside the payload, not at its start.
  const split = run(tcp, [SYN, PSH, FIN], [READ.subarray(0, 5), READ.subarray(5)]);
  t.same(split.reads.map((r) => r.foundIn), [{ packet: 1, offset: 32 }, { packet: 1, offset: 37 }]);
  t.equal(split.study?.status, 'differs');
  t.same(kinds(split.study!.differences), ['reads', 'user-view']);
  t.match(split.study!.differences[0].description, /read 2 time\(s\) \[5, 6 B\]; in 2017 1 time\(s\) \[11 B\]/);
  t.match(split.study!.differences[1].description, /read #1 is not the payload/);

  // Eleven bytes, as in 2017, but not bytes the filter saw.
  const other = run(tcp, [SYN, PSH, FIN], [hex(ascii('abcdefghij\n'))]);
  t.equal(other.reads[0].foundIn, null);
  t.same(other.reads[0].masked, []);
  t.same(kinds(other.study!.differences), ['user-view']);
  t.match(other.study!.differences[0].description, /read #0 is not the payload/);
});

t.test('udp: the payload, after the 8-byte header', async (t) => {
  const hello = UDP_ONLY.subarray(8);
  const a = run(udp, [UDP_ONLY], [hello]);
  t.same(a.packets.map((p) => [p.decoded.startsWith, p.packet.length, p.decoded.payloadOffset]), [['udp', 19, 8]]);
  t.same(a.reads.map((r) => [r.bytes.length, r.foundIn]), [[11, { packet: 0, offset: 8 }]]);
  t.same(a.study, { status: 'reproduced', differences: [] });
});

t.test('locate prefers the payload offset', async (t) => {
  // UDP to port 16962 (42 42) carrying the two bytes 42 42: they stand at offset 2 too.
  const udpBB = hex('9c 40 42 42 00 0a fe 1d 42 42');
  const bb = hex('42 42');
  const packets = run(udp, [udpBB], []).packets;
  t.same(locate(bb, packets), { packet: 0, offset: 8 });
  // Also over an earlier packet that holds the bytes outside its payload.
  const both = run(udp, [UDP_ONLY, udpBB], []).packets;
  t.same(locate(bb, both), { packet: 1, offset: 8 });
  // Without a payload match, the first place the bytes stand.
  t.same(locate(bb, run(udp, [UDP_ONLY], []).packets), { packet: 0, offset: 2 });
  t.equal(locate(hex('de ad'), packets), null);
  t.equal(locate(new Uint8Array(0), packets), null);
});

t.test('buildSummary: summary.json\'s shape', async (t) => {
  const a = run(raw, [SYN4, RST4], [SYN4, RST4], [{ pktType: 0, protocol: 0x0800, ifindex: 1 }, { pktType: 5 }]);
  const s = buildSummary(a, null, { kind: 'ok' }, null);
  t.match(s, {
    experiment: 'raw',
    title: raw.title,
    kernel: '6.8.0-test',
    channel: 'ringbuf',
    traffic: ['echo 0123456789 | ncat 127.0.0.1 16962   (no listener: SYN, then the kernel answers RST|ACK)'],
    tools: null,
    original: { status: 'reproduced', differences: [] },
  });
  t.equal(s.kernel_view.lost, 0);
  const [syn, rst] = s.kernel_view.packets;
  t.same(Object.keys(syn).sort(), [
    'captured', 'direction', 'hex', 'ifindex', 'length', 'masked', 'payload_length', 'payload_offset', 'pkt_type', 'protocol',
    'starts_with', 'summary', 'tcp_flags',
  ]);
  t.same(syn, {
    length: 60,
    captured: 60,
    starts_with: 'ipv4',
    tcp_flags: ['SYN'],
    payload_offset: 60,
    payload_length: 0,
    pkt_type: 'host',
    protocol: '0x0800',
    ifindex: 1,
    direction: 'to-server',
    summary: 'IPv4 127.0.0.1 → 127.0.0.1 | TCP * → 16962 [SYN] | payload 0 B',
    // ipv4.id, ipv4.checksum, tcp.src_port, seq, ack, checksum, TSval and TSecr zeroed.
    hex:
      '4500003c0000400040060000' + '7f0000017f000001' +
      '00004242' + '00000000' + '00000000' + 'a002ffd7' + '0000' + '0000' +
      '0204ffd7' + '0402' + '080a' + '00000000' + '00000000' + '01030307',
    masked: [
      { offset: 4, length: 2, field: 'ipv4.id' },
      { offset: 10, length: 2, field: 'ipv4.checksum' },
      { offset: 20, length: 2, field: 'tcp.src_port' },
      { offset: 24, length: 4, field: 'tcp.seq' },
      { offset: 28, length: 4, field: 'tcp.ack' },
      { offset: 36, length: 2, field: 'tcp.checksum' },
      { offset: 48, length: 4, field: 'tcp.timestamp_val' },
      { offset: 52, length: 4, field: 'tcp.timestamp_ecr' },
    ],
  });
  t.match(rst, { starts_with: 'ipv4', tcp_flags: ['RST', 'ACK'], pkt_type: 'loopback', protocol: null, ifindex: null });
  // RST|ACK from the server port: the destination port is the ephemeral one.
  t.same(rst.masked.map((m) => m.field), ['ipv4.id', 'ipv4.checksum', 'tcp.dst_port', 'tcp.seq', 'tcp.ack', 'tcp.checksum']);
  t.same(
    s.user_view.reads.map((r) => [r.length, r.found_in, r.hex, r.masked]),
    s.kernel_view.packets.map((p, i) => [p.length, { packet: i, offset: 0 }, p.hex, p.masked]),
  );
});
