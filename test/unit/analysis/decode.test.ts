import t from 'tap';
import { decode, describe } from '../../../scripts/analysis/decode.ts';
import type { Transport } from '../../../scripts/vocabulary/layers.ts';
import {
  FIN, ICMP_ECHO, LO4, LO6, PAYLOAD, PSH, RST4, SYN4, SYN6, TCP_PSH_ACK, TCP_RST_ACK, UDP, UDP_ONLY, hex, ipv4, known,
} from '../../fixtures/packets.ts';

const UDP4 = ipv4(hex(`45 00 00 27 8f 01 40 00 40 11 00 00 ${LO4} ${UDP}`));
const ETH_RST4 = ipv4(hex(`00 00 00 00 00 00 00 00 00 00 00 00 08 00 45 00 00 28 00 00 40 00 40 06 00 00 ${LO4} ${TCP_RST_ACK}`), 14);
const PSH4 = ipv4(hex(`45 00 00 3f 5d 2f 40 00 40 06 00 00 ${LO4} ${TCP_PSH_ACK} ${PAYLOAD}`));

const names = (b: Uint8Array, transport: Transport, length?: number) =>
  decode(b, { transport, length }).layers.map((l) => [l.name, l.offset, l.length]);
const fields = (b: Uint8Array, transport: Transport, layer: string) =>
  Object.fromEntries(decode(b, { transport }).layers.find((l) => l.name === layer)!.fields.map((f) => [f.name, f.value]));

t.test('IPv4 SYN with options', async (t) => {
  t.equal(SYN4.length, 60);
  const d = decode(SYN4, { transport: 'tcp' });
  t.equal(d.startsWith, 'ipv4');
  t.same(names(SYN4, 'tcp'), [['ipv4', 0, 20], ['tcp', 20, 40], ['payload', 60, 0]]);
  t.same(d.tcpFlags, ['SYN']);
  t.match(d, { payloadOffset: 60, payloadLength: 0, src: '127.0.0.1', dst: '127.0.0.1', srcPort: 37760, dstPort: 16962, ipProtocol: 6 });
  t.same(fields(SYN4, 'tcp', 'ipv4'), {
    version: 4, ihl: 5, tos: 0, total_length: 60, id: 0x5d2e, flags: 2, fragment_offset: 0, ttl: 64, protocol: 6,
    checksum: (SYN4[10] << 8) | SYN4[11], src: '127.0.0.1', dst: '127.0.0.1',
  });
  const tcp = d.layers[1].fields.map((f) => [f.name, f.offset, f.length, f.value]);
  t.same(tcp, [
    ['src_port', 20, 2, 37760], ['dst_port', 22, 2, 16962], ['seq', 24, 4, 0x1a2b3c4d], ['ack', 28, 4, 0],
    ['data_offset', 32, 1, 10], ['flags', 33, 1, 0x02], ['window', 34, 2, 65495], ['checksum', 36, 2, 0xfe30], ['urgent', 38, 2, 0],
    ['mss', 42, 2, 65495], ['sack_permitted', 44, 2, 4], ['timestamp_val', 48, 4, 0x9abcdef0], ['timestamp_ecr', 52, 4, 0],
    ['nop', 56, 1, 1], ['window_scale', 59, 1, 7],
  ]);
  t.equal(describe(d, known), 'IPv4 127.0.0.1 → 127.0.0.1 | TCP * → 16962 [SYN] | payload 0 B');
});

t.test('IPv4 RST|ACK', async (t) => {
  const d = decode(RST4, { transport: 'tcp' });
  t.same(names(RST4, 'tcp'), [['ipv4', 0, 20], ['tcp', 20, 20], ['payload', 40, 0]]);
  t.same(d.tcpFlags, ['RST', 'ACK']);
  t.equal(describe(d, known), 'IPv4 127.0.0.1 → 127.0.0.1 | TCP 16962 → * [RST, ACK] | payload 0 B');
});

t.test('views that start at TCP', async (t) => {
  const fin = decode(FIN, { transport: 'tcp' });
  t.equal(fin.startsWith, 'tcp');
  t.same(names(FIN, 'tcp'), [['tcp', 0, 32], ['payload', 32, 0]]);
  t.same(fin.tcpFlags, ['FIN', 'ACK']);
  t.match(fin, { src: null, dst: null, ipProtocol: null, srcPort: 37760, dstPort: 16962 });
  t.match(fields(FIN, 'tcp', 'tcp'), { timestamp_val: 0x9abcdef5, timestamp_ecr: 0x9abcdef4, nop: 1 });
  t.equal(describe(fin, known), 'TCP * → 16962 [FIN, ACK] | payload 0 B');

  const psh = decode(PSH, { transport: 'tcp' });
  t.equal(PSH.length, 43);
  t.same(names(PSH, 'tcp'), [['tcp', 0, 32], ['payload', 32, 11]]);
  t.match(psh, { payloadOffset: 32, payloadLength: 11, tcpFlags: ['PSH', 'ACK'] });
  t.equal(describe(psh, known), 'TCP * → 16962 [PSH, ACK] | payload 11 B');
  t.equal(describe(psh, { knownPorts: [16962, 37760] }), 'TCP 37760 → 16962 [PSH, ACK] | payload 11 B');
});

t.test('UDP, with and without IPv4', async (t) => {
  const u = decode(UDP_ONLY, { transport: 'udp' });
  t.equal(u.startsWith, 'udp');
  t.same(names(UDP_ONLY, 'udp'), [['udp', 0, 8], ['payload', 8, 11]]);
  t.same(fields(UDP_ONLY, 'udp', 'udp'), { src_port: 40000, dst_port: 16962, length: 19, checksum: 0xfe26 });
  t.equal(u.tcpFlags, null);
  t.equal(describe(u, known), 'UDP * → 16962 | payload 11 B');
  // The same bytes, read as if the experiment were TCP, have no plausible TCP header.
  t.equal(decode(UDP_ONLY, { transport: 'tcp' }).startsWith, 'payload');

  const d = decode(UDP4, { transport: 'udp' });
  t.same(names(UDP4, 'udp'), [['ipv4', 0, 20], ['udp', 20, 8], ['payload', 28, 11]]);
  t.match(d, { ipProtocol: 17, srcPort: 40000, dstPort: 16962, payloadOffset: 28, payloadLength: 11 });
  t.equal(describe(d, known), 'IPv4 127.0.0.1 → 127.0.0.1 | UDP * → 16962 | payload 11 B');
});

t.test('IPv6 SYN on ::1', async (t) => {
  const d = decode(SYN6, { transport: 'tcp' });
  t.equal(d.startsWith, 'ipv6');
  t.same(names(SYN6, 'tcp'), [['ipv6', 0, 40], ['tcp', 40, 40], ['payload', 80, 0]]);
  t.same(fields(SYN6, 'tcp', 'ipv6'), {
    version: 6, traffic_class: 0, flow_label: 0xabcde, payload_length: 40, next_header: 6, hop_limit: 64, src: '::1', dst: '::1',
  });
  t.match(d, { ipProtocol: 6, tcpFlags: ['SYN'] });
  t.equal(describe(d, known), 'IPv6 ::1 → ::1 | TCP * → 16962 [SYN] | payload 0 B');
});

t.test('IPv6 address text', async (t) => {
  const text = (addr: string) => {
    const b = hex(`60 00 00 00 00 00 3b 40 ${addr} ${LO6}`);
    return decode(b, { transport: 'tcp' }).src;
  };
  t.equal(text('20 01 0d b8 00 00 00 00 00 01 00 00 00 00 00 01'), '2001:db8::1:0:0:1');
  t.equal(text('20 01 0d b8 00 00 00 01 00 01 00 01 00 01 00 01'), '2001:db8:0:1:1:1:1:1');
  t.equal(text('00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00'), '::');
  t.equal(text('fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00'), 'fe80::');
  t.equal(text('00 00 00 00 00 00 00 00 00 00 ff ff 7f 00 00 01'), '::ffff:127.0.0.1');
});

t.test('Ethernet with the zero MACs of lo', async (t) => {
  const d = decode(ETH_RST4, { transport: 'tcp' });
  t.equal(d.startsWith, 'ethernet');
  t.same(names(ETH_RST4, 'tcp'), [['ethernet', 0, 14], ['ipv4', 14, 20], ['tcp', 34, 20], ['payload', 54, 0]]);
  t.same(fields(ETH_RST4, 'tcp', 'ethernet'), { dst_mac: '00:00:00:00:00:00', src_mac: '00:00:00:00:00:00', ethertype: 0x0800 });
  t.equal(
    describe(d, known),
    'Ethernet 00:00:00:00:00:00 → 00:00:00:00:00:00 | IPv4 127.0.0.1 → 127.0.0.1 | TCP 16962 → * [RST, ACK] | payload 0 B',
  );
  // Padding a NIC adds to a short frame is not payload.
  const padded = new Uint8Array(60);
  padded.set(ETH_RST4);
  t.match(decode(padded, { transport: 'tcp' }), { startsWith: 'ethernet', payloadOffset: 54, payloadLength: 0 });
});

t.test('truncated capture', async (t) => {
  t.equal(PSH4.length, 63);
  // Cut inside the timestamp option: TSecr is not there, so it is not a field.
  const cut = decode(PSH4.subarray(0, 48), { transport: 'tcp', length: 63 });
  t.equal(cut.startsWith, 'ipv4');
  t.same(names(PSH4.subarray(0, 48), 'tcp', 63), [['ipv4', 0, 20], ['tcp', 20, 32], ['payload', 52, 0]]);
  t.same(cut.layers[1].fields.slice(-3).map((f) => f.name), ['nop', 'nop', 'timestamp_val']);
  t.match(cut, { payloadOffset: 52, payloadLength: 11, tcpFlags: ['PSH', 'ACK'] });
  t.equal(describe(cut, known), 'IPv4 127.0.0.1 → 127.0.0.1 | TCP * → 16962 [PSH, ACK] | payload 11 B (0 B captured)');

  const some = decode(PSH4.subarray(0, 56), { transport: 'tcp', length: 63 });
  t.same(some.layers.at(-1), { name: 'payload', offset: 52, length: 4, fields: [] });
  t.equal(describe(some, known), 'IPv4 127.0.0.1 → 127.0.0.1 | TCP * → 16962 [PSH, ACK] | payload 11 B (4 B captured)');

  // Without the true length, a cut IPv4 packet does not match its own total length (its bytes 12-13
  // then happen to pass for a TCP data offset).
  t.equal(decode(PSH4.subarray(0, 48), { transport: 'tcp' }).startsWith, 'tcp');
  // A capture ending before the TCP flags byte.
  t.match(decode(PSH4.subarray(0, 30), { transport: 'tcp', length: 63 }), { startsWith: 'ipv4', tcpFlags: null, srcPort: 37760, dstPort: 16962 });
});

t.test('IPv4 header checksum decides', async (t) => {
  const bad = RST4.slice();
  bad[11] ^= 1;
  t.equal(decode(RST4, { transport: 'udp' }).startsWith, 'ipv4');
  t.equal(decode(bad, { transport: 'udp' }).startsWith, 'payload');
});

t.test('ICMP and SCTP under IPv4', async (t) => {
  const echo = ipv4(hex(`45 00 00 1c 12 34 40 00 40 01 00 00 ${LO4} ${ICMP_ECHO}`));
  const i = decode(echo, { transport: 'icmp' });
  t.same(names(echo, 'icmp'), [['ipv4', 0, 20], ['icmp', 20, 8], ['payload', 28, 0]]);
  t.same(fields(echo, 'icmp', 'icmp'), { type: 8, code: 0, checksum: 0xf7fe, identifier: 1, sequence: 0 });
  t.equal(describe(i, known), 'IPv4 127.0.0.1 → 127.0.0.1 | ICMP type 8 code 0 | payload 0 B');

  const sctp = ipv4(hex(`45 02 00 28 00 00 40 00 40 84 00 00 ${LO4} 9c 40 42 42 00 00 00 00 12 34 56 78 01 00 00 08 ca fe ba be`));
  const s = decode(sctp, { transport: 'sctp' });
  t.same(names(sctp, 'sctp'), [['ipv4', 0, 20], ['sctp', 20, 12], ['payload', 32, 8]]);
  t.match(s, { ipProtocol: 132, srcPort: 40000, dstPort: 16962 });
  t.equal(describe(s, known), 'IPv4 127.0.0.1 → 127.0.0.1 | SCTP * → 16962 | payload 8 B');
});

t.test('payload-only and garbage views', async (t) => {
  const p = hex(PAYLOAD);
  for (const transport of ['tcp', 'udp'] as const) {
    const d = decode(p, { transport });
    t.match(d, { startsWith: 'payload', payloadOffset: 0, payloadLength: 11, tcpFlags: null, src: null, srcPort: null });
    t.equal(describe(d, known), 'payload 11 B');
  }
  t.equal(describe(decode(new Uint8Array(0), { transport: 'tcp' }), known), 'payload 0 B');
  t.same(names(hex('de ad be ef 00'), 'sctp'), [['payload', 0, 5]]);
});

t.test('never throws on short or mangled input', async (t) => {
  let seed = 42;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
  const bases = [SYN4, RST4, FIN, PSH, UDP_ONLY, UDP4, SYN6, ETH_RST4, PSH4];
  let failures = 0;
  for (let i = 0; i < 5000; i++) {
    const base = rand(4) ? bases[rand(bases.length)] : Uint8Array.from({ length: rand(80) }, () => rand(256));
    const b = base.slice(0, rand(base.length + 1));
    // Mangle past the IP header so the IP layer still validates and the transport decoder sees garbage.
    for (let k = rand(4); k > 0 && b.length > 34; k--) b[34 + rand(b.length - 34)] = rand(256);
    const transport = (['tcp', 'udp', 'sctp', 'icmp'] as const)[rand(4)];
    try {
      const d = decode(b, { transport, length: base.length });
      describe(d, known);
      for (const l of d.layers) for (const f of l.fields) if (f.offset + f.length > b.length) failures++;
    } catch {
      failures++;
    }
  }
  t.equal(failures, 0);
});
