// pcapng files (draft-ietf-opsawg-pcapng) of one experiment's program view and userspace reads, for Wireshark/tshark.
import { layerHeaderText, type LayerName } from '../vocabulary/layers.ts';
import { hookNamed, type HookName } from '../hooks/index.ts';
import { DUMP_CAPTURE_MAX } from '../vocabulary/record-layout.ts';
import { pktTypeText, type Summary, type SummaryRead } from './summary-json.ts';

/** How bytes are framed in the file: a LINKTYPE_*, plus the dissector an exported PDU hands them to. */
interface Link {
  type: number;
  dissector?: string;
  text: string;
}

const ETHERNET: Link = { type: 1, text: 'LINKTYPE_ETHERNET (1)' };
// Not LINKTYPE_RAW (101): the family is known, and tshark then starts at IP with no "Raw packet data" layer.
const IPV4: Link = { type: 228, text: 'LINKTYPE_IPV4 (228)' };
const IPV6: Link = { type: 229, text: 'LINKTYPE_IPV6 (229)' };
const UPPER_PDU = 252;
const upperPdu = (dissector: string): Link => ({
  type: UPPER_PDU,
  dissector,
  text: `Wireshark exported PDUs (LINKTYPE_WIRESHARK_UPPER_PDU, 252) handed to its ${dissector} dissector`,
});
/** Bytes shown as they are, with no protocol claimed for them. */
const DATA = upperPdu('data');


/** The link for bytes starting at `layer`; `protocol` (the skb's, 0x86dd for IPv6) tells ICMP from ICMPv6. */
function linkFor(layer: LayerName, protocol: string | null): Link {
  switch (layer) {
    case 'ethernet':
      return ETHERNET;
    case 'ipv4':
      return IPV4;
    case 'ipv6':
      return IPV6;
    case 'icmp':
      return upperPdu(protocol === '0x86dd' ? 'icmpv6' : 'icmp');
    case 'payload':
      return DATA;
    default: // tcp, udp, sctp: Wireshark's dissectors have these names
      return upperPdu(layer);
  }
}

// ---- blocks: little-endian, options and packet data padded to 32 bits ----

const pad4 = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
const utf8 = (s: string) => Buffer.from(s, 'utf8');

function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32LE(v, 4 * i));
  return b;
}

function option(code: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(code, 0);
  head.writeUInt16LE(value.length, 2);
  return Buffer.concat([head, value, pad4(value.length)]);
}

/** The options, then opt_endofopt. */
const options = (list: Buffer[]) => Buffer.concat([...list, Buffer.alloc(4)]);

/** Type, total length, body, total length again (so readers can walk backwards). */
function block(type: number, body: Buffer): Buffer {
  if (body.length % 4 !== 0) {
    throw new Error(`pcapng block 0x${type.toString(16)}: its body (${body.length} B) is not padded to 32 bits`);
  }
  return Buffer.concat([u32(type, 12 + body.length), body, u32(12 + body.length)]);
}

function sectionHeader(s: Summary, comment: string): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32LE(0x1a2b3c4d, 0); // byte-order magic
  head.writeUInt16LE(1, 4); // version 1.0
  head.writeBigInt64LE(-1n, 8); // section length: not given
  const opts = [option(1, utf8(comment)), option(3, utf8(s.kernel)), option(4, utf8('ebpf-dump-lab'))];
  return block(0x0a0d0d0a, Buffer.concat([head, options(opts)]));
}

interface Interface {
  name: string;
  description: string;
  snaplen: number;
}

function interfaceDescription(i: Interface, link: Link): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(link.type, 0);
  head.writeUInt32LE(i.snaplen, 4);
  const opts = [option(2, utf8(i.name)), option(3, utf8(`${i.description}; ${link.text}`))];
  return block(1, Buffer.concat([head, options(opts)]));
}

/** Big-endian TLVs: the dissector's name (EXP_PDU_TAG_DISSECTOR_NAME, NUL-terminated and padded), then end of tags. */
function exportedPduHeader(dissector: string): Buffer {
  const name = Buffer.concat([utf8(dissector), Buffer.alloc(4 - (dissector.length % 4))]);
  const tag = Buffer.alloc(4);
  tag.writeUInt16BE(12, 0);
  tag.writeUInt16BE(name.length, 2);
  return Buffer.concat([tag, name, Buffer.alloc(4)]);
}

interface Entry {
  who: Interface;
  link: Link;
  bytes: Buffer;
  /** Original length of what `bytes` were captured from. */
  length: number;
  comment: string;
  flags: number;
}

/** The timestamp is the index in µs (if_tsresol's default): the files keep packet order, not time. */
function enhancedPacket(e: Entry, iface: number, index: number): Buffer {
  const header = e.link.dissector === undefined ? Buffer.alloc(0) : exportedPduHeader(e.link.dissector);
  const data = Buffer.concat([header, e.bytes]);
  const opts = options([option(1, utf8(e.comment)), option(2, u32(e.flags))]);
  return block(6, Buffer.concat([u32(iface, 0, index, data.length, header.length + e.length), data, pad4(data.length), opts]));
}

/** epb_flags reception types (bits 2-4) of arriving pkt_types; PACKET_LOOPBACK (a multicast looped back) has none of its own. */
const RECEPTION = new Map([['host', 1], ['multicast', 2], ['broadcast', 3], ['otherhost', 4], ['loopback', 0]]);

/** epb_flags: direction in bits 0-1 (1 inbound, 2 outbound, 0 unknown), then the reception type. */
function epbFlags(pktType: string | null | undefined, hook: HookName | null): number {
  // Egress hooks see skb->pkt_type still at PACKET_HOST: there the hook, not pkt_type, says the packet is leaving.
  if (pktType === 'outgoing' || (hook !== null && hookNamed(hook).sees === 'egress')) return 2;
  const reception = pktType == null ? undefined : RECEPTION.get(pktType);
  return reception === undefined ? 0 : 1 | (reception << 2);
}

/** One IDB per (interface, link type) in order of first use, then the packets. */
function pcapng(s: Summary, comment: string, entries: Entry[]): Buffer {
  const idbs: Buffer[] = [];
  const ids = new Map<string, number>();
  const packets = entries.map((e, index) => {
    const key = `${e.who.name}\0${e.link.type}`;
    if (!ids.has(key)) ids.set(key, idbs.push(interfaceDescription(e.who, e.link)) - 1);
    return enhancedPacket(e, ids.get(key)!, index);
  });
  return Buffer.concat([sectionHeader(s, comment), ...idbs, ...packets]);
}

const fileComment = (s: Summary, what: string) =>
  `${s.experiment} (${s.overview.status}): ${what}, ${s.title}. Fields that vary between runs are zeroed here, so ` +
  'checksums, ephemeral ports and TCP sequence numbers read 0 (Wireshark\'s TCP sequence analysis then reports ' +
  'keep-alives and out-of-order segments that are not there, and the second copy of a packet seen twice, as an ' +
  'AF_PACKET socket on lo sees each one, as a retransmission: -o tcp.analyze_sequence_numbers:FALSE turns it off). ' +
  `${s.masking} ` +
  'Timestamps are the packet order (packet n at n µs after 1970-01-01 00:00:00 UTC), not the time of capture.';

const zeroed = (masked: { field: string }[]) => (masked.length === 0 ? '' : `; zeroed: ${masked.map((m) => m.field).join(', ')}`);

/** The program's view: every recorded packet, as summary.json holds it (run-varying fields zeroed). */
export function kernelPcapng(s: Summary): Buffer {
  const who = {
    name: `${s.program.name} (${s.hook})`,
    description: `${hookNamed(s.hook).programText} ${s.program.name} (${s.program.object}), ${s.title}: the bytes it recorded`,
    snaplen: DUMP_CAPTURE_MAX,
  };
  const entries = s.kernel_view.packets.map((p, i) => ({
    who,
    link: linkFor(p.starts_with, p.protocol),
    bytes: Buffer.from(p.hex, 'hex'),
    length: p.length,
    flags: epbFlags(p.pkt_type, s.hook),
    comment:
      `packet ${i} at ${s.hook} (${s.program.name}): pkt_type ${pktTypeText(s, p) ?? 'n/a'}, direction ${p.direction ?? 'unknown'}, ` +
      `protocol ${p.protocol ?? 'n/a'}, ifindex ${p.ifindex ?? 'n/a'}, length ${p.length}, captured ${p.captured}: ` +
      `${p.summary}${zeroed(p.masked)}`,
  }));
  return pcapng(s, fileComment(s, `what the ${hookNamed(s.hook).programText} ${s.program.name} saw`), entries);
}

/** A read's link: the layer it starts with, and for ICMP the skb protocol of the packet it was found in. */
function readLink(s: Summary, r: SummaryRead): Link {
  return linkFor(r.starts_with, r.found_in ? s.kernel_view.packets[r.found_in.packet].protocol : null);
}

function readWhere(r: SummaryRead): string {
  const where = !r.found_in
    ? "not found in the program's view"
    : r.length === 0
      ? `packet ${r.found_in.packet} cut to its first ${r.found_in.offset} B`
      : `found in packet ${r.found_in.packet} at offset ${r.found_in.offset}`;
  return `${where}, ${r.starts_with === 'payload' ? 'payload only' : `starts at the ${layerHeaderText[r.starts_with]}`}`;
}

/** What recv() returned: the server's reads, then the unfiltered observer's on interfaces of their own. */
export function userPcapng(s: Summary): Buffer {
  const server = { name: 'server recv()', description: `what recv() returned on the server's socket, ${s.title}`, snaplen: 0 };
  const observer = {
    name: 'observer recv()',
    description: "what recv() returned on the unfiltered observer raw socket beside the server's (no program attached)",
    snaplen: 0,
  };
  const entries = (who: Interface, reads: SummaryRead[]) =>
    reads.map((r, i) => ({
      who,
      link: readLink(s, r),
      bytes: Buffer.from(r.hex, 'hex'),
      length: r.length,
      flags: epbFlags(r.pkt_type, null),
      comment: `${who.name} read ${i}: ${r.length} B, pkt_type ${r.pkt_type ?? 'n/a'}, ${readWhere(r)}${zeroed(r.masked)}`,
    }));
  return pcapng(s, fileComment(s, 'what recv() returned'), [
    ...entries(server, s.user_view.reads),
    ...entries(observer, s.observer_view?.reads ?? []),
  ]);
}

const distinct = <T>(xs: T[]) => [...new Set(xs)];

function viewChoice(layer: LayerName, link: Link): string {
  if (link.type !== UPPER_PDU) return `the ${layerHeaderText[layer]}: ${link.text}`;
  return (
    `the ${layerHeaderText[layer]}, which has no link type: its packets are ${link.text}, ` +
    'which decodes exactly the bytes the program saw, with no IP layer or addresses made up'
  );
}

function readChoice(s: Summary, r: SummaryRead): string {
  if (r.starts_with !== 'payload') return `begin at the ${layerHeaderText[r.starts_with]}, so they are ${readLink(s, r).text}`;
  return `are payload only, so they are ${DATA.text}, which shows the bytes as they are`;
}

/** One or two sentences for the report: the link types chosen, and why. */
export function pcapngChoice(s: Summary): string {
  const starts = distinct(s.kernel_view.packets.map((p) => p.starts_with));
  const kernel =
    starts.length === 0
      ? 'The program recorded no packets, so its pcapng file holds a section header and nothing else.'
      : `The program's view starts at ${starts
          .map((l) => viewChoice(l, linkFor(l, s.kernel_view.packets.find((p) => p.starts_with === l)!.protocol)))
          .join('; or at ')}.`;
  const reads = [...s.user_view.reads, ...(s.observer_view?.reads ?? [])];
  const who = s.observer_view
    ? "The reads (the server's, and the unfiltered observer raw socket's on a second interface)"
    : "The server's reads";
  const choices = distinct(reads.map((r) => readChoice(s, r))).join('; others ');
  const user = reads.length === 0 ? 'Nothing was read, so the reads file holds no packets.' : `${who} ${choices}.`;
  return `${kernel} ${user}`;
}
