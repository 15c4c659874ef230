// Statements the lab used to make that are false (issue 14): none may come back, in the lab, the README, the
// experiments' explanations or any report generated from them (results/, every kernel's folder included).
import t from 'tap';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../../scripts/support/paths.ts';

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
