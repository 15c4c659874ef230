// Hostile variants of the logs `npm run import` reads, for import-fuzz.test.ts. Each base is a scenario (the
// packets and reads of one experiment, from test/fixtures/packets.ts) written in one of the five formats the
// importer accepts; each mutation damages it in one way and says what a faithful importer must do with the
// result: import exactly these packets and reads, or refuse naming one of these lines (or either, where the
// bytes decide, e.g. a changed length that may or may not still decode as the experiment's view).
// Everything is drawn from a PRNG seeded by (seed, case id), so one case can be rerun alone.
import type { KernelPacket, UserRead } from '../../../../scripts/vocabulary/observations.ts';
import { ACK, FIN, PAYLOAD, PSH, RST4, SYN, SYN4, TCP_ACK, TCP_PSH_ACK, TCP_SYN, UDP_ONLY, ascii, hex, ipv4 } from '../../../fixtures/packets.ts';

// ---------- deterministic randomness ----------

export interface Rng {
  next(): number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

/** mulberry32: small, fast, and the same sequence on every machine. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (xs) => xs[int(xs.length)], chance: (p) => next() < p };
}

/** FNV-1a: a case's own seed from the run's seed and its id. */
function hash(seed: number, text: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

// ---------- scenarios: what the filter saw and the server read ----------

const STUDY_CAPTURE = 128;
const HARNESS_CAPTURE = 1024;
const PKT_TYPE_UNKNOWN = 0xffffffff;

/** A packet as the program saw it: its length and every byte a capture could have (at least what it did). */
interface Seen {
  length: number;
  bytes: Uint8Array;
  pktType: number | null; // null: the hook has none (XDP), printed as the record's "unknown"
  protocol: number;
  ifindex: number;
}

export interface Scenario {
  name: string;
  experiment: string;
  packets: Seen[];
  reads: Uint8Array[];
}

const ETH_LO = '00 00 00 00 00 00 00 00 00 00 00 00 08 00';
const ETH_VETH = '02 00 00 00 00 02 02 00 00 00 00 01 08 00';
const VETH4 = 'c6 12 00 01 c6 12 00 02'; // 198.18.0.1 → 198.18.0.2
const seen = (bytes: Uint8Array, meta: Partial<Seen> = {}): Seen => ({ length: bytes.length, bytes, pktType: 0, protocol: 0x0800, ifindex: 1, ...meta });
const ipTcp = (total: number, addrs: string, tcp: string) => `45 00 00 ${total.toString(16).padStart(2, '0')} 5d 2e 40 00 40 06 00 00 ${addrs} ${tcp}`;

function scenarios(): Scenario[] {
  const payload = hex(PAYLOAD);
  const frame = (eth: string, ip: Uint8Array) => {
    const b = hex(`${eth} ${Array.from(ip, (x) => x.toString(16).padStart(2, '0')).join(' ')}`);
    return ipv4(b, 14);
  };
  const veth = (tcp: string, len: number) => ipv4(hex(ipTcp(len, VETH4, tcp)));
  const [vSyn, vAck, vPsh] = [veth(TCP_SYN, 60), veth(TCP_ACK, 52), veth(`${TCP_PSH_ACK} ${PAYLOAD}`, 63)];
  // A data segment longer than both captures: 1500 B, of which the harness keeps 1024 and the study 128.
  const long = hex(`${TCP_PSH_ACK} ${Array.from({ length: 1468 }, (_, i) => ((i * 31 + 7) & 0xff).toString(16)).join(' ')}`);
  const syn4Frame = frame(ETH_LO, SYN4);
  const rst4Frame = frame(ETH_LO, RST4);
  return [
    { name: 'raw', experiment: 'raw', packets: [seen(SYN4), seen(RST4)], reads: [SYN4, RST4] },
    { name: 'tcp', experiment: 'tcp', packets: [seen(SYN), seen(ACK), seen(PSH), seen(FIN)], reads: [payload] },
    { name: 'udp', experiment: 'udp', packets: [seen(UDP_ONLY)], reads: [hex(ascii('hello world'))] },
    {
      name: 'packet',
      experiment: 'packet',
      packets: [seen(syn4Frame, { pktType: 4 }), seen(syn4Frame), seen(rst4Frame, { pktType: 4 }), seen(rst4Frame)],
      reads: [syn4Frame, syn4Frame, rst4Frame, rst4Frame],
    },
    {
      name: 'xdp',
      experiment: 'xdp',
      packets: [vSyn, vAck, vPsh].map((ip) => seen(frame(ETH_VETH, ip), { pktType: null, ifindex: 2 })),
      reads: [payload],
    },
    { name: 'cgroup', experiment: 'cgroup-ingress', packets: [vSyn, vAck, vPsh].map((ip) => seen(ip, { ifindex: 2 })), reads: [payload] },
    { name: 'tcp-long', experiment: 'tcp', packets: [seen(SYN), seen(ACK), seen(long)], reads: [long.subarray(32)] },
    // The dump stops at the end of the linear part: 32 of 43 bytes (not representable in the study's format).
    { name: 'kprobe', experiment: 'kprobe-tcp', packets: [{ ...seen(PSH), bytes: PSH.subarray(0, 32) }, seen(ACK), seen(FIN)], reads: [payload] },
  ];
}

/** Which experiments' views look alike (where a packet starts, and its transport): importing one's logs as
 *  another is faithful within a group, and must be refused across groups. Counter is not importable. */
export const VIEW_GROUPS: readonly (readonly string[])[] = [
  ['packet', 'xdp', 'xdp-sctp', 'tc-ingress', 'tc-egress'],
  ['raw', 'drop-raw', 'trim-raw', 'packet-dgram', 'cgroup-ingress', 'cgroup-egress'],
  ['tcp', 'tcp6', 'raw6', 'trim-tcp', 'drop-tcp', 'kprobe-tcp'],
  ['udp', 'udp6', 'trim-udp', 'drop-udp'],
];
const groupOf = (name: string) => VIEW_GROUPS.findIndex((g) => g.includes(name));
const IMPORTABLE = VIEW_GROUPS.flat();

// ---------- logs as lines that know what they are ----------

type Role = 'header' | 'meta' | 'byte' | 'blank' | 'noise';

/** One line: trace_pipe's prefix, the edl key, the message; or raw bytes (binary noise). `item` is the packet
 *  (kernel log) or read (user log) it belongs to. */
interface Line {
  trace: string;
  key: string;
  body: string;
  raw?: Buffer;
  item: number | null;
  role: Role;
  index?: number; // a byte line's byte index
}

interface Log {
  lines: Line[];
  eol: '\n' | '\r\n';
  final: boolean; // ends with a newline
  bom: boolean;
}

const lineBytes = (l: Line) => l.raw ?? Buffer.from(l.trace + l.key + l.body, 'utf8');
const lineText = (l: Line) => (l.raw ? l.raw.toString('utf8') : l.trace + l.key + l.body);

export function serialize(log: Log): Buffer {
  const eol = Buffer.from(log.eol);
  const parts: Buffer[] = log.bom ? [Buffer.from('\uFEFF')] : [];
  log.lines.forEach((l, i) => {
    parts.push(lineBytes(l));
    if (i < log.lines.length - 1 || log.final) parts.push(eol);
  });
  return Buffer.concat(parts);
}

const copy = (log: Log): Log => ({ ...log, lines: log.lines.map((l) => ({ ...l })) });
const isDump = (l: Line) => l.role === 'header' || l.role === 'meta' || l.role === 'byte';

// ---------- the five formats ----------

export type Format = 'study-trace' | 'study-bare' | 'ringbuf' | 'tagged-bare' | 'tagged-trace';
export const FORMATS: readonly Format[] = ['study-trace', 'study-bare', 'ringbuf', 'tagged-bare', 'tagged-trace'];
const tagged = (f: Format) => f === 'tagged-bare' || f === 'tagged-trace';
const study = (f: Format) => f === 'study-trace' || f === 'study-bare';

/** What a faithful import reports for a packet written in this format. */
function expectedPacket(p: Seen, format: Format): KernelPacket {
  if (study(format)) return { seq: 0, length: p.length, bytes: p.bytes.subarray(0, STUDY_CAPTURE), pktType: null, protocol: null, ifindex: null };
  return { seq: 0, length: p.length, bytes: p.bytes.subarray(0, HARNESS_CAPTURE), pktType: p.pktType, protocol: p.protocol, ifindex: p.ifindex };
}

const byteBody = (b: number, i: number) => `\tbyte[${i}]=0x${b.toString(16)}`;

/** The lines of one packet, without prefixes or keys. */
function packetLines(p: Seen, format: Format, item: number, pktTypeUnknownAsNumber: boolean): Line[] {
  const e = expectedPacket(p, format);
  const line = (role: Role, body: string, index?: number): Line => ({ trace: '', key: '', body, item, role, index });
  const out = [line('header', `Kernelspace: Received ${p.length} bytes, dumping`)];
  if (!study(format)) {
    const proto = `protocol=0x${p.protocol.toString(16).padStart(4, '0')}`;
    const pktType = p.pktType ?? (pktTypeUnknownAsNumber ? PKT_TYPE_UNKNOWN : null);
    out.push(line('meta', pktType === null ? proto : `pkt_type=${pktType} ${proto}`));
    out.push(line('meta', `ifindex=${p.ifindex} captured=${e.bytes.length}`));
  }
  e.bytes.forEach((b, i) => out.push(line('byte', byteBody(b, i), i)));
  return out;
}

const STUDY_PREFIX = (us: number) => `            ncat-12354 [000] ..s1  ${(3965.717345 + us / 1e6).toFixed(6)}: : `;
const MODERN_PREFIX = (cpu: number, us: number, tgid: boolean) =>
  `           ncat-812     ${tgid ? '(    812) ' : ''}[${String(cpu).padStart(3, '0')}] b..1.  ${(1234.56789 + us / 1e6).toFixed(6)}: bpf_trace_printk: `;
const keyOf = (tag: number, seq: number) => `edl${(((tag << 16) | (seq & 0xffff)) >>> 0).toString(16).padStart(8, '0')} `;

/** Another program's lines in a trace_pipe log. */
const STRANGERS = [
  'bpf_trace_printk: hello from another program',
  'sched_switch: prev_comm=sshd prev_pid=99 prev_prio=120',
  'bpf_trace_printk: edl-not-a-key Kernelspace: Received 9 bytes, dumping',
  'bpf_trace_printk: value=42 at offset 0x10',
];

/** Kernel lines of `packets` as `format` writes them; tagged formats use `tag`, and the trace format merges
 *  the packets' lines as two CPUs' buffers do and adds other programs' lines. */
function kernelLines(r: Rng, packets: Seen[], format: Format, tag: number, firstItem = 0): Line[] {
  const per = packets.map((p, i) => packetLines(p, format, firstItem + i, tagged(format)));
  let us = 0;
  if (study(format) || format === 'ringbuf') {
    return per.flatMap((lines, i) => {
      const blank: Line = { trace: '', key: '', body: '', item: firstItem + i, role: 'blank' };
      const all = [...lines, blank];
      if (format === 'study-trace') for (const l of all) l.trace = STUDY_PREFIX(us++);
      return all;
    });
  }
  per.forEach((lines, i) => {
    const cpu = i % 2;
    const seq = (cpu << 12) | i;
    for (const l of lines) l.key = keyOf(tag, seq);
  });
  if (format === 'tagged-bare') return per.flat();
  // tagged-trace: merge, keeping each packet's own order.
  // tagged-trace: merge, keeping each packet's own order, and the packets' headers in order (the parser lists
  // packets by their headers, and the expectations by scenario order).
  const queues = per.map((lines) => [...lines]);
  const out: Line[] = [];
  const tgid = r.chance(0.5);
  while (queues.some((q) => q.length)) {
    const live = queues.filter((q) => q.length);
    const started = live[0].length < per[queues.indexOf(live[0])].length;
    const l = (live.length > 1 && started && r.chance(0.3) ? live[1] : live[0]).shift()!;
    l.trace = MODERN_PREFIX(l.item! % 2, us++, tgid);
    out.push(l);
    if (r.chance(0.05)) out.push({ trace: `          <idle>-0       [002] d.s3.  ${(1234.5 + us / 1e6).toFixed(6)}: `, key: '', body: r.pick(STRANGERS), item: null, role: 'noise' });
  }
  return out;
}

function userLines(reads: Uint8Array[]): Line[] {
  return reads.flatMap((bytes, item) => [
    { trace: '', key: '', body: `Userspace: Received ${bytes.length} bytes, dumping`, item, role: 'header' as Role },
    ...Array.from(bytes, (b, i): Line => ({ trace: '', key: '', body: byteBody(b, i), item, role: 'byte', index: i })),
    { trace: '', key: '', body: '', item, role: 'blank' as Role },
  ]);
}

// ---------- cases ----------

export interface Expected {
  packets: KernelPacket[];
  reads: UserRead[];
}

/** What a faithful importer does: import exactly `valid`, or refuse naming one of `refused.lines` of that file
 *  ('any': some line). Both present: either is right, depending on how the bytes decode. */
export interface Expectation {
  valid?: Expected;
  refused?: { file: 'kernel' | 'user'; lines: number[] | 'any' };
}

export interface Case {
  /** "<scenario>/<format> <mutation>#<variant>": with the seed, enough to regenerate it alone. */
  id: string;
  mutation: string;
  detail: string;
  as: string;
  tag?: number;
  kernel: Buffer;
  user: Buffer;
  expect: Expectation;
}

interface Base {
  name: string;
  scenario: Scenario;
  format: Format;
  tag: number;
  kernel: Log;
  user: Log;
  expected: Expected;
}

function makeBase(r: Rng, scenario: Scenario, format: Format): Base | null {
  // The study's filter dumped the first 128 bytes: a packet whose capture stopped earlier cannot be written so.
  if (study(format) && scenario.packets.some((p) => p.bytes.length < Math.min(p.length, STUDY_CAPTURE))) return null;
  const tag = 1 + r.int(0xfffe);
  const log = (lines: Line[]): Log => ({ lines, eol: '\n', final: true, bom: false });
  return {
    name: `${scenario.name}/${format}`,
    scenario,
    format,
    tag,
    kernel: log(kernelLines(r, scenario.packets, format, tag)),
    user: log(userLines(scenario.reads)),
    expected: {
      packets: scenario.packets.map((p) => {
        const e = expectedPacket(p, format);
        return { ...e, pktType: e.pktType === PKT_TYPE_UNKNOWN ? null : e.pktType };
      }),
      reads: scenario.reads.map((bytes) => ({ bytes })),
    },
  };
}

/** What a mutation returns: the logs (unchanged where absent), arguments, and the expectation. */
interface Mutant {
  detail: string;
  kernel?: Log | Buffer;
  user?: Log | Buffer;
  as?: string;
  tag?: number;
  expect: Expectation;
}

type Mutation = (r: Rng, b: Base) => Mutant | null;

/** A line of one log cut short (not the last: a cut last line is 'cut-file'); a byte line keeps at most
 *  its "byte[i]=" part, so the cut always damages it. */
function truncateLine(side: 'kernel' | 'user'): Mutation {
  return (r, b) => {
    const i = r.pick(dumpLineIndexes(b[side]).filter((n) => n < b[side].lines.length - 1));
    const l = b[side].lines[i];
    const text = lineText(l);
    const at = r.int(l.role === 'byte' ? valueStart(l) : text.length);
    const log = withRaw(b[side], i, Buffer.from(text.slice(0, at), 'utf8'));
    return { detail: `line ${i + 1} cut to ${at} of ${text.length} characters`, [side]: log, expect: refused(side, blameAround(log, i, l.item)) };
  };
}

/** One log's file cut at a random byte. */
function cutFile(side: 'kernel' | 'user'): Mutation {
  return (r, b) => {
    const bytes = serialize(b[side]);
    const at = r.int(bytes.length);
    return { detail: `at byte ${at} of ${bytes.length}`, [side]: bytes.subarray(0, at), expect: cutExpectation(b, b[side], at, side) };
  };
}

const valid = (b: Base, change: Partial<Expected> = {}): Expectation => ({ valid: { ...b.expected, ...change } });
const refused = (file: 'kernel' | 'user', lines: number[] | 'any'): Expectation => ({ refused: { file, lines } });

// Line numbers (1-based) that a refusal about line `i` (0-based, after the mutation) may rightly name: the
// line itself, the rest of its packet (where the gap shows), the packet's header (where a short dump is
// reported) and the end of the file.
function blameAround(log: Log, i: number, item: number | null): number[] {
  const lines = new Set([i + 1, log.lines.length]);
  log.lines.forEach((l, j) => {
    if (l.item === item && item !== null && isDump(l) && (j >= i || l.role === 'header')) lines.add(j + 1);
  });
  if (i + 2 <= log.lines.length) lines.add(i + 2);
  return [...lines];
}

const dumpLineIndexes = (log: Log, roles: Role[] = ['header', 'meta', 'byte']) =>
  log.lines.flatMap((l, i) => (roles.includes(l.role) && l.raw === undefined ? [i] : []));
const headerLine = (log: Log, item: number) => log.lines.findIndex((l) => l.item === item && l.role === 'header') + 1;

/** Text no parser could take for a dump line: not starting like one, no trace prefix, no LOST marker. */
function harmless(text: string): boolean {
  const t = text.trim();
  const markers = ['Kernelspace:', 'Userspace:', 'byte[', 'pkt_type=', 'protocol=', 'ifindex=', 'captured='];
  if (markers.some((m) => t.startsWith(m) || m.startsWith(t))) return false;
  return !/^edl[0-9a-f]/.test(t) && !/: (?:bpf_trace_printk)?:/.test(text) && !/LOST \d+ EVENTS/.test(text) && !text.includes('\n');
}

const SAFE_CHARS = 'zyxwvutsrqonmlhgfdaZYXWVTSRQONMLHGFDA0123456789 .,;-_()/';

function noiseLine(r: Rng, traced: boolean): Line {
  for (;;) {
    const kind = r.int(4);
    let line: Line;
    if (kind === 0 && traced) line = { trace: `          <idle>-0       [003] d.s3.  99.000001: `, key: '', body: r.pick(STRANGERS), item: null, role: 'noise' };
    else if (kind <= 1) {
      const text = Array.from({ length: 1 + r.int(80) }, () => r.pick([...SAFE_CHARS])).join('');
      line = { trace: '', key: '', body: text, item: null, role: 'noise' };
    } else {
      // Binary: any byte but newline, including NUL, CR and sequences that are not UTF-8.
      const raw = Buffer.from(Array.from({ length: 1 + r.int(120) }, () => { const x = r.int(256); return x === 10 ? 11 : x; }));
      line = { trace: '', key: '', body: '', raw, item: null, role: 'noise' };
    }
    if (harmless(lineText(line))) return line;
  }
}

function insertAt(log: Log, at: number, ...lines: Line[]): Log {
  const out = copy(log);
  out.lines.splice(at, 0, ...lines);
  return out;
}

/** Replaces line i's message (key kept) and returns the copy. */
function withBody(log: Log, i: number, body: string): Log {
  const out = copy(log);
  out.lines[i].body = body;
  return out;
}

function withRaw(log: Log, i: number, raw: Buffer): Log {
  const out = copy(log);
  out.lines[i].raw = raw;
  return out;
}

/** Expected packets without the ones in `items`, or a refusal at the end when none is left. */
function withoutPackets(b: Base, log: Log, items: number[]): Expectation {
  const packets = b.expected.packets.filter((_, i) => !items.includes(i));
  return packets.length ? valid(b, { packets }) : refused('kernel', [Math.max(1, log.lines.length)]);
}

/** Cuts a serialized log at byte `at` and says what a faithful importer makes of the rest. */
function cutExpectation(b: Base, log: Log, at: number, file: 'kernel' | 'user'): Expectation {
  let offset = log.bom ? 3 : 0;
  const eol = Buffer.byteLength(log.eol);
  const whole: number[] = [];
  let partial: { index: number; text: string } | null = null;
  for (const [i, l] of log.lines.entries()) {
    const bytes = lineBytes(l);
    if (offset + bytes.length + eol <= at) whole.push(i);
    else {
      if (at > offset) partial = { index: i, text: bytes.subarray(0, at - offset).toString('utf8') };
      break;
    }
    offset += bytes.length + eol;
  }
  // A last line without its newline that is not blank was cut inside: refused there (its own damage may be found first).
  if (partial && partial.text.trim() !== '') return refused(file, [partial.index + 1]);
  const items = file === 'kernel' ? b.expected.packets.length : b.expected.reads.length;
  const complete: number[] = [];
  const broken: number[] = [];
  for (let item = 0; item < items; item++) {
    const mine = log.lines.flatMap((l, i) => (l.item === item && isDump(l) ? [i] : []));
    const kept = mine.filter((i) => whole.includes(i)).length;
    if (kept === mine.length) complete.push(item);
    else if (kept > 0) broken.push(item);
  }
  const lineCount = whole.length; // a blank partial line is no line
  if (broken.length) return refused(file, [...broken.map((item) => headerLine(log, item)), Math.max(1, lineCount)]);
  if (file === 'user') return valid(b, { reads: b.expected.reads.filter((_, i) => complete.includes(i)) });
  if (complete.length === 0) return refused('kernel', [Math.max(1, lineCount)]);
  return valid(b, { packets: b.expected.packets.filter((_, i) => complete.includes(i)) });
}

const INVALID_UTF8 = [Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]), Buffer.from([0])];

/** A line with bytes spliced into its message (key and body) at a random position. */
function spliceIntoMessage(r: Rng, l: Line, bytes: Buffer): Buffer {
  const message = Buffer.from(l.key + l.body, 'utf8');
  const at = r.int(message.length + 1);
  return Buffer.concat([Buffer.from(l.trace, 'utf8'), message.subarray(0, at), bytes, message.subarray(at)]);
}

/** A logs' pair of the same scenario in another run, merged into `log`, and the line the second run starts at. */
function addRun(r: Rng, b: Base, other: Scenario, otherTag: number): { log: Log; startsAt: number; packets: KernelPacket[] } {
  const format: Format = r.chance(0.5) ? 'tagged-bare' : 'tagged-trace';
  const extra = kernelLines(r, other.packets, format, otherTag, 1000);
  const log = copy(b.kernel);
  // Appended, or interleaved line by line (lines of one run stay in order).
  if (r.chance(0.5)) log.lines.push(...extra);
  else {
    let at = 0;
    for (const l of extra) {
      at += r.int(Math.min(4, log.lines.length - at + 1));
      log.lines.splice(at++, 0, l);
    }
  }
  const counts = (l: Line) => (l.key ? true : l.role === 'header');
  const first = log.lines.find(counts)!;
  const startsAt = log.lines.findIndex((l) => counts(l) && (l.item! >= 1000) !== (first.item! >= 1000)) + 1;
  return { log, startsAt, packets: other.packets.map((p) => expectedPacket(p, format)).map((p) => ({ ...p, pktType: p.pktType === PKT_TYPE_UNKNOWN ? null : p.pktType })) };
}

const BAD_VALUES = ['0x100', '0x1ff', '256', '-1', '0x', '', '0xg1', '0x-1', '0x 1', '1e3', '0x0x1', '\u0663', '0x\uff21', ' 0x1', '0x1 2'];
const BAD_INDEXES = ['-1', '', '1.5', '0x3', ' 3', '03', '9'.repeat(30), '1,2'];
const BAD_COUNTS = ['-5', '4294967295', '4294967296', '99999999999999999999', '0x28', '', ' 40', '040', '40.0', '1e3', '\u0664\u0660', '16777217'];
const BAD_HEADERS = ['Kernelspace: received 40 bytes, dumping', 'Kernelspace:Received 40 bytes, dumping', 'Kernelspace: Received 40 bytes,dumping', 'Kernelspace: Received 40 bytes, dumping!', 'Kernelspace: Received 40'];
const BAD_META = ['pkt_type=0', 'protocol=0x08', 'pkt_type=x protocol=0x0800', 'pkt_type=0 protocol=0x0800 extra=1', 'ifindex=1', 'captured=40 ifindex=1', 'ifindex=-1 captured=40', 'pkt_type=0  protocol=0x0800', 'pkt_type=00 protocol=0x0800', 'constructor=1', 'pkt_type=0 protocol=0x0800 ifindex=1 captured=3'];

/** Where a byte line's value starts: cutting past it could leave a shorter value that still reads ("0xab" → "0xa"). */
const valueStart = (l: Line) => l.trace.length + l.key.length + l.body.indexOf('=0x') + 3;

/** Rewrites the byte values of one packet: imported as the new bytes, or refused at its header when they no
 *  longer start the way the experiment's view does. */
function rewriteBytes(r: Rng, b: Base, change: (bytes: Uint8Array) => void): Mutant {
  const item = r.int(b.expected.packets.length);
  const bytes = Uint8Array.from(b.expected.packets[item].bytes);
  change(bytes);
  const kernel = copy(b.kernel);
  for (const l of kernel.lines) if (l.item === item && l.role === 'byte') l.body = byteBody(bytes[l.index!], l.index!);
  const packets = b.expected.packets.map((p, k) => (k === item ? { ...p, bytes } : p));
  return { detail: `packet ${item}`, kernel, expect: { ...valid(b, { packets }), ...refused('kernel', [headerLine(kernel, item)]) } };
}

const MUTATIONS: Record<string, Mutation> = {
  // ---- kept valid ----
  identity: (_r, b) => ({ detail: '', expect: valid(b) }),
  crlf: (_r, b) => ({ detail: 'both logs', kernel: { ...b.kernel, eol: '\r\n' }, user: { ...b.user, eol: '\r\n' }, expect: valid(b) }),
  bom: (_r, b) => ({ detail: 'both logs', kernel: { ...b.kernel, bom: true }, user: { ...b.user, bom: true }, expect: valid(b) }),
  'trailing-whitespace': (r, b) => {
    const kernel = copy(b.kernel);
    for (const l of kernel.lines) if (r.chance(0.3)) l.body += r.pick([' ', '\t', ' \t ']);
    return { detail: '', kernel, expect: valid(b) };
  },
  noise: (r, b) => {
    let kernel = b.kernel;
    const n = 1 + r.int(6);
    for (let k = 0; k < n; k++) kernel = insertAt(kernel, r.int(kernel.lines.length + 1), noiseLine(r, b.format.endsWith('trace')));
    return { detail: `${n} lines`, kernel, expect: valid(b) };
  },
  'user-noise': (r, b) => {
    let user = b.user;
    for (let k = 0; k < 3; k++) user = insertAt(user, r.int(user.lines.length + 1), noiseLine(r, false));
    return { detail: '', user, expect: valid(b) };
  },
  'blank-lines': (r, b) => {
    const at = r.int(b.kernel.lines.length + 1);
    return { detail: `at ${at + 1}`, kernel: insertAt(b.kernel, at, { trace: '', key: '', body: '', item: null, role: 'noise' }, { trace: '', key: '', body: '   ', item: null, role: 'noise' }), expect: valid(b) };
  },
  'huge-noise-line': (r, b) => {
    if (!r.chance(0.3)) return null; // a few are enough, and each is megabytes
    const size = (2 + r.int(3)) << 20;
    const raw = Buffer.alloc(size, 'zyxw ');
    const at = r.int(b.kernel.lines.length + 1);
    return { detail: `${size} B at line ${at + 1}`, kernel: insertAt(b.kernel, at, { trace: '', key: '', body: '', raw, item: null, role: 'noise' }), expect: valid(b) };
  },
  'hex-case': (_r, b) => {
    const kernel = copy(b.kernel);
    for (const l of kernel.lines) if (l.role === 'byte') l.body = l.body.replace(/=0x([0-9a-f]+)$/, (_m, h: string) => `=0x${h.toUpperCase()}`);
    return { detail: '', kernel, expect: valid(b) };
  },
  'padded-hex': (_r, b) => {
    const kernel = copy(b.kernel);
    for (const l of kernel.lines) if (l.role === 'byte') l.body = l.body.replace(/=0x([0-9a-f])$/, '=0x0$1');
    return { detail: '', kernel, expect: valid(b) };
  },
  indent: (r, b) => {
    const kernel = copy(b.kernel);
    const indent = r.pick(['', '    ', '\t\t', ' ']);
    for (const l of kernel.lines) if (l.role === 'byte') l.body = indent + l.body.trimStart();
    return { detail: JSON.stringify(indent), kernel, expect: valid(b) };
  },
  'invalid-utf8-in-trace-prefix': (r, b) => {
    if (!b.format.endsWith('trace')) return null;
    const i = r.pick(dumpLineIndexes(b.kernel));
    const l = b.kernel.lines[i];
    const raw = Buffer.concat([Buffer.from(l.trace.slice(0, 14), 'utf8'), r.pick(INVALID_UTF8), Buffer.from(l.trace.slice(14) + l.key + l.body, 'utf8')]);
    return { detail: `line ${i + 1}`, kernel: withRaw(b.kernel, i, raw), expect: valid(b) };
  },
  'delete-packet': (r, b) => {
    const item = r.int(b.expected.packets.length);
    const kernel = copy(b.kernel);
    kernel.lines = kernel.lines.filter((l) => l.item !== item);
    return { detail: `packet ${item}`, kernel, expect: withoutPackets(b, kernel, [item]) };
  },
  'swap-packets': (r, b) => {
    if (tagged(b.format) || b.expected.packets.length < 2) return null;
    const item = 1 + r.int(b.expected.packets.length - 1);
    const kernel = copy(b.kernel);
    const moved = kernel.lines.filter((l) => l.item === item);
    kernel.lines = kernel.lines.filter((l) => l.item !== item);
    kernel.lines.splice(kernel.lines.findIndex((l) => l.item === item - 1), 0, ...moved);
    const packets = [...b.expected.packets];
    [packets[item - 1], packets[item]] = [packets[item], packets[item - 1]];
    return { detail: `packets ${item - 1} and ${item}`, kernel, expect: valid(b, { packets }) };
  },
  'user-delete-read': (r, b) => {
    const item = r.int(b.expected.reads.length);
    const user = copy(b.user);
    user.lines = user.lines.filter((l) => l.item !== item);
    return { detail: `read ${item}`, user, expect: valid(b, { reads: b.expected.reads.filter((_, i) => i !== item) }) };
  },
  'user-empty': (r, b) => ({ detail: '', user: Buffer.from(r.pick(['', '\n', '\n\n', '\r\n', '   \n'])), expect: valid(b, { reads: [] }) }),
  'user-crlf-bom': (_r, b) => ({ detail: '', user: { ...b.user, eol: '\r\n', bom: true }, expect: valid(b) }),
  'tag-right': (_r, b) => (tagged(b.format) ? { detail: `0x${b.tag.toString(16)}`, tag: b.tag, expect: valid(b) } : null),
  'tag-picks-one-of-two-runs': (r, b) => {
    const other = r.pick(scenarios().filter((s) => s.packets.every((p) => p.bytes.length >= Math.min(p.length, STUDY_CAPTURE))));
    const otherTag = tagged(b.format) ? b.tag ^ 0x8000 : 1 + r.int(0xfffe);
    const { log, packets } = addRun(r, b, other, otherTag);
    // With a tagged base, pick the base's run; with a study base, the added run (untagged lines cannot be picked).
    if (tagged(b.format)) return { detail: `${other.name} as tag 0x${otherTag.toString(16)}`, kernel: log, tag: b.tag, expect: valid(b) };
    return { detail: `${other.name} as tag 0x${otherTag.toString(16)}`, kernel: log, tag: otherTag, as: other.experiment, expect: valid(b, { packets }) };
  },
  // ---- odd but well-formed: other bytes, which may still decode as the experiment's view, or not ----
  'random-byte-values': (r, b) => rewriteBytes(r, b, (bytes) => {
    for (let k = 1 + r.int(8); k > 0; k--) bytes[r.int(Math.min(64, bytes.length))] = r.int(256);
  }),
  'random-packet-bytes': (r, b) => rewriteBytes(r, b, (bytes) => bytes.forEach((_, i) => (bytes[i] = r.int(256)))),
  'user-random-bytes': (r, b) => {
    const item = r.int(b.expected.reads.length);
    const bytes = Uint8Array.from(b.expected.reads[item].bytes, () => r.int(256));
    const user = copy(b.user);
    for (const l of user.lines) if (l.item === item && l.role === 'byte') l.body = byteBody(bytes[l.index!], l.index!);
    return { detail: `read ${item}`, user, expect: valid(b, { reads: b.expected.reads.map((x, k) => (k === item ? { bytes } : x)) }) };
  },
  // ---- refused ----
  'two-runs-without-tag': (r, b) => {
    const other = r.pick(scenarios().filter((s) => s.name !== 'kprobe'));
    const { log, startsAt } = addRun(r, b, other, tagged(b.format) ? b.tag ^ 0x4000 : 1 + r.int(0xfffe));
    return { detail: other.name, kernel: log, expect: refused('kernel', [startsAt]) };
  },
  'tag-absent': (r, b) => {
    const tag = tagged(b.format) ? b.tag ^ 0x2000 : r.int(0x10000);
    return { detail: `0x${tag.toString(16)}`, tag, expect: refused('kernel', [b.kernel.lines.length]) };
  },
  'lost-events': (r, b) => {
    const at = r.int(b.kernel.lines.length + 1);
    const body = r.pick([`CPU:${r.int(8)} [LOST ${1 + r.int(500)} EVENTS]`, `##### CPU 1 buffer started ####`]);
    const lost = body.includes('LOST');
    const kernel = insertAt(b.kernel, at, { trace: '', key: '', body, item: null, role: 'noise' });
    return { detail: `${JSON.stringify(body)} at line ${at + 1}`, kernel, expect: lost ? refused('kernel', [at + 1]) : valid(b) };
  },
  'lost-events-and-a-gap': (r, b) => {
    const bytes = dumpLineIndexes(b.kernel, ['byte']);
    const i = r.pick(bytes);
    const kernel = copy(b.kernel);
    kernel.lines.splice(i, 1);
    kernel.lines.splice(i, 0, { trace: '', key: '', body: 'CPU:1 [LOST 3 EVENTS]', item: null, role: 'noise' });
    return { detail: `byte line ${i + 1} replaced`, kernel, expect: refused('kernel', [i + 1, ...blameAround(kernel, i, b.kernel.lines[i].item)]) };
  },
  'no-final-newline': (_r, b) => {
    const kernel = { ...b.kernel, final: false };
    const last = b.kernel.lines.at(-1)!;
    return { detail: '', kernel, expect: lineText(last).trim() === '' ? valid(b) : refused('kernel', [b.kernel.lines.length]) };
  },
  'user-no-final-newline': (_r, b) => {
    const user = copy(b.user);
    while (user.lines.length && lineText(user.lines.at(-1)!).trim() === '') user.lines.pop();
    return { detail: '', user: { ...user, final: false }, expect: refused('user', [user.lines.length]) };
  },
  'truncate-line': truncateLine('kernel'),
  'cut-file': cutFile('kernel'),
  'delete-line': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.kernel));
    const kernel = copy(b.kernel);
    const [gone] = kernel.lines.splice(i, 1);
    return { detail: `line ${i + 1} (${gone.role})`, kernel, expect: refused('kernel', blameAround(kernel, i, gone.item)) };
  },
  'duplicate-line': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.kernel));
    const kernel = insertAt(b.kernel, i + 1, { ...b.kernel.lines[i] });
    return { detail: `line ${i + 1} (${b.kernel.lines[i].role})`, kernel, expect: refused('kernel', [i + 1, i + 2]) };
  },
  'duplicate-byte-later': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.kernel, ['byte']));
    const j = Math.min(b.kernel.lines.length, i + 2 + r.int(b.kernel.lines.length - i)); // after at least one other line, if any
    const kernel = insertAt(b.kernel, j, { ...b.kernel.lines[i] });
    return { detail: `line ${i + 1} copied to ${j + 1}`, kernel, expect: refused('kernel', [j + 1, j + 2]) };
  },
  'change-index': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.kernel, ['byte']));
    const l = b.kernel.lines[i];
    const index = r.pick([l.index! + 1, l.index! - 1, l.index! + 2, 0, 1023, 1024, 99999].filter((x) => x >= 0 && x !== l.index));
    return { detail: `line ${i + 1}: byte[${l.index}] → byte[${index}]`, kernel: withBody(b.kernel, i, l.body.replace(/\[\d+\]/, `[${index}]`)), expect: refused('kernel', [i + 1]) };
  },
  'bad-value': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.kernel, ['byte']));
    const value = r.pick(BAD_VALUES);
    return { detail: `line ${i + 1}: ${JSON.stringify(value)}`, kernel: withBody(b.kernel, i, b.kernel.lines[i].body.replace(/=.*$/, `=${value}`)), expect: refused('kernel', [i + 1]) };
  },
  'bad-index': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.kernel, ['byte']));
    const index = r.pick(BAD_INDEXES);
    return { detail: `line ${i + 1}: byte[${index}]`, kernel: withBody(b.kernel, i, b.kernel.lines[i].body.replace(/\[\d+\]/, `[${index}]`)), expect: refused('kernel', [i + 1]) };
  },
  'bad-count': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.kernel, ['header']));
    const count = r.pick(BAD_COUNTS);
    return { detail: `line ${i + 1}: ${JSON.stringify(count)}`, kernel: withBody(b.kernel, i, `Kernelspace: Received ${count} bytes, dumping`), expect: refused('kernel', [i + 1]) };
  },
  'bad-header': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.kernel, ['header']));
    const text = r.pick([...BAD_HEADERS, 'kernelspace: Received 40 bytes, dumping']);
    // A header that does not start like one is someone else's line: the packet's bytes then show the gap.
    const lines = text.startsWith('Kernelspace') ? [i + 1] : [i + 1, i + 2, i + 3];
    return { detail: `line ${i + 1}: ${JSON.stringify(text)}`, kernel: withBody(b.kernel, i, text), expect: refused('kernel', lines) };
  },
  'count-up': (r, b) => {
    const item = r.int(b.expected.packets.length);
    const p = b.expected.packets[item];
    const length = p.length + r.pick([1, 2, 100, 65536]);
    const i = headerLine(b.kernel, item) - 1;
    const kernel = withBody(b.kernel, i, `Kernelspace: Received ${length} bytes, dumping`);
    const fits = study(b.format) ? p.bytes.length === Math.min(length, STUDY_CAPTURE) : true;
    const packets = b.expected.packets.map((q, k) => (k === item ? { ...q, length } : q));
    // Where the capture still adds up, only the view check can object (the bytes may no longer decode as they did).
    return { detail: `packet ${item}: ${p.length} → ${length}`, kernel, expect: fits ? { ...valid(b, { packets }), ...refused('kernel', [i + 1]) } : refused('kernel', [i + 1]) };
  },
  'count-down': (r, b) => {
    const item = r.int(b.expected.packets.length);
    const p = b.expected.packets[item];
    const length = Math.max(0, p.length - r.pick([1, 2, 7, p.length >> 1, p.length]));
    const i = headerLine(b.kernel, item) - 1;
    const kernel = withBody(b.kernel, i, `Kernelspace: Received ${length} bytes, dumping`);
    const packets = b.expected.packets.map((q, k) => (k === item ? { ...q, length } : q));
    const fits = study(b.format) ? p.bytes.length === Math.min(length, STUDY_CAPTURE) : p.bytes.length <= length;
    if (fits) return { detail: `packet ${item}: ${p.length} → ${length}`, kernel, expect: { ...valid(b, { packets }), ...refused('kernel', [i + 1]) } };
    // The first line that cannot fit: the captured= line, or the first byte past the new length.
    const meta = kernel.lines.findIndex((l) => l.item === item && l.body.startsWith('ifindex='));
    const beyond = kernel.lines.findIndex((l) => l.item === item && l.role === 'byte' && l.index === Math.min(length, STUDY_CAPTURE));
    return { detail: `packet ${item}: ${p.length} → ${length}`, kernel, expect: refused('kernel', [meta + 1, beyond + 1, i + 1].filter((x) => x > 0)) };
  },
  'captured-changed': (r, b) => {
    if (study(b.format)) return null;
    const item = r.int(b.expected.packets.length);
    const p = b.expected.packets[item];
    const captured = Math.max(0, p.bytes.length + r.pick([-1, 1, -10, 5, 2000]));
    const i = b.kernel.lines.findIndex((l) => l.item === item && l.body.startsWith('ifindex='));
    const kernel = withBody(b.kernel, i, `ifindex=${p.ifindex} captured=${captured}`);
    const firstTooMany = b.kernel.lines.findIndex((l) => l.item === item && l.role === 'byte' && l.index === captured);
    return { detail: `packet ${item}: ${p.bytes.length} → ${captured}`, kernel, expect: refused('kernel', [i + 1, headerLine(b.kernel, item), firstTooMany + 1].filter((x) => x > 0)) };
  },
  'bad-metadata': (r, b) => {
    if (study(b.format)) return null;
    const i = r.pick(dumpLineIndexes(b.kernel, ['meta']));
    const text = r.pick(BAD_META);
    const kernel = withBody(b.kernel, i, text);
    // Text that does not start like metadata is someone else's line: the packet then lacks one of its own.
    const lines = /^(?:pkt_type|protocol|ifindex|captured)=/.test(text) ? [i + 1] : blameAround(kernel, i, b.kernel.lines[i].item);
    return { detail: `line ${i + 1}: ${JSON.stringify(text)}`, kernel, expect: refused('kernel', lines) };
  },
  'invalid-utf8-in-message': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.kernel));
    const l = b.kernel.lines[i];
    const kernel = withRaw(b.kernel, i, spliceIntoMessage(r, l, r.pick(INVALID_UTF8)));
    return { detail: `line ${i + 1}`, kernel, expect: refused('kernel', blameAround(kernel, i, l.item)) };
  },
  'garbage-instead-of-line': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.kernel));
    const kernel = copy(b.kernel);
    kernel.lines[i] = { ...noiseLine(r, false), item: null };
    return { detail: `line ${i + 1}`, kernel, expect: refused('kernel', blameAround(kernel, i, b.kernel.lines[i].item)) };
  },
  'huge-value': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.kernel, ['byte']));
    const l = b.kernel.lines[i];
    const raw = Buffer.from(l.trace + l.key + l.body.replace(/=0x/, '=0x' + '0'.repeat((1 + r.int(3)) << 20)), 'utf8');
    return { detail: `line ${i + 1}, ${raw.length} B`, kernel: withRaw(b.kernel, i, raw), expect: refused('kernel', [i + 1]) };
  },
  'huge-count': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.kernel, ['header']));
    const count = r.pick(['9', '0', '1']).repeat(2 << 20) + '40';
    return { detail: `line ${i + 1}`, kernel: withBody(b.kernel, i, `Kernelspace: Received ${count} bytes, dumping`), expect: refused('kernel', [i + 1]) };
  },
  'huge-index': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.kernel, ['byte']));
    return { detail: `line ${i + 1}`, kernel: withBody(b.kernel, i, b.kernel.lines[i].body.replace(/\[\d+\]/, `[${'1'.repeat(2 << 20)}]`)), expect: refused('kernel', [i + 1]) };
  },
  'bytes-past-the-capture': (r, b) => {
    // Byte lines pasted after a packet's last one: more than its captured= line, or than the study's 128.
    const item = r.int(b.expected.packets.length);
    const p = b.expected.packets[item];
    const last = Math.max(...dumpLineIndexes(b.kernel).filter((i) => b.kernel.lines[i].item === item));
    const from = p.bytes.length;
    const extra = Array.from({ length: 1 + r.int(80) }, (_, k): Line => ({ ...b.kernel.lines[last], role: 'byte', index: from + k, body: byteBody(k & 0xff, from + k) }));
    return { detail: `packet ${item}: byte[${from}..]`, kernel: insertAt(b.kernel, last + 1, ...extra), expect: refused('kernel', [last + 2]) };
  },
  'empty-kernel': (r, _b) => ({ detail: '', kernel: Buffer.from(r.pick(['', '\n', '\n\n\n', '\r\n', ' \t\n'])), expect: refused('kernel', 'any') }),
  'noise-only-kernel': (r, b) => {
    const lines = Array.from({ length: 1 + r.int(5) }, () => noiseLine(r, b.format.endsWith('trace')));
    return { detail: '', kernel: { lines, eol: '\n', final: true, bom: false }, expect: refused('kernel', [lines.length]) };
  },
  'nul-file': (r, _b) => ({ detail: '', kernel: Buffer.alloc(1 + r.int(4096)), expect: refused('kernel', [1]) }),
  swapped: (_r, b) => ({ detail: '', kernel: b.user, user: b.kernel, expect: refused('kernel', [1]) }),
  'user-log-twice': (_r, b) => ({ detail: '', kernel: b.user, expect: refused('kernel', [1]) }),
  'kernel-log-twice': (_r, b) => ({ detail: '', user: b.kernel, expect: refused('user', [1]) }),
  'wrong-as': (r, b) => {
    const as = r.pick(IMPORTABLE.filter((e) => e !== b.scenario.experiment));
    const same = groupOf(as) === groupOf(b.scenario.experiment);
    const headers = b.kernel.lines.flatMap((l, i) => (l.role === 'header' ? [i + 1] : []));
    return { detail: `--as ${as}`, as, expect: same ? valid(b) : refused('kernel', headers) };
  },
  // ---- the user log ----
  'user-truncate-line': truncateLine('user'),
  'user-cut-file': cutFile('user'),
  'user-delete-line': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.user));
    const user = copy(b.user);
    const [gone] = user.lines.splice(i, 1);
    // A read's header gone: its bytes land in the read before (or before any header).
    const lines = blameAround(user, i, gone.item);
    if (gone.role === 'header' && gone.item! > 0) lines.push(headerLine(user, gone.item! - 1));
    return { detail: `line ${i + 1} (${gone.role})`, user, expect: refused('user', lines) };
  },
  'user-duplicate-line': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.user));
    return { detail: `line ${i + 1}`, user: insertAt(b.user, i + 1, { ...b.user.lines[i] }), expect: refused('user', [i + 1, i + 2]) };
  },
  'user-change-index': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.user, ['byte']));
    const l = b.user.lines[i];
    return { detail: `line ${i + 1}`, user: withBody(b.user, i, l.body.replace(/\[\d+\]/, `[${l.index! + 1 + r.int(3)}]`)), expect: refused('user', [i + 1]) };
  },
  'user-bad-value': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.user, ['byte']));
    return { detail: `line ${i + 1}`, user: withBody(b.user, i, b.user.lines[i].body.replace(/=.*$/, `=${r.pick(BAD_VALUES)}`)), expect: refused('user', [i + 1]) };
  },
  'user-count-up': (r, b) => {
    const item = r.int(b.expected.reads.length);
    const i = headerLine(b.user, item) - 1;
    const n = b.expected.reads[item].bytes.length + 1 + r.int(5);
    return { detail: `read ${item} → ${n}`, user: withBody(b.user, i, `Userspace: Received ${n} bytes, dumping`), expect: refused('user', [i + 1]) };
  },
  'user-count-down': (r, b) => {
    const item = r.int(b.expected.reads.length);
    const i = headerLine(b.user, item) - 1;
    const n = Math.max(0, b.expected.reads[item].bytes.length - 1 - r.int(5));
    return { detail: `read ${item} → ${n}`, user: withBody(b.user, i, `Userspace: Received ${n} bytes, dumping`), expect: refused('user', [i + 2 + n]) };
  },
  'user-bad-count': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.user, ['header']));
    return { detail: `line ${i + 1}`, user: withBody(b.user, i, `Userspace: Received ${r.pick(BAD_COUNTS)} bytes, dumping`), expect: refused('user', [i + 1]) };
  },
  'user-invalid-utf8': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.user));
    const l = b.user.lines[i];
    const user = withRaw(b.user, i, spliceIntoMessage(r, l, r.pick(INVALID_UTF8)));
    const lines = blameAround(user, i, l.item);
    if (l.role === 'header' && l.item! > 0) lines.push(headerLine(user, l.item! - 1));
    return { detail: `line ${i + 1}`, user, expect: refused('user', lines) };
  },
  'user-huge-line': (r, b) => {
    const i = r.pick(dumpLineIndexes(b.user, ['byte']));
    const raw = Buffer.from(b.user.lines[i].body.replace(/=0x/, '=0x' + 'f'.repeat(3 << 20)), 'utf8');
    return { detail: `line ${i + 1}`, user: withRaw(b.user, i, raw), expect: refused('user', [i + 1]) };
  },
  'user-trace-lines': (_r, b) => {
    // A kernel-format line in a server log: the files were mixed up or concatenated.
    const at = b.user.lines.length;
    const user = insertAt(b.user, at, { trace: STUDY_PREFIX(0), key: '', body: 'Kernelspace: Received 40 bytes, dumping', item: null, role: 'noise' });
    return { detail: '', user, expect: refused('user', [at + 1]) };
  },
};

/** How many variants of each mutation a base gets (random choices differ between variants). */
const VARIANTS: Record<string, number> = {
  'random-byte-values': 4,
  'random-packet-bytes': 2,
  'truncate-line': 3,
  'cut-file': 3,
  'delete-line': 2,
  'wrong-as': 2,
  'user-cut-file': 2,
  'invalid-utf8-in-message': 2,
  'garbage-instead-of-line': 2,
  'count-up': 2,
  'count-down': 2,
};

export const MUTATION_NAMES = Object.keys(MUTATIONS);

/** Every case for `seed`: each mutation (and its variants) applied to each base, in a fixed order. */
export function generateCases(seed: number, only?: string): Case[] {
  const cases: Case[] = [];
  for (const scenario of scenarios()) {
    for (const format of FORMATS) {
      const base = makeBase(rng(hash(seed, `${scenario.name}/${format}`)), scenario, format);
      if (!base) continue;
      for (const [mutation, mutate] of Object.entries(MUTATIONS)) {
        for (let variant = 0; variant < (VARIANTS[mutation] ?? 1); variant++) {
          const id = `${base.name} ${mutation}#${variant}`;
          if (only !== undefined && id !== only) continue;
          const m = mutate(rng(hash(seed, id)), base);
          if (!m) continue;
          const bytes = (log: Log | Buffer | undefined, fallback: Log) => (Buffer.isBuffer(log) ? log : serialize(log ?? fallback));
          cases.push({
            id,
            mutation,
            detail: m.detail,
            as: m.as ?? scenario.experiment,
            tag: m.tag,
            kernel: bytes(m.kernel, base.kernel),
            user: bytes(m.user, base.user),
            expect: m.expect,
          });
        }
      }
    }
  }
  return cases;
}

/** The first lines of a log, escaped and shortened, for a failure message. */
export function head(bytes: Buffer, lines = 12): string {
  return bytes
    .toString('utf8')
    .split('\n')
    .slice(0, lines)
    .map((l, i) => `    ${String(i + 1).padStart(4)}| ${JSON.stringify(l.length > 120 ? l.slice(0, 120) + `… (${l.length} chars)` : l).slice(1, -1)}`)
    .join('\n');
}
