import { ipv6Twin } from './spec.ts';
import tcp from './tcp.ts';

export default ipv6Twin(tcp, {
  title: 'AF_INET6 SOCK_STREAM (filter on the listening socket, attached after listen())',
  explanation:
    'The IPv6 twin of tcp: tcp_v6_rcv() runs the same tcp_filter() with skb->data at the TCP header, so the ' +
    'filter sees the same segments as over IPv4 (handshake ACK included) and recv() the same payload.',
});
