// Parse and render the text logs of a dump: the kernel side (trace_pipe, in the 2017 study's format or
// this harness's tagged one, with or without the trace prefix) and the user side (the server's output).
import type { KernelPacket, UserRead } from '../../vocabulary/observations.ts';

export interface ParsedKernelLog {
  packets: KernelPacket[];
  /** Distinct run tags seen in the log (including ones `opts.tag` filtered out), in order of first appearance. */
  tags: number[];
}

/** A log that cannot be read faithfully; `line` is 1-based (null when the problem is the whole log). */
export class DumpLogError extends Error {
  constructor(
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(line === null ? reason : `line ${line}: ${reason}`);
    this.name = 'DumpLogError';
  }
}

// trace_pipe puts "comm-pid [cpu] flags timestamp: " (columns vary by kernel) before the event name:
// "bpf_trace_printk" on modern kernels, nothing on the study's 4.x kernel (": : "). An editor may have
// trimmed the space after an empty study message, hence the end-of-line alternative.
const TRACE_PREFIX = /: (?:bpf_trace_printk)?:(?: |$)/;
// "edl" + (tag << 16 | seq & 0xffff), as bpf/dump.bpf.c prints it before every message.
const KEY = /^edl([0-9a-f]{8})(?: (.*))?$/;
const HEADER = /^(Kernelspace|Userspace): Received (\d+) bytes, dumping$/;
const BYTE = /^\s*byte\[(\d+)\]=(.*)$/;
const BYTE_VALUE = /^0x[0-9a-f]{1,2}$/i;
const META_FIELD = /^(pkt_type|protocol|ifindex|captured)=(0x[0-9a-f]+|\d+)$/i;
const LOST_EVENTS = /\[LOST \d+ EVENTS\]/;
const META_NAMES: Record<string, 'pktType' | 'protocol' | 'ifindex' | 'captured'> = {
  pkt_type: 'pktType',
  protocol: 'protocol',
  ifindex: 'ifindex',
  captured: 'captured',
};

type Message =
  | { kind: 'header'; side: 'Kernelspace' | 'Userspace'; length: number }
  | { kind: 'byte'; index: number; value: string }
  | { kind: 'meta'; fields: [string, number][] }
  | { kind: 'empty' }
  | { kind: 'other' };

function lines(text: string): string[] {
  const all = text.split(/\r?\n/);
  if (all.at(-1) === '') all.pop(); // the final newline does not start a line
  return all;
}

/** The printk message of a line: what follows the trace prefix, or the whole line when there is none. */
function messageOf(line: string): { message: string; traced: boolean } {
  const m = TRACE_PREFIX.exec(line);
  return m ? { message: line.slice(m.index + m[0].length), traced: true } : { message: line, traced: false };
}

function classify(message: string): Message {
  const text = message.trimEnd();
  if (text === '') return { kind: 'empty' };
  let m = HEADER.exec(text);
  if (m) return { kind: 'header', side: m[1] as 'Kernelspace' | 'Userspace', length: Number(m[2]) };
  m = BYTE.exec(text);
  if (m) return { kind: 'byte', index: Number(m[1]), value: m[2] };
  const fields = text.split(' ').map((token) => META_FIELD.exec(token));
  if (fields.every((f) => f !== null)) {
    return { kind: 'meta', fields: fields.map((f) => [f![1].toLowerCase(), Number(f![2])]) };
  }
  return { kind: 'other' };
}

/** One packet or read while its lines are being collected. */
interface Dump {
  label: string; // how errors name it: the edl key, or the header's kind
  line: number; // its header line
  length: number;
  bytes: number[];
}

/** Appends a byte line to a dump, rejecting anything that would make the byte array lie. */
function addByte(dump: Dump, msg: { index: number; value: string }, limit: number): string | null {
  const { index } = msg;
  const have = dump.bytes.length;
  if (!BYTE_VALUE.test(msg.value)) return `byte[${index}] has a bad value "${msg.value}"`;
  if (index < have) return `byte[${index}] repeated (byte[0..${have - 1}] already dumped)`;
  if (index > have) return have === 0 ? `byte[${index}] out of order: expected byte[0] first` : `byte[${index}] out of order after byte[${have - 1}]`;
  if (index >= limit) return `byte[${index}] beyond the ${limit} bytes announced for it`;
  dump.bytes.push(Number(msg.value));
  return null;
}

interface KernelDump extends Dump {
  seq: number;
  pktType: number | null;
  protocol: number | null;
  ifindex: number | null;
  captured: number | null;
}

export function parseKernelLog(text: string, opts: { tag?: number } = {}): ParsedKernelLog {
  const wanted = opts.tag;
  if (wanted !== undefined && !(Number.isInteger(wanted) && wanted >= 0 && wanted <= 0xffff)) {
    throw new RangeError(`tag must be a 16-bit integer, got ${wanted}`);
  }
  const tags: number[] = [];
  const dumps: KernelDump[] = [];
  // The packet each key is collecting; '' is the study's untagged stream, which has no key and so
  // relies on position. A key's header closes its previous packet (the 16-bit sequence wraps).
  const open = new Map<string, KernelDump>();
  let untagged = 0;
  let lostAt: number | null = null;
  // A gap in trace_pipe output is almost always the kernel dropping events, so say so when it did.
  const fail = (line: number | null, reason: string): never => {
    throw new DumpLogError(line, lostAt === null ? reason : `${reason} (trace_pipe reported lost events at line ${lostAt})`);
  };

  lines(text).forEach((raw, i) => {
    const n = i + 1;
    if (LOST_EVENTS.test(raw)) lostAt ??= n;
    let { message } = messageOf(raw);
    let slot = '';
    let seq = untagged;
    const keyed = KEY.exec(message);
    if (keyed) {
      const key = parseInt(keyed[1], 16);
      if (!tags.includes(key >>> 16)) tags.push(key >>> 16);
      if (wanted !== undefined && key >>> 16 !== wanted) return;
      [slot, seq, message] = [`edl${keyed[1]}`, key & 0xffff, keyed[2] ?? ''];
    }
    const msg = classify(message);
    if (msg.kind === 'header' && msg.side === 'Userspace') {
      fail(n, 'found a "Userspace: Received" header: this looks like a userspace (server output) log, not a kernel log');
    }
    // With a tag, the study's untagged lines belong to someone else.
    if (!keyed && wanted !== undefined) return;
    const where = slot ? ` (packet ${slot})` : '';
    switch (msg.kind) {
      case 'header': {
        const dump: KernelDump = { label: slot || 'packet', line: n, length: msg.length, bytes: [], seq, pktType: null, protocol: null, ifindex: null, captured: null };
        if (!keyed) untagged++;
        dumps.push(dump);
        open.set(slot, dump);
        return;
      }
      case 'byte': {
        const dump = open.get(slot) ?? fail(n, `byte[${msg.index}] before any "Kernelspace: Received" header${where}`);
        const error = addByte(dump, msg, Math.min(dump.length, dump.captured ?? Infinity));
        if (error) fail(n, error + where);
        return;
      }
      case 'meta': {
        const dump = open.get(slot) ?? fail(n, `"${message.trim()}" before any "Kernelspace: Received" header${where}`);
        for (const [name, value] of msg.fields) {
          const field = META_NAMES[name];
          if (dump[field] !== null) fail(n, `${name} repeated${where}`);
          if (field === 'captured' && (value > dump.length || value < dump.bytes.length)) {
            fail(n, `captured=${value} does not fit ${dump.length} bytes received and ${dump.bytes.length} dumped${where}`);
          }
          dump[field] = value;
        }
        return;
      }
      case 'other':
        // A stranger's untagged printk is noise; an unreadable line under our own key is a bug.
        if (keyed) fail(n, `unrecognised message "${message}"${where}`);
        return;
    }
  });

  if (dumps.length === 0) {
    if (wanted !== undefined && tags.length > 0) {
      fail(null, `no packet with tag 0x${wanted.toString(16)} (tags seen: ${tags.map((t) => '0x' + t.toString(16)).join(', ')})`);
    }
    fail(null, 'no packet found: no "Kernelspace: Received N bytes, dumping" line');
  }
  return {
    tags,
    packets: dumps.map((d) => {
      // Missing byte lines at the end of a packet would otherwise pass for a short capture.
      if (d.captured !== null && d.bytes.length !== d.captured) {
        fail(d.line, `${d.label} announced captured=${d.captured} but dumped ${d.bytes.length} bytes`);
      }
      return { seq: d.seq, length: d.length, bytes: Uint8Array.from(d.bytes), pktType: d.pktType, protocol: d.protocol, ifindex: d.ifindex };
    }),
  };
}

export function parseUserLog(text: string): UserRead[] {
  const reads: Dump[] = [];
  lines(text).forEach((raw, i) => {
    const n = i + 1;
    const { message, traced } = messageOf(raw);
    const msg = classify(message);
    if (traced || KEY.test(message) || msg.kind === 'meta' || (msg.kind === 'header' && msg.side === 'Kernelspace')) {
      throw new DumpLogError(n, 'this looks like a kernel log (trace_pipe / "Kernelspace:" lines), not a userspace one');
    }
    const read = reads.at(-1);
    if (msg.kind === 'header') reads.push({ label: 'read', line: n, length: msg.length, bytes: [] });
    else if (msg.kind === 'byte') {
      if (!read) throw new DumpLogError(n, `byte[${msg.index}] before any "Userspace: Received" header`);
      const error = addByte(read, msg, read.length);
      if (error) throw new DumpLogError(n, error);
    }
    // Anything else (blank separators, other server output) carries no bytes.
  });
  if (reads.length === 0) throw new DumpLogError(null, 'no read found: no "Userspace: Received N bytes, dumping" line');
  return reads.map((r) => {
    // A UserRead has no length of its own, so a short dump would silently become a short read.
    if (r.bytes.length !== r.length) throw new DumpLogError(r.line, `read announced ${r.length} bytes but dumped ${r.bytes.length}`);
    return { bytes: Uint8Array.from(r.bytes) };
  });
}

const byteLine = (b: number, i: number) => `\tbyte[${i}]=0x${b.toString(16)}`;

/**
 * The kernel log as the study's filter printed it (its messages without trace_pipe's prefixes). With a tag every line carries the edl key
 * (so seq survives modulo 2^16); without one the lines are the study's and seq becomes the position.
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
    if (p.ifindex !== null) out.push(`${key}ifindex=${p.ifindex} captured=${p.bytes.length}`);
    p.bytes.forEach((b, i) => out.push(key + byteLine(b, i)));
    if (tag === undefined) out.push(''); // the study's empty message after each packet
  }
  return out.map((l) => l + '\n').join('');
}

/** The userspace log, as the study's server printed each read. */
export function renderUserLog(reads: UserRead[]): string {
  return reads
    .map((r) => [`Userspace: Received ${r.bytes.length} bytes, dumping`, ...Array.from(r.bytes, byteLine), ''].map((l) => l + '\n').join(''))
    .join('');
}
