import { defineExperiment } from './spec.ts';
import { UDP_DATAGRAM } from './traffic.ts';

export default defineExperiment({
  name: 'udp6',
  title: 'AF_INET6 SOCK_DGRAM',
  hook: 'socket',
  topology: 'loopback',
  family: 6,
  server: { program: 'udp' },
  filter: { object: 'dump', program: 'dump' },
  transport: 'udp',
  traffic: [UDP_DATAGRAM],
  doneWhen: { reads: 1 },
  explanation:
    'The IPv6 twin of udp: udpv6_queue_rcv_one_skb() runs sk_filter_trim_cap(sk, skb, sizeof(struct udphdr)) ' +
    'with skb->data at the UDP header, so the filter sees header + payload and recv() the payload at offset 8.',
});
