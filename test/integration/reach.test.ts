// The 2017 study's conclusion put to the test on this kernel: filters on the study's TCP and UDP sockets read
// the IP and link-layer headers outside their views (bpf/reach.bpf.c), and a classic BPF filter decides by the
// IPv4 source address (cbpf-tcp). Every fact is read back from the summaries the runs wrote.
import t from 'tap';
import { NEEDS_ROOT, cli, leftovers, readSummary, tempDir } from '../helpers.ts';
import type { ReachPacket } from '../../scripts/analysis/types.ts';

const PAYLOAD_START = Buffer.from('0123').toString('hex');
const LO_MAC = '00:00:00:00:00:00';

t.test('what TCP and UDP socket filters read outside their views', { skip: NEEDS_ROOT }, async (t) => {
  const dir = tempDir('reach');
  const child = cli(['experiment', 'reach-tcp', 'reach-udp', 'reach-tcp6', 'reach-udp6', 'cbpf-tcp', '--results', dir, '--logs', tempDir('reach-logs')]);
  const run = await child;
  t.equal(run.exitCode, 0, run.all);
  t.same(await leftovers(child.pid!), [], 'nothing left behind');

  const cases = [
    { name: 'reach-tcp', family: 4, protocol: 6, address: '127.0.0.1', ethertype: 0x0800, packets: 4 },
    { name: 'reach-udp', family: 4, protocol: 17, address: '127.0.0.1', ethertype: 0x0800, packets: 1 },
    { name: 'reach-tcp6', family: 6, protocol: 6, address: '::1', ethertype: 0x86dd, packets: 4 },
    { name: 'reach-udp6', family: 6, protocol: 17, address: '::1', ethertype: 0x86dd, packets: 1 },
  ] as const;
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const s = readSummary(dir, c.name);
      const reach = s.reach!;
      t.ok(reach, 'the summary has what the filter read outside its view');
      t.equal(s.kernel_view.packets[0].starts_with, c.protocol === 6 ? 'tcp' : 'udp', 'its own view starts at the transport header');
      t.equal(reach.packets.length, c.packets, 'a record for every packet it saw');
      for (const r of reach.packets) {
        const net = r.network_header!;
        t.same([net.src, net.dst, net.protocol, net.ttl], [c.address, c.address, c.protocol, 64], `#${r.packet}: the IP header through BPF_HDR_START_NET`);
        t.equal(parseInt(net.hex[0], 16), c.family, `#${r.packet}: its version nibble`);
        t.same(r.classic, { ttl: 64, protocol: c.protocol, ethertype: c.ethertype }, `#${r.packet}: the same through ld_abs at SKF_NET_OFF and SKF_LL_OFF`);
        t.same([r.mac_header?.dst, r.mac_header?.src, r.mac_header?.ethertype], [LO_MAC, LO_MAC, c.ethertype], `#${r.packet}: lo's link-layer header, zero MACs`);
      }
      const withPayload = reach.packets.filter((r) => r.payload);
      t.equal(withPayload.length, 1, 'one packet carries the payload');
      const p = withPayload[0].payload!;
      t.equal(p.offset, s.kernel_view.packets[withPayload[0].packet].payload_offset + (c.family === 4 ? 20 : 40), 'its offset from the IP header: the view\'s payload offset plus the IP header');
      // Each way either read the payload's first bytes or said it could not: never other bytes.
      if (p.helper.ok) t.equal(p.helper.hex, PAYLOAD_START, 'bpf_skb_load_bytes_relative read "0123"');
      else t.equal(p.helper.error, -14, 'bpf_skb_load_bytes_relative refused (-EFAULT): beyond the linear part');
      t.not(p.ld_ind, 'not tried', 'the ld_ind was tried on it');
      if (p.ld_ind !== 'not tried' && p.ld_ind.ok) t.equal(p.ld_ind.hex, PAYLOAD_START, 'ld_ind read "0123"');
      // A UDP datagram this small sits in the linear part: both ways reach it.
      if (c.protocol === 17) t.ok(p.helper.ok, 'the datagram\'s payload is in the linear part');
      t.equal(reach.verdict.refuted, true, 'the study\'s conclusion does not hold here');
      t.match(reach.verdict.text, /^Refuted on this kernel/);
    });
  }

  t.test('cbpf-tcp: a classic filter decides by the IPv4 source address', async (t) => {
    const s = readSummary(dir, 'cbpf-tcp');
    t.same(s.user_view.reads.map((r) => Buffer.from(r.hex, 'hex').toString()), ['0123456789\n'], 'only 127.0.0.1\'s message was read');
    t.same(s.checks.map((c) => c.ok), [true], s.checks[0]?.observed);
    t.equal(s.program.object, 'bpf/source-127-0-0-1.cbpf');
    t.same(s.kernel_view.packets, [], 'a classic filter records nothing');
  });
});

t.test('on a veth pair the link-layer header holds the two ends\' MACs', { skip: NEEDS_ROOT }, async (t) => {
  const dir = tempDir('reach-veth');
  const run = await cli(['experiment', 'reach-udp', '--topology', 'veth', '--results', dir, '--logs', tempDir('reach-veth-logs')]);
  t.equal(run.exitCode, 0, run.all);
  const r: ReachPacket = readSummary(dir, 'reach-udp-veth').reach!.packets[0];
  t.same([r.mac_header?.dst, r.mac_header?.src, r.mac_header?.ethertype], ['02:00:00:00:00:02', '02:00:00:00:00:01', 0x0800]);
  t.same([r.network_header?.src, r.network_header?.dst], ['198.18.0.1', '198.18.0.2']);
});
