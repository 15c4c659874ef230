// The pcapng writer, read back block by block: framing, link types per view, comments, flags, determinism.
import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_DIR } from '../../../scripts/support/paths.ts';
import type { LayerName } from '../../../scripts/vocabulary/layers.ts';
import type { Summary, SummaryPacket, SummaryRead } from '../../../scripts/report/summary-json.ts';
import { kernelPcapng, pcapngChoice, userPcapng } from '../../../scripts/report/pcapng.ts';
import { ICMP_ECHO, PAYLOAD, PSH, SYN, SYN4, SYN6, UDP_ONLY, hex } from '../../fixtures/packets.ts';

const SHB = 0x0a0d0d0a;
const IDB = 1;
const EPB = 6;

interface Block {
  type: number;
  body: Buffer;
}

/** Splits a file into blocks, checking each one's framing; `problems` says what is wrong, if anything. */
function blocks(file: Buffer): { blocks: Block[]; problems: string[] } {
  const out: Block[] = [];
  const problems: string[] = [];
  for (let at = 0; at < file.length; ) {
    const type = file.readUInt32LE(at);
    const total = file.readUInt32LE(at + 4);
    if (total % 4 !== 0 || total < 12 || at + total > file.length) {
      problems.push(`block at ${at}: total length ${total}`);
      break;
    }
    if (file.readUInt32LE(at + total - 4) !== total) problems.push(`block at ${at}: trailing length differs from ${total}`);
    out.push({ type, body: file.subarray(at + 8, at + total - 4) });
    at += total;
  }
  return { blocks: out, problems };
}

/** Options from `at` to opt_endofopt, which must end the body: code → values. */
function options(body: Buffer, at: number): Map<number, Buffer[]> {
  const out = new Map<number, Buffer[]>();
  for (;;) {
    const code = body.readUInt16LE(at);
    const length = body.readUInt16LE(at + 2);
    if (code === 0) {
      if (at + 4 !== body.length) throw new Error(`opt_endofopt at ${at} is not the end of the block body (${body.length} B)`);
      return out;
    }
    out.set(code, [...(out.get(code) ?? []), body.subarray(at + 4, at + 4 + length)]);
    at += 4 + length + ((4 - (length % 4)) % 4);
  }
}

interface Packet {
  iface: number;
  timestamp: number;
  data: Buffer;
  length: number;
  comment: string;
  flags: number;
}

function read(file: Buffer) {
  const { blocks: list, problems } = blocks(file);
  const [shb, ...rest] = list;
  const interfaces = rest.filter((b) => b.type === IDB).map((b) => {
    const opts = options(b.body, 8);
    return { linkType: b.body.readUInt16LE(0), snaplen: b.body.readUInt32LE(4), name: String(opts.get(2)), description: String(opts.get(3)) };
  });
  const packets: Packet[] = rest.filter((b) => b.type === EPB).map(({ body }) => {
    const captured = body.readUInt32LE(12);
    const opts = options(body, 20 + captured + ((4 - (captured % 4)) % 4));
    return {
      iface: body.readUInt32LE(0),
      timestamp: body.readUInt32LE(4) * 2 ** 32 + body.readUInt32LE(8),
      data: body.subarray(20, 20 + captured),
      length: body.readUInt32LE(16),
      comment: String(opts.get(1)),
      flags: opts.get(2)![0].readUInt32LE(0),
    };
  });
  return { shb, shbOptions: options(shb.body, 16), types: list.map((b) => b.type), interfaces, packets, problems };
}

/** An exported PDU's header: the dissector it names and where the view's bytes start. */
function exportedPdu(data: Buffer): { dissector: string; header: number } {
  let dissector = '';
  for (let at = 0; ; ) {
    const [tag, length] = [data.readUInt16BE(at), data.readUInt16BE(at + 2)];
    if (tag === 0) return { dissector, header: at + 4 };
    if (tag === 12) dissector = data.toString('utf8', at + 4, at + 4 + length).replace(/\0+$/, '');
    at += 4 + length;
  }
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
const base = JSON.parse(readFileSync(join(RESULTS_DIR, 'tcp', 'summary.json'), 'utf8')) as Summary;

function packet(starts_with: LayerName, bytes: Uint8Array, more: Partial<SummaryPacket> = {}): SummaryPacket {
  return {
    length: bytes.length,
    captured: bytes.length,
    starts_with,
    tcp_flags: null,
    payload_offset: 0,
    payload_length: 0,
    pkt_type: 'host',
    protocol: '0x0800',
    ifindex: 1,
    direction: 'to-server',
    summary: `a ${starts_with} view`,
    hex: hexOf(bytes),
    masked: [],
    ...more,
  };
}

const ETHERNET = hex(`02 00 00 00 00 02 02 00 00 00 00 01 08 00 ${hexOf(SYN4).replace(/(..)/g, '$1 ')}`);
const SCTP = hex('9c 40 42 42 00 00 00 00 00 00 00 00 01 00 00 14 45 44 4c 31 00 01 00 00 00 0a 00 0a 00 00 00 01');
const summary = (packets: SummaryPacket[], reads: SummaryRead[] = [], observer: SummaryRead[] | null = null): Summary => ({
  ...base,
  kernel_view: { ...base.kernel_view, packets },
  user_view: { reads },
  observer_view: observer && { reads: observer },
});
/** A read as summary.json holds it. */
const readOf = (bytes: Uint8Array, found_in: SummaryRead['found_in'], more: Partial<SummaryRead> & Pick<SummaryRead, 'starts_with'>): SummaryRead =>
  ({ length: bytes.length, found_in, hex: hexOf(bytes), masked: [], ...more });

t.test('every committed result gives well-formed files', async (t) => {
  const kernels = join(RESULTS_DIR, 'kernels');
  const dirs = (d: string) => readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(d, e.name));
  const files = [...dirs(RESULTS_DIR), ...(existsSync(kernels) ? dirs(kernels).flatMap(dirs) : [])]
    .map((d) => join(d, 'summary.json'))
    .filter(existsSync);
  t.ok(files.length > 0);
  for (const file of files) {
    const s = JSON.parse(readFileSync(file, 'utf8')) as Summary;
    const k = read(kernelPcapng(s));
    const u = read(userPcapng(s));
    t.same([...k.problems, ...u.problems], [], file);
    t.equal(k.packets.length, s.kernel_view.packets.length, `${file}: one EPB per packet`);
    t.equal(u.packets.length, s.user_view.reads.length + (s.observer_view?.reads.length ?? 0), `${file}: one EPB per read`);
  }
});

t.test('section header', async (t) => {
  const f = read(kernelPcapng(summary([packet('tcp', SYN)])));
  t.equal(f.shb.type, SHB);
  t.equal(f.shb.body.readUInt32LE(0), 0x1a2b3c4d, 'byte-order magic');
  t.same([f.shb.body.readUInt16LE(4), f.shb.body.readUInt16LE(6)], [1, 0], 'version 1.0');
  t.equal(f.shb.body.readBigInt64LE(8), -1n, 'section length not given');
  t.equal(String(f.shbOptions.get(4)), 'ebpf-dump-lab', 'shb_userappl');
  t.equal(String(f.shbOptions.get(3)), base.kernel, 'shb_os is the kernel');
  const comment = String(f.shbOptions.get(1));
  t.match(comment, base.experiment);
  t.match(comment, /zeroed/);
  t.match(comment, /packet order/);
});

t.test('the link type follows where the view starts', async (t) => {
  const packets = [
    packet('ethernet', ETHERNET),
    packet('ipv4', SYN4),
    packet('ipv6', SYN6, { protocol: '0x86dd' }),
    packet('tcp', SYN),
    packet('udp', UDP_ONLY),
    packet('sctp', SCTP),
    packet('icmp', hex(ICMP_ECHO)),
    packet('icmp', hex(ICMP_ECHO), { protocol: '0x86dd' }),
    packet('ipv4', SYN4),
  ];
  const f = read(kernelPcapng(summary(packets)));
  t.same(f.types, [SHB, IDB, IDB, IDB, IDB, ...packets.map(() => EPB)], 'section, interfaces, packets');
  t.same(f.interfaces.map((i) => i.linkType), [1, 228, 229, 252], 'one interface per link type, in order of first use');
  t.same(f.packets.map((p) => p.iface), [0, 1, 2, 3, 3, 3, 3, 3, 1]);
  t.ok(f.interfaces.every((i) => i.snaplen === 1024 && i.name === `${base.program.name} (${base.hook})`));
  t.match(f.interfaces[3].description, /socket filter dump .*LINKTYPE_WIRESHARK_UPPER_PDU/);
  const dissectors = f.packets.slice(3, 8).map((p) => exportedPdu(p.data).dissector);
  t.same(dissectors, ['tcp', 'udp', 'sctp', 'icmp', 'icmpv6'], 'transport views are exported PDUs for their dissector');
  f.packets.forEach((p, i) => {
    const header = p.iface === 3 ? exportedPdu(p.data).header : 0;
    t.equal(p.data.subarray(header).toString('hex'), packets[i].hex, `packet ${i}: the view's bytes follow any exported-PDU header`);
    t.equal(header % 4, 0, `packet ${i}: the exported-PDU header is 32-bit aligned`);
    t.equal(p.timestamp, i, `packet ${i}: its timestamp is its index`);
  });
});

t.test('a record shorter than its packet keeps the original length', async (t) => {
  const f = read(kernelPcapng(summary([packet('tcp', PSH.subarray(0, 32), { length: 43 })])));
  const { header } = exportedPdu(f.packets[0].data);
  t.same([f.packets[0].data.length - header, f.packets[0].length - header], [32, 43]);
});

t.test('comments and epb_flags carry the hook and metadata', async (t) => {
  const packets = [
    packet('tcp', SYN, { pkt_type: 'outgoing' }),
    packet('tcp', SYN, { pkt_type: 'host', direction: 'from-server', ifindex: 7 }),
    packet('tcp', SYN, { pkt_type: null, direction: null }),
    packet('tcp', SYN, { pkt_type: 'broadcast' }),
  ];
  const f = read(kernelPcapng(summary(packets)));
  t.same(f.packets.map((p) => p.flags), [2, 0b101, 0, 0b1101], 'outbound; inbound unicast; unknown; inbound broadcast');
  t.equal(
    f.packets[1].comment,
    'packet 1 at socket (dump): pkt_type host, direction from-server, protocol 0x0800, ifindex 7, length 40, captured 40: a tcp view',
  );
  t.match(f.packets[2].comment, /pkt_type n\/a, direction unknown/);
  const masked = read(kernelPcapng(summary([packet('tcp', SYN, { masked: [{ offset: 0, length: 2, field: 'tcp.src_port' }] })])));
  t.match(masked.packets[0].comment, /; zeroed: tcp\.src_port$/);
  const egress = read(kernelPcapng({ ...summary([packet('ethernet', ETHERNET)]), hook: 'tc-egress' }));
  t.equal(egress.packets[0].flags, 2, 'at an egress hook pkt_type host is still outbound');
});

t.test("reads: the link type of the layer they start with (summary.json's starts_with)", async (t) => {
  const packets = [packet('ethernet', ETHERNET), packet('tcp', PSH), packet('ipv6', SYN6, { protocol: '0x86dd' })];
  const reads = [
    readOf(SYN4, { packet: 0, offset: 14 }, { starts_with: 'ipv4' }),
    readOf(hex(PAYLOAD), { packet: 1, offset: 32 }, { starts_with: 'payload' }),
    readOf(ETHERNET, null, { starts_with: 'ethernet', pkt_type: 'outgoing' }), // a packet socket's frame the program never saw
    readOf(hex(ICMP_ECHO), { packet: 2, offset: 40 }, { starts_with: 'icmp' }), // ICMPv6: the packet it was found in is IPv6
    readOf(hex(PAYLOAD), null, { starts_with: 'payload', pkt_type: 'host' }),
  ];
  const observer = [readOf(SYN4, { packet: 0, offset: 14 }, { starts_with: 'ipv4' })];
  const f = read(userPcapng(summary(packets, reads, observer)));
  t.same(f.problems, []);
  t.same(
    f.interfaces.map((i) => [i.name, i.linkType, i.snaplen]),
    [
      ['server recv()', 228, 0],
      ['server recv()', 252, 0],
      ['server recv()', 1, 0],
      ['observer recv()', 228, 0],
    ],
  );
  t.same(f.packets.map((p) => p.iface), [0, 1, 2, 1, 1, 3]);
  t.same([1, 3, 4].map((i) => exportedPdu(f.packets[i].data).dissector), ['data', 'icmpv6', 'data']);
  t.same(f.packets.map((p) => p.flags), [0, 0, 2, 0, 0b101, 0]);
  f.packets.forEach((p, i) => {
    const header = p.iface === 1 ? exportedPdu(p.data).header : 0;
    t.equal(p.data.subarray(header).toString('hex'), [...reads, ...observer][i].hex, `read ${i}: its bytes`);
    t.equal(p.length - header, [...reads, ...observer][i].length, `read ${i}: its length`);
  });
  t.equal(f.packets[0].comment, 'server recv() read 0: 60 B, pkt_type n/a, found in packet 0 at offset 14, starts at the IPv4 header');
  t.match(f.packets[1].comment, /found in packet 1 at offset 32, payload only$/);
  t.match(f.packets[2].comment, /pkt_type outgoing, not found in the program's view, starts at the Ethernet header$/);
  t.match(f.packets[5].comment, /^observer recv\(\) read 0/);
});

t.test('the same summary gives the same bytes', async (t) => {
  const s = summary([packet('ethernet', ETHERNET), packet('tcp', PSH)], [readOf(hex(PAYLOAD), { packet: 1, offset: 32 }, { starts_with: 'payload' })]);
  t.ok(kernelPcapng(s).equals(kernelPcapng(structuredClone(s))));
  t.ok(userPcapng(s).equals(userPcapng(JSON.parse(JSON.stringify(s)) as Summary)));
});

t.test('no packets and no reads: a section header alone', async (t) => {
  for (const file of [kernelPcapng(summary([])), userPcapng(summary([]))]) {
    const f = read(file);
    t.same(f.problems, []);
    t.same(f.types, [SHB]);
  }
  t.match(pcapngChoice(summary([])), /recorded no packets.*Nothing was read/);
});

t.test('pcapngChoice says which link types and why', async (t) => {
  const tcp = pcapngChoice(summary([packet('tcp', PSH)], [readOf(hex(PAYLOAD), { packet: 0, offset: 32 }, { starts_with: 'payload' })]));
  t.match(tcp, /^The program's view starts at the TCP header, which has no link type: .*\(LINKTYPE_WIRESHARK_UPPER_PDU, 252\) handed to its tcp/);
  t.match(tcp, /The server's reads are payload only, so .*data dissector/);
  const raw = pcapngChoice(summary([packet('ipv4', SYN4)], [], [readOf(SYN4, { packet: 0, offset: 0 }, { starts_with: 'ipv4' })]));
  t.match(raw, /starts at the IPv4 header: LINKTYPE_IPV4 \(228\)/);
  t.match(raw, /observer raw socket's on a second interface\) begin at the IPv4 header, so they are LINKTYPE_IPV4 \(228\)/);
  t.match(pcapngChoice(summary([packet('ethernet', ETHERNET)])), /Ethernet header: LINKTYPE_ETHERNET \(1\)/);
});
