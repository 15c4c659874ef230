import { defineExperiment } from './spec.ts';
import { TCP_EXCHANGE } from './traffic.ts';

export default defineExperiment({
  name: 'tcp6',
  title: 'AF_INET6 SOCK_STREAM (filter on the listening socket, attached after listen())',
  hook: 'socket',
  topology: 'loopback',
  family: 6,
  server: { program: 'tcp' },
  filter: { object: 'dump', program: 'dump' },
  transport: 'tcp',
  traffic: [TCP_EXCHANGE],
  doneWhen: { eof: true },
  explanation:
    'The IPv6 twin of tcp: tcp_v6_rcv() runs the same tcp_filter() with skb->data at the TCP header, so the ' +
    'filter sees the same segments as over IPv4 (handshake ACK included) and recv() the same payload.',
});
