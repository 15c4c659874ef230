// Parse and render the text logs of a dump: the kernel side (trace_pipe, in the 2017 study's format or
// this harness's tagged one, with or without the trace prefix) and the user side (the server's output).
//
// These logs are evidence, and they may come from anywhere (`npm run import`): cut short, edited, converted
// to CRLF, concatenated, mixed with other programs' lines. The parser accepts a log only when every byte it
// returns is one the log states and nothing the log announces is missing; otherwise it fails with the line.
import type { KernelPacket, UserRead } from '../../vocabulary/observations.ts';
import { DUMP_CAPTURE_MAX, DUMP_PKT_TYPE_UNKNOWN } from '../../vocabulary/record-layout.ts';

/** A record's pkt_type as observations hold it: null where the hook has none (XDP writes "unknown"). Both
 *  channels' decoders use it. */
export function knownPktType(pktType: number | null): number | null {
  return pktType === DUMP_PKT_TYPE_UNKNOWN ? null : pktType;
}

/** The study's filter (ebpf-dump's filter.c, MAX_PACKET_SIZE) printed the first 128 bytes of every packet. */
const STUDY_CAPTURE_MAX = 128;

/** skb->len is a u32, but no hook sees a packet anywhere near 16 MiB (GSO and GRO aggregates stay below 512 KiB
 *  even with BIG TCP): a larger count is damage, and would overflow pcapng's 32-bit lengths. */
const MAX_PACKET_LENGTH = 1 << 24;

export interface ParsedKernelLog {
  packets: KernelPacket[];
  /** The line of each packet's "Kernelspace: Received" header (parallel to `packets`), for errors about it. */
  headerLines: number[];
  /** Every capture in the log, in order of first appearance (including ones `opts.tag` filtered out): a run's
   *  tag, or null for untagged (study-format) packets; `line` is where it first appears, `headers` how many
   *  packet headers it has (so a user can tell which run is which). */
  runs: { tag: number | null; line: number; headers: number }[];
  /** The first "[LOST n EVENTS]" line: trace_pipe dropped lines there, so whole packets may be missing. */
  lost: { line: number; events: number } | null;
}

/** A log that cannot be read faithfully. `line` is 1-based; `atEnd` when the problem is the whole log (no
 *  packet, a dump that never finished), found at its end. `wrongLog` when it is the other side's log. */
export class DumpLogError extends Error {
  readonly atEnd: boolean;
  readonly wrongLog: boolean;
  constructor(
    readonly line: number,
    readonly reason: string,
    opts: { atEnd?: boolean; wrongLog?: boolean } = {},
  ) {
    super(opts.atEnd ? `at the end of the file (line ${line}): ${reason}` : `line ${line}: ${reason}`);
    this.name = 'DumpLogError';
    this.atEnd = opts.atEnd ?? false;
    this.wrongLog = opts.wrongLog ?? false;
  }
}

// trace_pipe puts "comm-pid [cpu] flags timestamp: " (columns vary by kernel) before the event name:
// "bpf_trace_printk" on modern kernels, nothing on the study's 4.x kernel (": : "). An editor may have
// trimmed the space after an empty study message, hence the end-of-line alternative.
const TRACE_PREFIX = /: (?:bpf_trace_printk)?:(?: |$)/;
// "edl" + (tag << 16 | seq & 0xffff), as bpf/dump.bpf.c prints it before every message.
const KEY = /^edl([0-9a-f]{8})(?: (.*))?$/;
// A key cut short or garbled ("edl0001000", "edl00010003Kernelspace…"): one of ours, damaged.
const DAMAGED_KEY = /^edl([0-9a-f]{1,8})/;
const HEADER = /^(Kernelspace|Userspace): Received (\S+) bytes, dumping$/;
const BYTE = /^byte\[([^\]]*)\]=(.*)$/;
const BYTE_VALUE = /^0x[0-9a-f]{1,2}$/i;
// bpf_printk's %u: no sign, no leading zeros, 32 bits at most.
const DECIMAL = /^(?:0|[1-9][0-9]{0,9})$/;
const LOST_EVENTS = /\[LOST (\d+) EVENTS\]/;
// How every line of a dump begins: a message that starts like one of these (or is cut inside one) is ours.
const MARKERS = ['Kernelspace:', 'Userspace:', 'byte[', 'pkt_type=', 'protocol=', 'ifindex=', 'captured='];

type MetaName = 'pkt_type' | 'protocol' | 'ifindex' | 'captured';
// The metadata lines the harness prints, field for field (pkt_type is absent where the hook has none, and
// ifindex where the packet's source has none; then "captured=N" stands alone).
const META_LINES = new Set(['pkt_type protocol', 'protocol', 'ifindex captured', 'captured']);
const META_VALUE: Record<MetaName, RegExp> = {
  pkt_type: DECIMAL,
  protocol: /^0x[0-9a-f]{4}$/i, // %04x of a 16-bit EtherType
  ifindex: DECIMAL,
  captured: DECIMAL,
};
const META_FIELD: Record<MetaName, 'pktType' | 'protocol' | 'ifindex' | 'captured'> = {
  pkt_type: 'pktType',
  protocol: 'protocol',
  ifindex: 'ifindex',
  captured: 'captured',
};

type Message =
  | { kind: 'header'; side: 'Kernelspace' | 'Userspace'; length: number }
  | { kind: 'byte'; index: number; value: number }
  | { kind: 'meta'; fields: [MetaName, number][] }
  | { kind: 'damaged'; reason: string }
  | { kind: 'empty' }
  | { kind: 'other' };

/** A line's text quoted in an error: short, and with control characters visible (logs may hold binary). */
function quote(text: string, max = 60): string {
  const shown = text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
  return JSON.stringify(shown);
}

interface Lines {
  lines: string[];
  /** The last line has no newline: the copy stopped inside it (only set when that line is not blank). */
  cutOff: boolean;
}

function splitLines(text: string): Lines {
  // A byte-order mark is an editor's, not the log's: without this the first header would not be recognised.
  const all = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const last = all.pop() ?? ''; // after the final newline: '' unless the file ends inside a line
  const cutOff = last.trim() !== '';
  return { lines: cutOff ? [...all, last] : all, cutOff };
}

// Every line trace_pipe writes ends with a newline, as did the study's files; a last line without one was
// cut, and may still parse ("byte[3]=0xab" cut to "byte[3]=0xa"), so it cannot be trusted.
const cutOffReason = (n: number) =>
  `the file ends inside line ${n} (it has no newline): the log was cut off there, and a cut line can still ` +
  'look whole ("byte[3]=0xab" cut to "byte[3]=0xa"); copy the whole log (or end that line with a newline if it is complete)';

/** The printk message of a line: what follows the trace prefix, or the whole line when there is none. */
function messageOf(line: string): { message: string; traced: boolean } {
  const m = TRACE_PREFIX.exec(line);
  return m ? { message: line.slice(m.index + m[0].length), traced: true } : { message: line, traced: false };
}

const looksOurs = (text: string) => MARKERS.some((m) => text.startsWith(m) || m.startsWith(text));

function header(m: RegExpExecArray): Message {
  const side = m[1] as 'Kernelspace' | 'Userspace';
  const length = DECIMAL.test(m[2]) ? Number(m[2]) : NaN;
  if (!(length <= MAX_PACKET_LENGTH)) {
    return { kind: 'damaged', reason: `"${side}: Received ${quote(m[2], 24)} bytes" is not a packet length (a decimal count up to ${MAX_PACKET_LENGTH})` };
  }
  return { kind: 'header', side, length };
}

function byteLine(m: RegExpExecArray): Message {
  if (!DECIMAL.test(m[1])) return { kind: 'damaged', reason: `byte[${quote(m[1], 24).slice(1, -1)}] is not a byte index (a decimal number)` };
  if (!BYTE_VALUE.test(m[2])) return { kind: 'damaged', reason: `byte[${m[1]}] has a bad value ${quote(m[2], 24)}` };
  return { kind: 'byte', index: Number(m[1]), value: Number(m[2]) };
}

/** "pkt_type=0 protocol=0x0800" or "ifindex=1 captured=60": null when the text is not metadata at all. */
function metaLine(text: string): Message | null {
  const tokens = text.split(' ').map((token) => /^([a-z_]+)=(.*)$/.exec(token));
  const known = tokens.every((t) => t !== null && Object.hasOwn(META_FIELD, t[1]));
  if (!known && !/^(?:pkt_type|protocol|ifindex|captured)=/.test(text)) return null;
  const damaged: Message = { kind: 'damaged', reason: `damaged metadata line ${quote(text)} (expected "pkt_type=N protocol=0xNNNN" or "ifindex=N captured=N")` };
  if (!known) return damaged;
  const fields = tokens.map((t) => [t![1] as MetaName, t![2]] as const);
  const wellFormed = fields.every(([name, value]) => META_VALUE[name].test(value)) && META_LINES.has(fields.map(([name]) => name).join(' '));
  return wellFormed ? { kind: 'meta', fields: fields.map(([name, value]) => [name, Number(value)]) } : damaged;
}

function classify(message: string): Message {
  const text = message.trim();
  if (text === '') return { kind: 'empty' };
  const h = HEADER.exec(text);
  if (h) return header(h);
  const b = BYTE.exec(text);
  if (b) return byteLine(b);
  const meta = metaLine(text);
  if (meta) return meta;
  // Cut, garbled or edited: one of ours that can no longer be read. Skipping it would hide a lost line.
  if (looksOurs(text)) return { kind: 'damaged', reason: `damaged dump line ${quote(text)}` };
  return { kind: 'other' };
}

/** One packet or read while its lines are being collected. */
interface Dump {
  label: string; // how errors name it: the edl key, or the header's kind
  line: number; // its header line
  length: number;
  bytes: number[];
  lastLine: number; // its last line so far
}

/** How many bytes a dump may hold, and why, for the error when one more comes. */
interface Limit {
  count: number;
  why: string;
}

/** Appends a byte line to a dump, rejecting anything that would make the byte array lie. */
function addByte(dump: Dump, msg: { index: number; value: number }, limit: Limit): string | null {
  const { index } = msg;
  const have = dump.bytes.length;
  if (index < have) return `byte[${index}] repeated (byte[0..${have - 1}] already dumped)`;
  if (index > have) return have === 0 ? `byte[${index}] out of order: expected byte[0] first` : `byte[${index}] out of order after byte[${have - 1}]`;
  if (index >= limit.count) return `byte[${index}] beyond ${limit.why}`;
  dump.bytes.push(msg.value);
  return null;
}

const announced = (length: number): Limit => ({ count: length, why: `the ${length} bytes announced for it` });

/** A kernel dump holds what its captured= line says; without one it is the study's, which dumped the first
 *  128 bytes of every packet, exactly (so a line pasted past them cannot pass for a longer capture). */
function kernelLimit(d: KernelDump): Limit {
  if (d.captured !== null) return { count: d.captured, why: `the captured=${d.captured} announced for it` };
  if (d.length <= STUDY_CAPTURE_MAX) return announced(d.length);
  return { count: STUDY_CAPTURE_MAX, why: `the first ${STUDY_CAPTURE_MAX} bytes the study's filter dumps (no captured= line announces more)` };
}

interface KernelDump extends Dump {
  keyed: boolean;
  seq: number;
  pktType: number | null;
  protocol: number | null;
  ifindex: number | null;
  captured: number | null;
}

/** What is missing from a finished kernel dump, or null: every check that the log's own announcements allow. */
function incomplete(d: KernelDump): string | null {
  const dumped = d.bytes.length;
  const needs = (field: string) => `${d.label} has no "${field}" line, which the dump program prints for every packet: lines are missing`;
  // bpf/dump.h prints both metadata lines for every packet, and the harness's own rendering prints ifindex only
  // with the protocol: without them, lines were lost, not absent.
  if (d.keyed && (d.pktType === null || d.protocol === null)) return needs('pkt_type=N protocol=0xNNNN');
  if (d.ifindex !== null && d.protocol === null) return needs('protocol=0xNNNN');
  if ((d.keyed || d.pktType !== null || d.protocol !== null) && d.captured === null) return needs('ifindex=N captured=N');
  if (d.captured !== null && dumped !== d.captured) return `${d.label} announced captured=${d.captured} but dumped ${dumped} bytes`;
  // No metadata: the study's format, whose filter printed the first 128 bytes of every packet. Fewer means
  // byte lines were lost (a short capture here would be a lie about the packet); more cannot get past kernelLimit.
  const expected = Math.min(d.length, STUDY_CAPTURE_MAX);
  if (d.captured === null && dumped < expected) {
    return `${d.label} announced ${d.length} bytes but dumped ${dumped} (the study's filter dumps the first ${STUDY_CAPTURE_MAX} bytes of every packet, so ${expected - dumped} byte line(s) are missing)`;
  }
  return null;
}

/** A line that was skipped as someone else's (or blank): when a gap follows it, it is the likely culprit. */
interface Skipped {
  line: number;
  text: string;
}

/** One kernel log being read, line by line: the packets being collected, the runs seen, where trace_pipe lost lines. */
class KernelLogParser {
  readonly runs: ParsedKernelLog['runs'] = [];
  readonly dumps: KernelDump[] = [];
  lost: ParsedKernelLog['lost'] = null;
  // The packet each key is collecting; '' is the study's untagged stream, which has no key and so
  // relies on position. A key's header closes its previous packet (the 16-bit sequence wraps).
  private readonly open = new Map<string, KernelDump>();
  private untagged = 0;
  private skipped: Skipped | null = null;

  constructor(private readonly wanted: number | undefined) {}

  /** A gap in trace_pipe output is almost always the kernel dropping events, so say so when it did. */
  fail(line: number, reason: string, atEnd = false): never {
    const lost = this.lost === null ? '' : ` (trace_pipe reported lost events at line ${this.lost.line})`;
    throw new DumpLogError(line, reason + lost, { atEnd });
  }

  line(raw: string, n: number): void {
    const lostEvents = LOST_EVENTS.exec(raw);
    if (lostEvents) {
      this.lost ??= { line: n, events: Number(lostEvents[1]) };
      return;
    }
    const { message } = messageOf(raw);
    const keyed = KEY.exec(message);
    if (!keyed) this.checkDamagedKey(message, n);
    const text = keyed ? (keyed[2] ?? '') : message;
    const msg = classify(text);
    const tag = keyed ? parseInt(keyed[1], 16) >>> 16 : null;
    this.noteRun(tag, keyed !== null, msg, n);
    if (keyed && this.wanted !== undefined && tag !== this.wanted) return;
    if (msg.kind === 'header' && msg.side === 'Userspace') {
      throw new DumpLogError(n, 'found a "Userspace: Received" header: this looks like a userspace (server output) log, not a kernel log', {
        wrongLog: true,
      });
    }
    // With a tag, the study's untagged lines belong to someone else.
    if (!keyed && this.wanted !== undefined) return;
    const key = keyed ? { slot: `edl${keyed[1]}`, seq: parseInt(keyed[1], 16) & 0xffff } : null;
    const slot = key?.slot ?? '';
    const where = key ? ` (packet ${slot})` : '';
    switch (msg.kind) {
      case 'header':
        return this.header(key, msg.length, n);
      case 'byte':
        return this.byte(slot, msg, where, n);
      case 'meta':
        return this.meta(slot, msg.fields, text.trim(), where, n);
      case 'damaged':
        return this.fail(n, msg.reason + where);
      case 'empty':
      case 'other':
        // A stranger's untagged printk is noise; an unreadable (or, as bpf/dump.h never prints one, empty) message
        // under our own key is damage.
        if (key) this.fail(n, msg.kind === 'empty' ? `the key ${slot} with no message after it (a cut line?)` : `unrecognised message ${quote(text)}${where}`);
        this.skipped = { line: n, text: raw };
        return;
    }
  }

  /** With a tag, a damaged key may well be another run's: only one that could be the wanted tag's counts. */
  private checkDamagedKey(message: string, n: number): void {
    const damaged = DAMAGED_KEY.exec(message);
    if (damaged && (this.wanted === undefined || mayBeTag(damaged[1], this.wanted))) this.fail(n, `damaged edl key in ${quote(message)}`);
  }

  /** Every run is listed, the ones the tag filters out too: a key marks a run's line, a header the study's. */
  private noteRun(tag: number | null, keyed: boolean, msg: Message, n: number): void {
    const isHeader = msg.kind === 'header' && msg.side === 'Kernelspace';
    if (!keyed && !isHeader) return;
    const run = this.runs.find((r) => r.tag === tag) ?? this.runs[this.runs.push({ tag, line: n, headers: 0 }) - 1];
    if (isHeader) run.headers++;
  }

  private header(key: { slot: string; seq: number } | null, length: number, n: number): void {
    const dump: KernelDump = {
      label: key?.slot ?? 'the packet',
      line: n,
      lastLine: n,
      length,
      bytes: [],
      keyed: key !== null,
      seq: key?.seq ?? this.untagged++,
      pktType: null,
      protocol: null,
      ifindex: null,
      captured: null,
    };
    this.dumps.push(dump);
    this.open.set(key?.slot ?? '', dump);
  }

  private byte(slot: string, msg: { index: number; value: number }, where: string, n: number): void {
    const dump = this.open.get(slot) ?? this.fail(n, `byte[${msg.index}] before any "Kernelspace: Received" header${where}${skippedHint(this.skipped, n, undefined)}`);
    const error = addByte(dump, msg, kernelLimit(dump));
    if (error) this.fail(n, error + where + skippedHint(this.skipped, n, dump));
    dump.lastLine = n;
  }

  private meta(slot: string, fields: [MetaName, number][], text: string, where: string, n: number): void {
    const dump = this.open.get(slot) ?? this.fail(n, `"${text}" before any "Kernelspace: Received" header${where}`);
    // Metadata is printed before the bytes: after them it is another packet's line, pasted or misplaced.
    if (dump.bytes.length > 0) this.fail(n, `"${text}" after byte lines of ${dump.label} (its metadata comes first)`);
    for (const [name, value] of fields) {
      const field = META_FIELD[name];
      if (dump[field] !== null) this.fail(n, `${name} repeated${where}`);
      if (field === 'captured' && value > Math.min(dump.length, DUMP_CAPTURE_MAX)) {
        const most = value > dump.length ? `the ${dump.length} bytes received` : `the ${DUMP_CAPTURE_MAX} bytes a dump program captures at most`;
        this.fail(n, `captured=${value} is more than ${most}${where}`);
      }
      dump[field] = value;
    }
    dump.lastLine = n;
  }

  /** Whole-log problems, found at the end: no packet (of the tag), or a packet whose dump never finished. */
  finish(lineCount: number): ParsedKernelLog {
    const end = Math.max(1, lineCount);
    if (this.dumps.length === 0) {
      const tags = this.runs.flatMap((r) => (r.tag === null ? [] : ['0x' + r.tag.toString(16)]));
      if (this.wanted !== undefined && this.runs.length > 0) {
        this.fail(end, `no packet with tag 0x${this.wanted.toString(16)} (tags seen: ${tags.join(', ') || 'none, only untagged lines'})`, true);
      }
      this.fail(end, lineCount === 0 ? 'the file is empty: no packet found' : 'no packet found: no "Kernelspace: Received N bytes, dumping" line', true);
    }
    for (const d of this.dumps) {
      const problem = incomplete(d);
      if (problem) this.fail(d.line, `${problem}${d.lastLine === lineCount ? ' (its last line is the last of the file: cut short?)' : ''}`);
    }
    return {
      runs: this.runs,
      lost: this.lost,
      headerLines: this.dumps.map((d) => d.line),
      packets: this.dumps.map((d) => ({ seq: d.seq, length: d.length, bytes: Uint8Array.from(d.bytes), pktType: knownPktType(d.pktType), protocol: d.protocol, ifindex: d.ifindex })),
    };
  }
}

export function parseKernelLog(text: string, opts: { tag?: number } = {}): ParsedKernelLog {
  if (opts.tag !== undefined && !(Number.isInteger(opts.tag) && opts.tag >= 0 && opts.tag <= 0xffff)) {
    throw new RangeError(`tag must be a 16-bit integer, got ${opts.tag}`);
  }
  const { lines, cutOff } = splitLines(text);
  const parser = new KernelLogParser(opts.tag);
  lines.forEach((raw, i) => parser.line(raw, i + 1));
  if (cutOff) parser.fail(lines.length, cutOffReason(lines.length));
  return parser.finish(lines.length);
}

/** When a dump's gap comes right after a line that was skipped as someone else's (or blank), that line is
 *  most likely the dump's own, cut or garbled: say so, with its number. */
function skippedHint(skipped: Skipped | null, n: number, dump: Dump | undefined): string {
  if (!skipped || skipped.line !== n - 1 || (dump && dump.lastLine !== n - 2)) return '';
  return ` (line ${n - 1} just before is not a dump line: ${quote(skipped.text)}; damaged?)`;
}

/** Whether the hex digits left of a damaged key agree with the tag (its first four digits). */
function mayBeTag(digits: string, tag: number): boolean {
  const wanted = tag.toString(16).padStart(4, '0');
  return wanted.startsWith(digits.slice(0, 4));
}

/** The reads of a server's log. An empty log is no reads (a filter that drops everything leaves one). */
export function parseUserLog(text: string): UserRead[] {
  const { lines, cutOff } = splitLines(text);
  const reads: Dump[] = [];
  let skipped: Skipped | null = null;
  const kernelLog = (n: number) => {
    throw new DumpLogError(n, 'this looks like a kernel log (trace_pipe / "Kernelspace:" lines), not a userspace one', { wrongLog: true });
  };
  lines.forEach((raw, i) => {
    const n = i + 1;
    const { message, traced } = messageOf(raw);
    const msg = classify(message);
    if (traced || KEY.test(message) || msg.kind === 'meta' || (msg.kind === 'header' && msg.side === 'Kernelspace')) kernelLog(n);
    const read = reads.at(-1);
    if (msg.kind === 'header') reads.push({ label: 'read', line: n, lastLine: n, length: msg.length, bytes: [] });
    else if (msg.kind === 'damaged') throw new DumpLogError(n, msg.reason);
    else if (msg.kind === 'byte') {
      if (!read) throw new DumpLogError(n, `byte[${msg.index}] before any "Userspace: Received" header`);
      const error = addByte(read, msg, announced(read.length));
      if (error) throw new DumpLogError(n, error + skippedHint(skipped, n, read));
      read.lastLine = n;
    } else skipped = { line: n, text: raw };
    // Anything else (blank separators, other server output) carries no bytes.
  });
  if (cutOff) throw new DumpLogError(lines.length, cutOffReason(lines.length));
  if (reads.length === 0 && lines.some((l) => l.trim() !== '')) {
    throw new DumpLogError(lines.length, 'no read found: no "Userspace: Received N bytes, dumping" line (an empty file would mean no reads)', { atEnd: true });
  }
  return reads.map((r) => {
    // A UserRead has no length of its own, so a short dump would silently become a short read.
    if (r.bytes.length !== r.length) {
      const cut = r.lastLine === lines.length ? ' (its last line is the last of the file: cut short?)' : '';
      throw new DumpLogError(r.line, `read announced ${r.length} bytes but dumped ${r.bytes.length}${cut}`);
    }
    return { bytes: Uint8Array.from(r.bytes) };
  });
}

const byteText = (b: number, i: number) => `\tbyte[${i}]=0x${b.toString(16)}`;

/**
 * The kernel log as the study's filter printed it (its messages without trace_pipe's prefixes). With a tag every line carries the edl key
 * (so seq survives modulo 2^16); without one the lines are the study's and seq becomes the position. A packet with
 * metadata, or a capture other than the study's (the first 128 bytes), gets a captured= line, so the parser can tell it whole.
 */
export function renderKernelLog(packets: KernelPacket[], tag?: number): string {
  if (tag !== undefined && !(Number.isInteger(tag) && tag >= 0 && tag <= 0xffff)) {
    throw new RangeError(`tag must be a 16-bit integer, got ${tag}`);
  }
  const out: string[] = [];
  for (const p of packets) {
    const key = tag === undefined ? '' : `edl${(((tag << 16) | (p.seq & 0xffff)) >>> 0).toString(16).padStart(8, '0')} `;
    out.push(`${key}Kernelspace: Received ${p.length} bytes, dumping`);
    const kind = [p.pktType !== null && `pkt_type=${p.pktType}`, p.protocol !== null && `protocol=0x${p.protocol.toString(16).padStart(4, '0')}`];
    if (p.pktType !== null || p.protocol !== null) out.push(key + kind.filter(Boolean).join(' '));
    const studyLike = p.pktType === null && p.protocol === null && p.bytes.length === Math.min(p.length, STUDY_CAPTURE_MAX);
    if (p.ifindex !== null) out.push(`${key}ifindex=${p.ifindex} captured=${p.bytes.length}`);
    else if (!studyLike) out.push(`${key}captured=${p.bytes.length}`);
    p.bytes.forEach((b, i) => out.push(key + byteText(b, i)));
    if (tag === undefined) out.push(''); // the study's empty message after each packet
  }
  return out.map((l) => l + '\n').join('');
}

/** The userspace log, as the study's server printed each read. */
export function renderUserLog(reads: UserRead[]): string {
  return reads
    .map((r) => [`Userspace: Received ${r.bytes.length} bytes, dumping`, ...Array.from(r.bytes, byteText), ''].map((l) => l + '\n').join(''))
    .join('');
}
