import t from 'tap';
import { DumpLogError, parseKernelLog, parseUserLog, renderKernelLog, renderUserLog } from '../../../../scripts/run/capture/dump-log.ts';
import type { KernelPacket } from '../../../../scripts/vocabulary/observations.ts';

// Fixtures are built from byte arrays so every expectation is visible in the test itself.
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => (from + i * 7) & 0xff);

/** The study's trace_pipe output (format a): 4.x prefix, ": : ", first 128 bytes, an empty message after each packet. */
function studyKernelLog(packets: { length: number; bytes: number[] }[], cap = 128): string {
  const prefix = '            ncat-12354 [000] ..s1  3965.717345: : ';
  const out: string[] = [];
  for (const p of packets) {
    out.push(`${prefix}Kernelspace: Received ${p.length} bytes, dumping`);
    p.bytes.slice(0, cap).forEach((b, i) => out.push(`${prefix}\tbyte[${i}]=0x${b.toString(16)}`));
    out.push(prefix);
  }
  return out.join('\n') + '\n';
}

/** The study's server output (format b). */
function studyUserLog(reads: number[][]): string {
  return reads.map((r) => [`Userspace: Received ${r.length} bytes, dumping`, ...r.map((b, i) => `\tbyte[${i}]=0x${b.toString(16)}`), ''].join('\n') + '\n').join('');
}

/** This harness's trace_pipe lines (format c) for one packet, on one CPU, as separate lines to interleave. */
function taggedLines(tag: number, seq: number, bytes: number[], opts: { length?: number; cpu?: number; tgid?: boolean } = {}): string[] {
  const key = `edl${((tag << 16) | seq).toString(16).padStart(8, '0')}`;
  const cpu = String(opts.cpu ?? 1).padStart(3, '0');
  const prefix = `           ncat-812     ${opts.tgid ? '(    812) ' : ''}[${cpu}] b..1.  1234.567890: bpf_trace_printk: ${key} `;
  return [
    `${prefix}Kernelspace: Received ${opts.length ?? bytes.length} bytes, dumping`,
    `${prefix}pkt_type=0 protocol=0x0800`,
    `${prefix}ifindex=1 captured=${bytes.length}`,
    ...bytes.map((b, i) => `${prefix}\tbyte[${i}]=0x${b.toString(16)}`),
  ];
}

function errorOf(fn: () => unknown): DumpLogError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DumpLogError) return e;
    throw e;
  }
  throw new Error('expected a DumpLogError');
}

t.test('format (a): the study kernel log, with a truncated capture', async (t) => {
  const small = range(40, 0x93);
  const big = range(300);
  const { packets, runs } = parseKernelLog(studyKernelLog([{ length: 40, bytes: small }, { length: 300, bytes: big }]));
  t.same(runs, [{ tag: null, line: 1, headers: 2 }]);
  t.equal(packets.length, 2);
  t.match(packets[0], { seq: 0, length: 40, pktType: null, protocol: null, ifindex: null });
  t.same([...packets[0].bytes], small);
  t.match(packets[1], { seq: 1, length: 300 });
  t.same([...packets[1].bytes], big.slice(0, 128), 'only the first 128 bytes were dumped: a short capture, not an error');
});

t.test('format (a): unpadded values, CRLF and an empty message stripped of its trailing space', async (t) => {
  const text = studyKernelLog([{ length: 3, bytes: [0x0, 0xa, 0xff] }]).replace(/: : \n$/, ': :\n').replace(/\n/g, '\r\n');
  const [p] = parseKernelLog(text).packets;
  t.same([...p.bytes], [0x0, 0xa, 0xff]);
});

t.test('format (b): the study userspace log parses and renders back exactly', async (t) => {
  const reads = [range(60, 0x45), [], range(5)];
  const text = studyUserLog(reads);
  const parsed = parseUserLog(text);
  t.same(parsed.map((r) => [...r.bytes]), reads);
  t.equal(renderUserLog(parsed), text);
  t.same(parseUserLog(text.replace(/\n/g, '\r\n')).map((r) => r.bytes.length), [60, 0, 5], 'CRLF');
});

t.test('format (c): interleaved keys, TGID column, strangers and another run', async (t) => {
  const a = taggedLines(0x1a2b, 3, range(60, 0x45), { cpu: 0 });
  const b = taggedLines(0x1a2b, 4, range(20, 0x60), { cpu: 1, tgid: true, length: 1500 });
  const other = taggedLines(0x7777, 3, range(10), { cpu: 2 });
  const stranger = [
    '          <idle>-0       [002] d.s3.  1234.567000: bpf_trace_printk: hello from another program',
    '            sshd-99      [003] ..... 1234.567001: bpf_trace_printk: edl-not-a-key Kernelspace: Received 9 bytes, dumping',
    '            sshd-99      [003] ..... 1234.567002: sched_switch: prev_comm=sshd prev_pid=99',
    '            sshd-99      [003] ..... 1234.567003: : ',
  ];
  // Packet 4's lines start before packet 3's end, as two CPUs' buffers merge.
  const lines = [stranger[0], ...other.slice(0, 2), ...a.slice(0, 5), ...b.slice(0, 4), stranger[1], ...a.slice(5), stranger[2], ...b.slice(4), ...other.slice(2), stranger[3]];
  const text = lines.join('\n') + '\n';

  const mine = parseKernelLog(text, { tag: 0x1a2b });
  t.same(mine.runs.map((r) => r.tag), [0x7777, 0x1a2b], 'every tag seen, in order of first appearance');
  t.equal(mine.packets.length, 2);
  t.same(mine.packets[0], { seq: 3, length: 60, bytes: Uint8Array.from(range(60, 0x45)), pktType: 0, protocol: 0x0800, ifindex: 1 });
  t.same(mine.packets[1], { seq: 4, length: 1500, bytes: Uint8Array.from(range(20, 0x60)), pktType: 0, protocol: 0x0800, ifindex: 1 });

  const all = parseKernelLog(text);
  t.same(all.packets.map((p) => [p.seq, p.length]), [[3, 10], [3, 60], [4, 1500]], 'without a tag every run counts, in order of first appearance');
  t.same(parseKernelLog(text, { tag: 0x7777 }).packets.map((p) => p.bytes.length), [10]);
});

t.test('format (c): a key reused after the 16-bit sequence wraps starts a new packet', async (t) => {
  const text = [...taggedLines(1, 5, [1, 2]), ...taggedLines(1, 5, [3])].join('\n') + '\n';
  t.same(parseKernelLog(text).packets.map((p) => [...p.bytes]), [[1, 2], [3]]);
});

t.test('with a tag, untagged study lines are ignored; without, they count alongside tagged ones', async (t) => {
  const text = studyKernelLog([{ length: 2, bytes: [9, 9] }]) + taggedLines(2, 7, [1]).join('\n') + '\n';
  t.same(parseKernelLog(text, { tag: 2 }).packets.map((p) => p.seq), [7]);
  t.same(parseKernelLog(text).packets.map((p) => [p.seq, p.length]), [[0, 2], [7, 1]]);
});

const packets: KernelPacket[] = [
  { seq: 0, length: 60, bytes: Uint8Array.from(range(60, 0x45)), pktType: 0, protocol: 0x0800, ifindex: 1 },
  { seq: 1, length: 2000, bytes: Uint8Array.from(range(1024)), pktType: 4, protocol: 0x86dd, ifindex: 2 },
  { seq: 2, length: 14, bytes: new Uint8Array(), pktType: 0, protocol: 0x0800, ifindex: 1 },
  { seq: 3, length: 5, bytes: Uint8Array.from([1, 2, 3]), pktType: null, protocol: 0x0806, ifindex: null },
  { seq: 4, length: 1, bytes: Uint8Array.from([0]), pktType: null, protocol: null, ifindex: null },
];

t.test('format (d): render then parse gives the packets back', async (t) => {
  // The dump program prints every metadata line for a tagged packet: only those can round-trip tagged.
  const full = packets.filter((p) => p.pktType !== null && p.protocol !== null && p.ifindex !== null);
  const tagged = renderKernelLog(full, 0x1a2b);
  t.ok(tagged.startsWith('edl1a2b0000 Kernelspace: Received 60 bytes, dumping\nedl1a2b0000 pkt_type=0 protocol=0x0800\nedl1a2b0000 ifindex=1 captured=60\nedl1a2b0000 \tbyte[0]=0x45\n'));
  t.same(parseKernelLog(tagged).packets, full);
  t.same(parseKernelLog(tagged).runs, [{ tag: 0x1a2b, line: 1, headers: full.length }]);
  t.same(parseKernelLog(tagged, { tag: 0x1a2b }).packets, full);
  t.match(errorOf(() => parseKernelLog(renderKernelLog(packets.slice(3), 0x1a2b))).message, /^line 1: edl1a2b0003 has no "pkt_type=N protocol=0xNNNN" line/);

  const plain = renderKernelLog(packets);
  t.same(parseKernelLog(plain).packets, packets);
  const studyOnly = packets.map((p) => ({ ...p, pktType: null, protocol: null, ifindex: null }));
  t.equal(renderKernelLog(studyOnly.slice(0, 1)), studyKernelLog([{ length: 60, bytes: range(60, 0x45) }]).replace(/^.*?: : /gm, ''), 'without metadata it is the study format');
  t.same(parseKernelLog(renderKernelLog(studyOnly)).packets, studyOnly);
});

t.test('errors carry the line number and the reason', async (t) => {
  const study = studyKernelLog([{ length: 6, bytes: range(6) }]).split('\n');
  const gap = [...study.slice(0, 3), ...study.slice(4)].join('\n'); // drop byte[2]
  t.equal(errorOf(() => parseKernelLog(gap)).message, 'line 4: byte[3] out of order after byte[1]');

  const repeated = [...study.slice(0, 4), study[3], ...study.slice(4)].join('\n');
  t.equal(errorOf(() => parseKernelLog(repeated)).message, 'line 5: byte[2] repeated (byte[0..2] already dumped)');

  const tooMany = studyKernelLog([{ length: 6, bytes: range(6) }]).replace('Received 6', 'Received 4');
  t.equal(errorOf(() => parseKernelLog(tooMany)).message, 'line 6: byte[4] beyond the 4 bytes announced for it');

  const tagged = taggedLines(9, 1, range(4));
  const taggedGap = [...tagged.slice(0, 4), ...tagged.slice(5)].join('\n') + '\n';
  const e = errorOf(() => parseKernelLog(taggedGap, { tag: 9 }));
  t.equal(e.line, 5);
  t.equal(e.reason, 'byte[2] out of order after byte[0] (packet edl00090001)');

  const lost = [tagged[0], 'CPU:1 [LOST 12 EVENTS]', ...tagged.slice(4)].join('\n') + '\n'; // byte[0] went missing
  t.equal(
    errorOf(() => parseKernelLog(lost)).message,
    'line 3: byte[1] out of order: expected byte[0] first (packet edl00090001) (trace_pipe reported lost events at line 2)',
  );

  const tail = tagged.slice(0, -1).join('\n') + '\n';
  t.equal(errorOf(() => parseKernelLog(tail)).message, 'line 1: edl00090001 announced captured=4 but dumped 3 bytes (its last line is the last of the file: cut short?)');

  const orphan = tagged.slice(3).join('\n') + '\n';
  t.equal(errorOf(() => parseKernelLog(orphan)).message, 'line 1: byte[0] before any "Kernelspace: Received" header (packet edl00090001)');

  const garbled = [tagged[0], tagged[1].replace('protocol=0x0800', 'proto=IP')].join('\n') + '\n';
  t.match(errorOf(() => parseKernelLog(garbled)).message, /^line 2: damaged metadata line "pkt_type=0 proto=IP"/);

  const badValue = studyKernelLog([{ length: 2, bytes: [1, 2] }]).replace('=0x2', '=0x2zz');
  t.equal(errorOf(() => parseKernelLog(badValue)).message, 'line 3: byte[1] has a bad value "0x2zz"');

  const shortRead = studyUserLog([range(5)]).replace('Received 5', 'Received 6');
  t.equal(errorOf(() => parseUserLog(shortRead)).message, 'line 1: read announced 6 bytes but dumped 5');
  t.equal(errorOf(() => parseUserLog(studyUserLog([range(5)]).replace('byte[4]', 'byte[3]'))).message, 'line 6: byte[3] repeated (byte[0..3] already dumped)');
});

t.test('the wrong kind of log, or no packet, says so', async (t) => {
  t.match(errorOf(() => parseKernelLog(studyUserLog([range(3)]))).message, /^line 1: .*looks like a userspace \(server output\) log/);
  t.match(errorOf(() => parseUserLog(studyKernelLog([{ length: 3, bytes: range(3) }]))).message, /^line 1: this looks like a kernel log/);
  t.match(errorOf(() => parseUserLog(renderKernelLog(packets))).message, /^line 1: this looks like a kernel log/);
  t.match(errorOf(() => parseUserLog(renderKernelLog(packets, 3))).message, /^line 1: this looks like a kernel log/);

  const none = errorOf(() => parseKernelLog('            sshd-99  [003] ..... 1.0: bpf_trace_printk: hello\n'));
  t.equal(none.line, 1, 'a whole-log problem names the end of the file');
  t.ok(none.atEnd);
  t.match(none.message, /^at the end of the file \(line 1\): no packet found/);
  t.match(errorOf(() => parseKernelLog('')).message, /^at the end of the file \(line 1\): the file is empty: no packet found/);
  t.equal(errorOf(() => parseKernelLog(taggedLines(1, 0, [1]).join('\n') + '\n', { tag: 2 })).message, 'at the end of the file (line 4): no packet with tag 0x2 (tags seen: 0x1)');
  t.match(errorOf(() => parseUserLog('server listening on 4242\n')).message, /^at the end of the file \(line 1\): no read found/);
  t.same(parseUserLog(''), [], 'an empty server log is no reads (a filter that drops everything)');
  t.throws(() => parseKernelLog('', { tag: 0x10000 }), RangeError);
});

t.test('damage the old parser took for data is refused at its line', async (t) => {
  const study = studyKernelLog([{ length: 6, bytes: range(6) }]);
  const lines = study.split('\n');
  const msg = (text: string) => errorOf(() => parseKernelLog(text)).message;
  // A line cut inside the trace prefix was skipped as someone else's; the gap after it names it.
  t.equal(msg([...lines.slice(0, 3), lines[3].slice(0, 20), ...lines.slice(4)].join('\n')), `line 5: byte[3] out of order after byte[1] (line 4 just before is not a dump line: ${JSON.stringify(lines[3].slice(0, 20))}; damaged?)`);
  // A byte line cut before its value, or an index that is not %u.
  t.match(msg(study.replace(/\tbyte\[2\]=0x\w+/, '\tbyte[2')), /^line 4: damaged dump line "byte\[2"/);
  t.match(msg(study.replace('byte[2]', 'byte[02]')), /^line 4: byte\[02\] is not a byte index/);
  // The file cut off inside its last line: "0xab" may have been "0xa".
  t.match(msg(study.trimEnd().replace(/\n[^\n]*$/, '')), /^line 7: the file ends inside line 7 \(it has no newline\)/);
  // The study's filter dumped min(len, 128) bytes: fewer means lines were lost, not a short capture.
  t.match(msg(lines.filter((l) => !l.includes('byte[5]')).join('\n')), /^line 1: the packet announced 6 bytes but dumped 5 \(the study's filter dumps the first 128 bytes/);
  t.match(msg(study.replace('Received 6 bytes', 'Received 4294967295 bytes')), /^line 1: "Kernelspace: Received "4294967295" bytes" is not a packet length/);
  // Metadata comes as the harness prints it, before the bytes; a lost metadata line is refused.
  const tagged = taggedLines(9, 1, range(4));
  t.match(msg([tagged[0], 'edl00090001 pkt_type=0', ...tagged.slice(2)].join('\n') + '\n'), /^line 2: damaged metadata line "pkt_type=0"/);
  t.match(msg([...tagged.slice(0, 2), ...tagged.slice(3)].join('\n') + '\n'), /^line 1: edl00090001 has no "ifindex=N captured=N" line/);
  // A byte-order mark and CRLF are an editor's: the log still reads.
  t.same(parseKernelLog('\uFEFF' + study.replace(/\n/g, '\r\n')).packets.map((p) => p.bytes.length), [6]);
  const lost = parseKernelLog(study + 'CPU:0 [LOST 3 EVENTS]\n');
  t.same(lost.lost, { line: 9, events: 3 }, 'lost events are reported (the importer refuses them)');
});
