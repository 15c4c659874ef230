// Every result's pcapng files opened with tshark, a second and independent decoder, which must agree with the harness's own.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { tempDir } from '../helpers.ts';
import { RESULTS_DIR } from '../../scripts/support/paths.ts';
import { decode } from '../../scripts/analysis/decode.ts';
import { TCP_FLAG_NAMES, type LayerName } from '../../scripts/vocabulary/layers.ts';
import { decodeSummaryPacket, type Summary, type SummaryPacket } from '../../scripts/report/summary-json.ts';
import { kernelPcapng, userPcapng } from '../../scripts/report/pcapng.ts';
import { ICMP_ECHO, SYN6 } from '../fixtures/packets.ts';

const TSHARK = spawnSync('tshark', ['--version']).error ? 'tshark not installed — run as root: bash scripts/bootstrap.sh test' : false;

/** One frame as `tshark -T json -x` gives it: protocol layers by name, `<name>_raw` = [hex, offset, length, …]. */
type Frame = Record<string, any>;

/** Wireshark's protocol names for the harness's layers; 'ethertype' and 'exported_pdu' are framing, not layers. */
const WS_NAMES: Record<string, LayerName> = {
  eth: 'ethernet',
  ip: 'ipv4',
  ipv6: 'ipv6',
  tcp: 'tcp',
  udp: 'udp',
  sctp: 'sctp',
  icmp: 'icmp',
  icmpv6: 'icmp',
  data: 'payload',
};
const FRAMING = new Set(['frame', 'exported_pdu', 'ethertype']);

/** results/<experiment>/summary.json and results/kernels/<kernel>/<experiment>/summary.json. */
function summaryFiles(): string[] {
  const dirs = (dir: string) =>
    existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name)) : [];
  const kernels = dirs(join(RESULTS_DIR, 'kernels'));
  return [...dirs(RESULTS_DIR), ...kernels.flatMap(dirs)].map((d) => join(d, 'summary.json')).filter(existsSync);
}

async function tshark(file: string, home: string): Promise<Frame[]> {
  // A clean environment: no user preferences or plugins of whoever runs the tests.
  const env = { PATH: process.env.PATH, HOME: home, LC_ALL: 'C.UTF-8' };
  // Sequence analysis off: with sequence numbers masked it takes a segment for a retransmission and then leaves
  // its payload undissected (trim-tcp's resent data), which is about Wireshark's analysis, not the file.
  const r = await execa('tshark', ['-n', '-o', 'tcp.analyze_sequence_numbers:FALSE', '-r', file, '-T', 'json', '-x'], { env, extendEnv: false, reject: false });
  if (r.exitCode !== 0) throw new Error(`tshark -r ${file} exited ${r.exitCode}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { _source: { layers: Frame } }[]).map((f) => f._source.layers);
}

/** Runs `work` over `items`, `limit` at a time: one tshark per file, the CPUs kept busy. */
async function pool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

interface View {
  hex: string;
  length: number;
  startsWith: LayerName;
}

/** Where tshark disagrees with the harness's decoding of the same bytes (empty when they agree). */
function disagreements(v: View, f: Frame): string[] {
  const d = decode(Buffer.from(v.hex, 'hex'), { length: v.length, startsWith: v.startsWith });
  const out: string[] = [];
  const expect = (what: string, theirs: unknown, ours: unknown) => {
    if (JSON.stringify(theirs) !== JSON.stringify(ours)) out.push(`${what}: tshark ${JSON.stringify(theirs)}, harness ${JSON.stringify(ours)}`);
  };
  // The exported-PDU header sits before the view's bytes: everything tshark places is shifted by its length.
  const shift: number = f.exported_pdu_raw?.[2] ?? 0;
  expect('captured length', Number(f.frame['frame.cap_len']) - shift, v.hex.length / 2);
  expect('original length', Number(f.frame['frame.len']) - shift, v.length);
  expect('bytes', (f.frame_raw[0] as string).slice(2 * shift), v.hex);

  // SCTP dissects its chunks itself, so what follows its header is no separate layer there. What an ICMP error
  // quotes (its payload here) tshark dissects as the layers the harness decodes the quote into.
  const named = (layers: typeof d.layers) =>
    layers.filter((l, i) => l.name !== 'payload' || (l.length > 0 && layers[i - 1]?.name !== 'sctp')).map((l) => l.name);
  const ours = d.quoted ? [...named(d.layers.filter((l) => l.name !== 'payload')), ...named(d.quoted.layers)] : named(d.layers);
  const theirs = String(f.frame['frame.protocols'])
    .split(':')
    .filter((p) => !FRAMING.has(p))
    .map((p) => WS_NAMES[p] ?? p);
  const quoting = d.quoted !== null;
  expect('layers', theirs, ours);
  for (const l of d.layers) {
    const ws = Object.keys(WS_NAMES).find((k) => WS_NAMES[k] === l.name && f[`${k}_raw`]);
    if (ws && (l.name !== 'payload' || (l.length > 0 && !quoting))) expect(`${l.name} offset`, f[`${ws}_raw`][1] - shift, l.offset);
  }

  const ip = f.ip ? ['ip.src', 'ip.dst'].map((k) => f.ip[k]) : f.ipv6 ? ['ipv6.src', 'ipv6.dst'].map((k) => f.ipv6[k]) : [null, null];
  expect('addresses', ip, [d.src, d.dst]);
  const transport = ['tcp', 'udp', 'sctp'].find((k) => f[k]);
  const ports = transport ? [`${transport}.srcport`, `${transport}.dstport`].map((k) => Number(f[transport][k])) : [null, null];
  expect('ports', ports, [d.srcPort, d.dstPort]);
  const flags = f.tcp ? TCP_FLAG_NAMES.filter((_, bit) => Number(f.tcp['tcp.flags']) & (1 << bit)) : null;
  expect('TCP flags', flags, d.tcpFlags);
  if (f.tcp) expect('TCP payload length', Number(f.tcp['tcp.len']), d.payloadLength);
  const payload = d.layers.at(-1)!;
  const payloadHex = v.hex.slice(2 * payload.offset, 2 * (payload.offset + payload.length));
  if (f.data && !quoting) expect('payload bytes', f.data['data.data'].replaceAll(':', ''), payloadHex);
  return out;
}

const comment = (f: Frame): string => f.pkt_comment?.['frame.comment'] ?? '';

function checkKernel(t: Test, s: Summary, frames: Frame[]) {
  t.equal(frames.length, s.kernel_view.packets.length, 'one frame per packet');
  s.kernel_view.packets.forEach((p, i) => {
    const f = frames[i];
    if (!f) return;
    const d = decodeSummaryPacket(p);
    t.same(disagreements({ hex: p.hex, length: p.length, startsWith: d.startsWith }, f), [], `packet ${i}: ${p.summary}`);
    // Where the hook's pkt_type says nothing about direction (egress, XDP, tracing), the comment says so.
    const pktType = s.kernel_view.pkt_type_not_meaningful ? 'not meaningful here' : (p.pkt_type ?? 'n/a');
    for (const fact of [s.hook, `pkt_type ${pktType}`, `direction ${p.direction ?? 'unknown'}`]) {
      t.ok(comment(f).includes(fact), `packet ${i}'s comment says "${fact}"`);
    }
    // Egress hooks see pkt_type PACKET_HOST on packets that are leaving: the hook decides there.
    const direction = p.pkt_type === 'outgoing' || s.hook.endsWith('egress') ? 2 : p.pkt_type === null ? 0 : 1;
    t.equal(Number(f.frame['frame.packet_flags_tree']['frame.packet_flags_direction']), direction, `packet ${i}'s epb_flags direction`);
  });
}

function checkUser(t: Test, s: Summary, frames: Frame[]) {
  const reads = [
    ...s.user_view.reads.map((r, i) => ({ r, i, who: 'server recv()' })),
    ...(s.observer_view?.reads ?? []).map((r, i) => ({ r, i, who: 'observer recv()' })),
  ];
  t.equal(frames.length, reads.length, 'one frame per read');
  reads.forEach(({ r, i, who }, n) => {
    const f = frames[n];
    if (!f) return;
    t.same(disagreements({ hex: r.hex, length: r.length, startsWith: r.starts_with }, f), [], `${who} read ${i}`);
    t.equal(f.frame['frame.interface_id_tree']['frame.interface_name'], who, `${who} read ${i} is on its interface`);
    t.ok(comment(f).includes(`read ${i}: ${r.length} B, pkt_type ${r.pkt_type ?? 'n/a'}`), `${who} read ${i} is described`);
  });
}

/** Views no experiment has: every real packet cut at each of its layers, ICMP errors, IPv6 and ICMP headers first. */
function cuts(summaries: Summary[]): Summary {
  // A summary with packets: each cut copies its first packet's metadata (cbpf-tcp and counter record none).
  const base = summaries.find((s) => s.kernel_view.packets.length > 0)!;
  const packet = (starts_with: LayerName, hex: string, length: number, protocol = '0x0800'): SummaryPacket => ({
    ...base.kernel_view.packets[0],
    starts_with,
    hex,
    length,
    captured: hex.length / 2,
    protocol,
    summary: `cut: ${starts_with}`,
    masked: [],
  });
  const cut = summaries.flatMap((s) =>
    s.kernel_view.packets.flatMap((p) =>
      decodeSummaryPacket(p)
        .layers.filter((l) => l.offset > 0 && l.offset < p.captured)
        .map((l) => packet(l.name, p.hex.slice(2 * l.offset), p.length - l.offset, p.protocol ?? '0x0800')),
    ),
  );
  // A packet socket's reads whole: Ethernet frames, an ICMP port unreachable among them.
  const frames = summaries
    .filter((s) => s.experiment === 'counter')
    .flatMap((s) => s.user_view.reads.map((r) => packet('ethernet', r.hex, r.length)));
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const icmp6Echo = `8000${ICMP_ECHO.replaceAll(' ', '').slice(4)}`;
  const extra = [
    packet('ipv6', hex(SYN6), SYN6.length, '0x86dd'),
    packet('icmp', ICMP_ECHO.replaceAll(' ', ''), 8),
    packet('icmp', icmp6Echo, 8, '0x86dd'),
  ];
  const seen = new Set<string>();
  const packets = [...cut, ...frames, ...extra].filter((p) => !seen.has(p.starts_with + p.hex) && seen.add(p.starts_with + p.hex));
  return { ...base, experiment: 'cuts', kernel_view: { ...base.kernel_view, packets }, user_view: { reads: [] }, observer_view: null };
}

t.test('tshark dissects every result as the harness decodes it', { skip: TSHARK }, async (t) => {
  const dir = tempDir('pcapng');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const summaries = summaryFiles().map((file) => ({ file, s: JSON.parse(readFileSync(file, 'utf8')) as Summary }));
  t.ok(summaries.length > 0, 'there are results to check');
  const all = [...summaries, { file: 'cuts', s: cuts(summaries.map((x) => x.s)) }];
  // Most kernels record the same views: files built from identical views are dissected once (tshark takes ~0.3 s to start).
  const views = (s: Summary) => JSON.stringify([s.hook, s.program, s.title, s.kernel_view.packets, s.user_view, s.observer_view]);
  const unique = [...new Map(all.map((x) => [views(x.s), x])).values()];
  const dissected = new Map(
    await pool(unique, availableParallelism(), async ({ file, s }) => {
      const name = file === 'cuts' ? file : relative(RESULTS_DIR, file).replaceAll('/', '_');
      const [kernel, user] = [join(dir, `${name}.kernelspace.pcapng`), join(dir, `${name}.userspace.pcapng`)];
      writeFileSync(kernel, kernelPcapng(s));
      writeFileSync(user, userPcapng(s));
      return [views(s), { kernel: await tshark(kernel, dir), user: await tshark(user, dir) }] as const;
    }),
  );
  for (const { file, s } of all) {
    const { kernel, user } = dissected.get(views(s))!;
    t.test(file === 'cuts' ? 'views cut from every packet at each layer' : relative(RESULTS_DIR, file), async (t) => {
      t.test('the program view', async (t) => checkKernel(t, s, kernel));
      t.test('the reads', async (t) => checkUser(t, s, user));
    });
  }

  t.test('a wrong link type makes the dissections disagree', async (t) => {
    const tcpOnly = (s: Summary) => s.kernel_view.packets.length > 0 && s.kernel_view.packets.every((p) => p.starts_with === 'tcp');
    const s = summaries.find((x) => tcpOnly(x.s))!.s;
    const bytes = kernelPcapng(s);
    const idb = bytes.readUInt32LE(4); // the one interface block follows the section header
    bytes.writeUInt16LE(1, idb + 8); // the TCP views relabelled as Ethernet frames
    const file = join(dir, 'wrong.pcapng');
    writeFileSync(file, bytes);
    const [f] = await tshark(file, dir);
    const p = s.kernel_view.packets[0];
    const found = disagreements({ hex: p.hex, length: p.length, startsWith: 'tcp' }, f);
    t.ok(found.some((d) => d.startsWith('layers:')), `the layers disagree: ${found.join('; ')}`);
  });
});
