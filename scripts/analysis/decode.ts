// Decodes one packet view (which may start at any layer, and may be truncated) into layers and fields.

import { TCP_FLAG_NAMES, type LayerName, type TcpFlag, type Transport } from '../vocabulary/layers.ts';

export interface Field {
  name: string;
  /** Absolute within the bytes given; sub-byte fields cover the whole bytes holding them. */
  offset: number;
  length: number;
  value: string | number;
}

export interface Layer {
  name: LayerName;
  offset: number;
  /** Header length ('payload': payload bytes present). */
  length: number;
  fields: Field[];
}

export interface Decoded {
  startsWith: LayerName;
  layers: Layer[];
  /** In TCP_FLAG_NAMES order; null when no TCP flags byte was captured. */
  tcpFlags: TcpFlag[] | null;
  payloadOffset: number;
  /** From the true packet length (bounded by the IP/UDP length fields), not just the bytes captured. */
  payloadLength: number;
  src: string | null;
  dst: string | null;
  srcPort: number | null;
  dstPort: number | null;
  ipProtocol: number | null;
  /** For ICMP errors (unreachable, time exceeded): the datagram they quote, offsets within these bytes. */
  quoted: Decoded | null;
}

const ETHERTYPES = new Map<number, LayerName>([[0x0800, 'ipv4'], [0x86dd, 'ipv6']]);
const IP_PROTOCOLS = new Map<number, LayerName>([[6, 'tcp'], [17, 'udp'], [1, 'icmp'], [58, 'icmp'], [132, 'sctp']]);
/** ICMP errors quote the packet at fault: v4 unreachable (3) and time exceeded (11), v6 unreachable (1), time exceeded (3). */
const ICMP_ERRORS = new Set([1, 3, 11]);
/** ICMP echo request/reply (v4 and v6): the only types whose identifier/sequence we expose. */
const ICMP_ECHO = new Set([0, 8, 128, 129]);

type Reader = ReturnType<typeof reader>;

function reader(b: Uint8Array) {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    b,
    has: (at: number, n: number) => at + n <= b.length,
    u8: (at: number) => v.getUint8(at),
    u16: (at: number) => v.getUint16(at),
    u32: (at: number) => v.getUint32(at),
    hex: (at: number, n: number, sep = '') =>
      Array.from(b.subarray(at, at + n), (x) => x.toString(16).padStart(2, '0')).join(sep),
  };
}

/** Field collector for a header at `base`: fields that run past the captured bytes are left out. */
function fieldsAt(r: Reader, base: number) {
  const list: Field[] = [];
  const add = (name: string, rel: number, length: number, value: (at: number) => string | number) => {
    const offset = base + rel;
    if (r.has(offset, length)) list.push({ name, offset, length, value: value(offset) });
  };
  return { list, add };
}

function fieldValue(layer: Layer | undefined, name: string): string | number | undefined {
  return layer?.fields.find((f) => f.name === name)?.value;
}

function num(layer: Layer | undefined, name: string): number | undefined {
  const v = fieldValue(layer, name);
  return typeof v === 'number' ? v : undefined;
}

function internetChecksumOk(b: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i] << 8) | b[i + 1]; // headers are whole 32-bit words
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

/** RFC 5952 text, as node prints socket addresses (v4-mapped in dotted form). */
function ipv6Text(r: Reader, at: number): string {
  const groups = Array.from({ length: 8 }, (_, i) => r.u16(at + 2 * i));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${Array.from(r.b.subarray(at + 12, at + 16)).join('.')}`;
  }
  let best = { start: -1, len: 1 }; // a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { start: i, len: j - i };
    i = j + 1;
  }
  const text = groups.map((g) => g.toString(16));
  if (best.start < 0) return text.join(':');
  return `${text.slice(0, best.start).join(':')}::${text.slice(best.start + best.len).join(':')}`;
}

/** An address as text: dotted IPv4, or RFC 5952 IPv6 (for map keys, which hold addresses too). */
export function addressText(bytes: Uint8Array, family: 4 | 6): string {
  return family === 4 ? Array.from(bytes.subarray(0, 4)).join('.') : ipv6Text(reader(bytes), 0);
}

/** Length of the IPv4 packet whose valid header starts at `at`, else null. */
function ipv4Length(r: Reader, at: number): number | null {
  if (!r.has(at, 20)) return null;
  const ihl = r.u8(at) & 0xf;
  if (r.u8(at) >> 4 !== 4 || ihl < 5 || !r.has(at, ihl * 4)) return null;
  return internetChecksumOk(r.b.subarray(at, at + ihl * 4)) ? r.u16(at + 2) : null;
}

function ipv6Length(r: Reader, at: number): number | null {
  return r.has(at, 8) && r.u8(at) >> 4 === 6 ? r.u16(at + 4) + 40 : null;
}

function detect(r: Reader, total: number, transport: Transport): LayerName {
  if (r.has(0, 14)) {
    const ip = ETHERTYPES.get(r.u16(12));
    const ipLen = ip === 'ipv4' ? ipv4Length(r, 14) : ip === 'ipv6' ? ipv6Length(r, 14) : null;
    // <= rather than ==: a NIC may pad short frames.
    if (ipLen !== null && ipLen <= total - 14) return 'ethernet';
  }
  if (ipv4Length(r, 0) === total) return 'ipv4';
  if (ipv6Length(r, 0) === total) return 'ipv6';
  const fits: Record<Transport, boolean> = {
    tcp: r.has(0, 13) && r.u8(12) >> 4 >= 5 && (r.u8(12) >> 4) * 4 <= total,
    udp: r.has(0, 6) && r.u16(4) === total,
    icmp: total >= 8,
    sctp: total >= 12,
  };
  return fits[transport] ? transport : 'payload';
}

function ethernet(r: Reader, at: number): Layer {
  const f = fieldsAt(r, at);
  f.add('dst_mac', 0, 6, (o) => r.hex(o, 6, ':'));
  f.add('src_mac', 6, 6, (o) => r.hex(o, 6, ':'));
  f.add('ethertype', 12, 2, r.u16);
  return { name: 'ethernet', offset: at, length: 14, fields: f.list };
}

function ipv4(r: Reader, at: number): Layer {
  const f = fieldsAt(r, at);
  const dotted = (o: number) => Array.from(r.b.subarray(o, o + 4)).join('.');
  f.add('version', 0, 1, (o) => r.u8(o) >> 4);
  f.add('ihl', 0, 1, (o) => r.u8(o) & 0xf);
  f.add('tos', 1, 1, r.u8);
  f.add('total_length', 2, 2, r.u16);
  f.add('id', 4, 2, r.u16);
  f.add('flags', 6, 1, (o) => r.u8(o) >> 5);
  f.add('fragment_offset', 6, 2, (o) => r.u16(o) & 0x1fff);
  f.add('ttl', 8, 1, r.u8);
  f.add('protocol', 9, 1, r.u8);
  f.add('checksum', 10, 2, r.u16);
  f.add('src', 12, 4, dotted);
  f.add('dst', 16, 4, dotted);
  return { name: 'ipv4', offset: at, length: (r.u8(at) & 0xf) * 4, fields: f.list };
}

function ipv6(r: Reader, at: number): Layer {
  const f = fieldsAt(r, at);
  f.add('version', 0, 1, (o) => r.u8(o) >> 4);
  f.add('traffic_class', 0, 2, (o) => (r.u16(o) >> 4) & 0xff);
  f.add('flow_label', 1, 3, (o) => r.u32(o - 1) & 0xfffff);
  f.add('payload_length', 4, 2, r.u16);
  f.add('next_header', 6, 1, r.u8);
  f.add('hop_limit', 7, 1, r.u8);
  f.add('src', 8, 16, (o) => ipv6Text(r, o));
  f.add('dst', 24, 16, (o) => ipv6Text(r, o));
  return { name: 'ipv6', offset: at, length: 40, fields: f.list };
}

function tcp(r: Reader, at: number): Layer {
  const f = fieldsAt(r, at);
  f.add('src_port', 0, 2, r.u16);
  f.add('dst_port', 2, 2, r.u16);
  f.add('seq', 4, 4, r.u32);
  f.add('ack', 8, 4, r.u32);
  f.add('data_offset', 12, 1, (o) => r.u8(o) >> 4);
  f.add('flags', 13, 1, r.u8);
  f.add('window', 14, 2, r.u16);
  f.add('checksum', 16, 2, r.u16);
  f.add('urgent', 18, 2, r.u16);
  const length = r.has(at + 12, 1) ? Math.max(20, (r.u8(at + 12) >> 4) * 4) : 20;
  // Options without data carry their kind as value.
  for (let o = 20; o < length && r.has(at + o, 1); ) {
    const kind = r.u8(at + o);
    if (kind === 0) {
      f.add('eol', o, 1, r.u8);
      break;
    }
    if (kind === 1) {
      f.add('nop', o, 1, r.u8);
      o += 1;
      continue;
    }
    const len = r.has(at + o + 1, 1) ? r.u8(at + o + 1) : 0;
    if (len < 2) break; // malformed or cut off: nothing more can be trusted
    if (kind === 2) f.add('mss', o + 2, 2, r.u16);
    else if (kind === 3) f.add('window_scale', o + 2, 1, r.u8);
    else if (kind === 4) f.add('sack_permitted', o, 2, r.u8);
    else if (kind === 5) for (let s = o + 2; s + 8 <= o + len; s += 8) f.add('sack', s, 8, (x) => `${r.u32(x)}-${r.u32(x + 4)}`);
    else if (kind === 8) {
      f.add('timestamp_val', o + 2, 4, r.u32);
      f.add('timestamp_ecr', o + 6, 4, r.u32);
    } else f.add(`option_${kind}`, o, len, (x) => r.hex(x, len));
    o += len;
  }
  return { name: 'tcp', offset: at, length, fields: f.list };
}

function udp(r: Reader, at: number): Layer {
  const f = fieldsAt(r, at);
  f.add('src_port', 0, 2, r.u16);
  f.add('dst_port', 2, 2, r.u16);
  f.add('length', 4, 2, r.u16);
  f.add('checksum', 6, 2, r.u16);
  return { name: 'udp', offset: at, length: 8, fields: f.list };
}

function icmp(r: Reader, at: number): Layer {
  const f = fieldsAt(r, at);
  f.add('type', 0, 1, r.u8);
  f.add('code', 1, 1, r.u8);
  f.add('checksum', 2, 2, r.u16);
  if (r.has(at, 1) && ICMP_ECHO.has(r.u8(at))) {
    f.add('identifier', 4, 2, r.u16);
    f.add('sequence', 6, 2, r.u16);
  }
  return { name: 'icmp', offset: at, length: 8, fields: f.list };
}

function sctp(r: Reader, at: number): Layer {
  const f = fieldsAt(r, at);
  f.add('src_port', 0, 2, r.u16);
  f.add('dst_port', 2, 2, r.u16);
  f.add('verification_tag', 4, 4, r.u32);
  f.add('checksum', 8, 4, r.u32);
  return { name: 'sctp', offset: at, length: 12, fields: f.list };
}

const DECODERS: Record<Exclude<LayerName, 'payload'>, (r: Reader, at: number) => Layer> = { ethernet, ipv4, ipv6, tcp, udp, icmp, sctp };

/** The layer after `l`, and where the packet ends according to `l`'s length field (if it has one). */
function following(l: Layer, end: number): [LayerName, number] {
  const lookup = (m: Map<number, LayerName>, k: number | undefined) => (k === undefined ? undefined : m.get(k)) ?? 'payload';
  const bound = (len: number | undefined) => Math.min(end, l.offset + (len ?? Infinity));
  switch (l.name) {
    case 'ethernet':
      return [lookup(ETHERTYPES, num(l, 'ethertype')), end];
    case 'ipv4': // a non-first fragment carries no transport header
      return [num(l, 'fragment_offset') === 0 ? lookup(IP_PROTOCOLS, num(l, 'protocol')) : 'payload', bound(num(l, 'total_length'))];
    case 'ipv6': {
      const payload = num(l, 'payload_length');
      return [lookup(IP_PROTOCOLS, num(l, 'next_header')), bound(payload === undefined ? undefined : payload + 40)];
    }
    case 'udp':
      return ['payload', bound(num(l, 'length'))];
    default:
      return ['payload', end];
  }
}

/** `startsWith` skips detection: for bytes already decoded once whose checksums were since masked (summary.json). */
export function decode(bytes: Uint8Array, opts: { length?: number } & ({ transport: Transport } | { startsWith: LayerName })): Decoded {
  const r = reader(bytes);
  let end = opts.length ?? bytes.length;
  const startsWith = 'startsWith' in opts ? opts.startsWith : detect(r, end, opts.transport);
  const layers: Layer[] = [];
  let at = 0;
  for (let next = startsWith; next !== 'payload'; ) {
    const l = DECODERS[next](r, at);
    layers.push(l);
    at += l.length;
    [next, end] = following(l, end);
  }
  layers.push({ name: 'payload', offset: at, length: Math.max(0, Math.min(bytes.length, end) - at), fields: [] });

  const ip = layers.find((l) => l.name === 'ipv4' || l.name === 'ipv6');
  const transport = layers.find((l) => l.name === 'tcp' || l.name === 'udp' || l.name === 'sctp');
  const tcpByte = num(layers.find((l) => l.name === 'tcp'), 'flags');
  const text = (name: string) => (fieldValue(ip, name) as string | undefined) ?? null;
  return {
    startsWith,
    layers,
    tcpFlags: tcpByte === undefined ? null : TCP_FLAG_NAMES.filter((_, bit) => tcpByte & (1 << bit)),
    payloadOffset: at,
    payloadLength: Math.max(0, end - at),
    src: text('src'),
    dst: text('dst'),
    srcPort: num(transport, 'src_port') ?? null,
    dstPort: num(transport, 'dst_port') ?? null,
    ipProtocol: num(ip, 'protocol') ?? num(ip, 'next_header') ?? null,
    quoted: quotedDatagram(bytes, layers, at),
  };
}

/** Decodes what an ICMP error quotes (an IP header and the start of its payload), shifted to `at`. */
function quotedDatagram(bytes: Uint8Array, layers: Layer[], at: number): Decoded | null {
  const icmp = layers.find((l) => l.name === 'icmp');
  if (!icmp || !ICMP_ERRORS.has(num(icmp, 'type') ?? -1) || at >= bytes.length) return null;
  const inner = bytes.subarray(at);
  // An ICMP error always quotes an IP header, so its version says which; not its checksum, which a quote
  // re-read from summary.json has zeroed. The quote may be cut short: its own length bounds it.
  const version = inner.length >= 20 ? inner[0] >> 4 : 0;
  if (version !== 4 && version !== 6) return null;
  const total = version === 4 ? (inner[2] << 8) | inner[3] : ((inner[4] << 8) | inner[5]) + 40;
  return shifted(decode(inner, { startsWith: version === 4 ? 'ipv4' : 'ipv6', length: total }), at);
}

function shifted(d: Decoded, by: number): Decoded {
  return {
    ...d,
    layers: d.layers.map((l) => ({ ...l, offset: l.offset + by, fields: l.fields.map((f) => ({ ...f, offset: f.offset + by })) })),
    payloadOffset: d.payloadOffset + by,
    quoted: d.quoted && shifted(d.quoted, by),
  };
}

/** One line per packet; ports outside `knownPorts` print as `*` so the text is the same on every run. */
export function describe(d: Decoded, opts: { knownPorts: number[] }): string {
  const port = (p: number | null) => (p === null ? '?' : opts.knownPorts.includes(p) ? String(p) : '*');
  const parts = d.layers.map((l) => {
    const v = (name: string) => fieldValue(l, name) ?? '?';
    switch (l.name) {
      case 'ethernet':
        return `Ethernet ${v('src_mac')} → ${v('dst_mac')}`;
      case 'ipv4':
        return `IPv4 ${v('src')} → ${v('dst')}`;
      case 'ipv6':
        return `IPv6 ${v('src')} → ${v('dst')}`;
      case 'tcp':
        return `TCP ${port(d.srcPort)} → ${port(d.dstPort)}${d.tcpFlags ? ` [${d.tcpFlags.join(', ')}]` : ''}`;
      case 'udp':
        return `UDP ${port(d.srcPort)} → ${port(d.dstPort)}`;
      case 'sctp':
        return `SCTP ${port(d.srcPort)} → ${port(d.dstPort)}`;
      case 'icmp':
        return `ICMP type ${v('type')} code ${v('code')}`;
      case 'payload':
        return `payload ${d.payloadLength} B${l.length < d.payloadLength ? ` (${l.length} B captured)` : ''}`;
    }
  });
  return parts.join(' | ');
}
