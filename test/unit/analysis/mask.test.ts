import t from 'tap';
import { decode } from '../../../scripts/analysis/decode.ts';
import { applyMask, maskedRanges } from '../../../scripts/analysis/mask.ts';
import type { Transport } from '../../../scripts/vocabulary/layers.ts';
import { ICMP_ECHO, LO4, PAYLOAD, SYN4, SYN6, TCP_SYN, UDP_ONLY, hex, ipv4, known } from '../../fixtures/packets.ts';

const ranges = (b: Uint8Array, transport: Transport, length?: number) =>
  maskedRanges(decode(b, { transport, length }), known).map((r) => [r.field, r.offset, r.length]);

t.test('IPv4 SYN', async (t) => {
  t.same(ranges(SYN4, 'tcp'), [
    ['ipv4.id', 4, 2], ['ipv4.checksum', 10, 2],
    ['tcp.src_port', 20, 2], ['tcp.seq', 24, 4], ['tcp.ack', 28, 4], ['tcp.checksum', 36, 2],
    ['tcp.timestamp_val', 48, 4], ['tcp.timestamp_ecr', 52, 4],
  ]);
  // Known ports stay; with both known, only the run-dependent values go.
  t.notOk(maskedRanges(decode(SYN4, { transport: 'tcp' }), { knownPorts: [16962, 37760] }).some((r) => r.field.endsWith('_port')));
});

t.test('two SYNs from different runs mask to the same bytes', async (t) => {
  const other = ipv4(hex(`45 00 00 3c 11 11 40 00 40 06 00 00 ${LO4} ${TCP_SYN}`));
  other.set([0x88, 0x01], 20); // another ephemeral port
  other.set([0xde, 0xad, 0xbe, 0xef], 24); // another ISN
  other.set([0x12, 0x34], 36);
  other.set([0x00, 0x00, 0x00, 0x99], 48); // another clock
  const masked = (b: Uint8Array) => applyMask(b, maskedRanges(decode(b, { transport: 'tcp' }), known));
  t.not(Buffer.compare(SYN4, other), 0);
  t.same(masked(other), masked(SYN4));
  t.same(Array.from(masked(SYN4).subarray(0, 12)), [0x45, 0, 0, 0x3c, 0, 0, 0x40, 0, 0x40, 6, 0, 0]);
});

t.test('applyMask copies', async (t) => {
  const b = hex('01 02 03 04');
  const out = applyMask(b, [{ offset: 1, length: 2, field: 'x.y' }]);
  t.same(Array.from(out), [1, 0, 0, 4]);
  t.same(Array.from(b), [1, 2, 3, 4]);
});

t.test('IPv6 flow label', async (t) => {
  t.same(ranges(SYN6, 'tcp').slice(0, 2), [['ipv6.flow_label', 1, 3], ['tcp.src_port', 40, 2]]);
});

t.test('TCP-only FIN|ACK: SACK blocks are sequence numbers too', async (t) => {
  const fin = hex('93 80 42 42 1a 2b 3c 59 7c 11 22 33 80 11 02 00 fe 28 00 00 01 01 05 0a 1a 2b 3c 60 1a 2b 3c 70 01 01');
  t.same(ranges(fin, 'tcp'), [
    ['tcp.src_port', 0, 2], ['tcp.seq', 4, 4], ['tcp.ack', 8, 4], ['tcp.checksum', 16, 2], ['tcp.sack', 24, 8],
  ]);
});

t.test('UDP, SCTP, ICMP echo', async (t) => {
  t.same(ranges(UDP_ONLY, 'udp'), [['udp.src_port', 0, 2], ['udp.checksum', 6, 2]]);
  t.same(ranges(hex('42 42 9c 40 0a 0b 0c 0d 12 34 56 78 01 00 00 08 ca fe ba be'), 'sctp'), [
    ['sctp.dst_port', 2, 2], ['sctp.verification_tag', 4, 4], ['sctp.checksum', 8, 4],
  ]);
  // A ping socket's echo identifier plays the part of its port.
  t.same(ranges(hex(ICMP_ECHO), 'icmp'), [['icmp.checksum', 2, 2], ['icmp.identifier', 4, 2]]);
});

t.test('truncated capture: ranges stay within the bytes present', async (t) => {
  const cut = SYN4.subarray(0, 50);
  t.same(ranges(cut, 'tcp', 60).map(([f]) => f), ['ipv4.id', 'ipv4.checksum', 'tcp.src_port', 'tcp.seq', 'tcp.ack', 'tcp.checksum']);
  t.equal(applyMask(cut, maskedRanges(decode(cut, { transport: 'tcp', length: 60 }), known)).length, 50);
});

t.test('payload-only view masks nothing', async (t) => {
  t.same(ranges(hex(PAYLOAD), 'tcp'), []);
});
