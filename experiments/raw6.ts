import { defineExperiment } from './spec.ts';
import { TCP_TO_CLOSED_PORT } from './traffic.ts';

export default defineExperiment({
  name: 'raw6',
  title: 'AF_INET6 SOCK_RAW, IPPROTO_TCP',
  hook: 'socket',
  topology: 'loopback',
  family: 6,
  server: { program: 'raw' },
  filter: { object: 'dump', program: 'dump' },
  transport: 'tcp',
  traffic: [TCP_TO_CLOSED_PORT],
  doneWhen: {},
  explanation:
    'The IPv6 twin of raw. Unlike IPv4, an IPv6 raw socket never gets the IP header: rawv6_rcv() queues the ' +
    'packet with skb->data at the transport header (RFC 3542 gives IPv6 header fields to recvmsg() as ancillary ' +
    'data instead), so the filter and recv() both start at the TCP header.',
});
