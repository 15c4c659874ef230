// Statements the lab used to make that are false (issue 14): none may come back, in the lab, the README, the
// experiments' explanations or any report generated from them (results/, every kernel's folder included).
import t from 'tap';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../../scripts/support/paths.ts';
import type { Summary } from '../../../scripts/report/summary-json.ts';

const WRONG: [RegExp, string][] = [
  [/IP header is never visible|never the IP header/, 'a TCP/UDP filter reaches the IP header with BPF_HDR_START_NET or SKF_NET_OFF'],
  [/retransmit the data for ever/, 'retransmission is bounded by tcp_retries2 / tcp_orphan_retries'],
  [/\(here veth's native XDP\) before an skb exists/, 'on veth the peer hands over an skb'],
  [/zeroed 14-byte Ethernet header/, 'on lo the MACs are zero but the EtherType is 08 00'],
  [/listener never sees the SYN/, "the listener's filter sees the SYN; the listener discards it"],
  [/On a fresh machine neither is/, 'a standard systemd install mounts bpffs and tracefs'],
  [/ulimit -l unlimited`, or libbpf's/, 'the strict-mode flag is a C API, not a shell setting'],
  [/no atomic fetch-and-add in BPF/, 'a plain atomic add exists before 5.12; 5.12 added the fetching forms'],
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.(md|html|ts)$/.test(name) ? [path] : [];
  });
}

const texts = [join(ROOT, 'docs', 'LAB.md'), join(ROOT, 'README.md'), ...files(join(ROOT, 'experiments')), ...files(join(ROOT, 'results'))];

t.ok(texts.length > 100, `${texts.length} files read`);
for (const [wrong, why] of WRONG) {
  const found = texts.filter((f) => wrong.test(readFileSync(f, 'utf8'))).map((f) => f.slice(ROOT.length + 1));
  t.same(found, [], `no "${wrong.source}" (${why})`);
}

t.test('what the corrected statements say instead, as the committed runs show it', async (t) => {
  const summary = (name: string) => JSON.parse(readFileSync(join(ROOT, 'results', name, 'summary.json'), 'utf8')) as { kernel_view: { packets: { hex: string }[] } };
  // AF_PACKET SOCK_RAW on lo: zero MAC addresses, but the EtherType is there (08 00, IPv4).
  for (const [i, p] of summary('packet').kernel_view.packets.entries()) {
    t.equal(p.hex.slice(0, 24), '0'.repeat(24), `packet #${i}: both MAC addresses are zero`);
    t.equal(p.hex.slice(24, 28), '0800', `packet #${i}: EtherType 08 00`);
  }
  // drop-tcp: the listener's filter saw the SYN (it returned 0 for it).
  t.ok(summary('drop-tcp').kernel_view.packets.length >= 1, "drop-tcp: the listener's filter saw the SYN");
});

// The rest of issue 14's list: facts the generated reports now state from the run itself.
t.test('pkt_type, the empty read, the topology, a counting program: as the committed runs show them', async (t) => {
  const read = (name: string, file: string) => readFileSync(join(ROOT, 'results', name, file), 'utf8');
  const json = (name: string) => JSON.parse(read(name, 'summary.json')) as Summary;

  // pkt_type on egress and at a tracepoint: not a value that reads as a direction.
  for (const name of ['tc-egress', 'cgroup-egress', 'kprobe-tcp']) {
    const s = json(name);
    t.ok(s.kernel_view.pkt_type_not_meaningful, `${name}: says why pkt_type is not meaningful`);
    t.ok(s.kernel_view.packets.every((p) => p.pkt_type === null), `${name}: no packet carries a pkt_type`);
    t.notMatch(read(name, 'kernelspace.txt'), /pkt_type host/, `${name}: kernelspace.txt never says "pkt_type host"`);
    t.notMatch(s.overview.directions, /pkt_type/, `${name}: the matrix row names no pkt_type`);
  }
  // Where it is meaningful it stays: AF_PACKET sees both copies.
  t.match(read('packet', 'kernelspace.txt'), /pkt_type outgoing[\s\S]*pkt_type host/);

  // trim-udp: the empty read is packet #0 cut at its 8-byte header, linked like every other read.
  const trimUdp = json('trim-udp');
  t.same(trimUdp.user_view.reads.map((r) => [r.length, r.found_in]), [[0, { packet: 0, offset: 8 }]]);
  t.match(read('trim-udp', 'userspace.txt'), 'read #0: 0 B — kernel packet #0 cut to its first 8 B');
  t.match(read('trim-udp', 'index.html'), /<a href="#packet-0">packet #0<\/a> cut to its first 8 B/);
  t.notMatch(read('trim-udp', 'report.md'), /not found in any/);

  // raw on veth: its own folder, one packet, a "Why" about veth and no loopback text, no unknown difference.
  const rawVeth = json('raw-veth');
  t.equal(rawVeth.topology, 'veth');
  t.equal(rawVeth.kernel_view.packets.length, 1, 'raw-veth: only the SYN');
  t.equal(json('raw').topology, 'loopback', 'the catalogue result stays the loopback run');
  t.match(rawVeth.why.join(' '), /leaves through the veth/);
  t.notMatch(rawVeth.why.join(' '), /on loopback this host also receives/, 'no loopback claim in a veth run');
  t.match(json('raw').why.join(' '), /on loopback this host also receives/, 'and the loopback run keeps it');
  t.ok(rawVeth.original.differences.every((d) => d.explanation !== null), 'every difference from 2017 has its reason');
  t.notMatch(read('raw-veth', 'report.md'), /not known to the harness/);

  // counter: counts only, its map in the report.
  const counter = json('counter');
  t.equal(counter.overview.first_layer, 'no bytes recorded (it only counts)');
  t.match(read('counter', 'report.md'), /\*\*The program records no bytes \(it only counts\); the server's recv\(\) returned 8 time\(s\)\.\*\*/);
  t.match(read('counter', 'report.md'), /\| counts \| 1 \| 6 \| 4 \|/);
  t.notMatch(read('counter', 'report.md'), /saw 0 packet/);
});
