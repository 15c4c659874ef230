import { ipv6Twin } from './spec.ts';
import raw, { ANSWERED_RST } from './raw.ts';

export default ipv6Twin(raw, {
  title: 'AF_INET6 SOCK_RAW, IPPROTO_TCP',
  explanation: [
    {
      text:
        'The IPv6 twin of raw. Unlike IPv4, an IPv6 raw socket never gets the IP header: rawv6_rcv() queues the ' +
        'packet with skb->data at the transport header (RFC 3542 gives IPv6 header fields to recvmsg() as ancillary ' +
        'data instead), so the filter and recv() both start at the TCP header.',
    },
    ...ANSWERED_RST,
  ],
});
