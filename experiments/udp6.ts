import { ipv6Twin } from './spec.ts';
import udp from './udp.ts';

export default ipv6Twin(udp, {
  title: 'AF_INET6 SOCK_DGRAM',
  explanation:
    'The IPv6 twin of udp: udpv6_queue_rcv_one_skb() runs sk_filter_trim_cap(sk, skb, sizeof(struct udphdr)) ' +
    'with skb->data at the UDP header, so the filter sees header + payload and recv() the payload at offset 8.',
});
