// Names shared by decoding, analysis and reports.

/** The first layer visible in a view, as summary.json names it. */
export type LayerName = 'ethernet' | 'ipv4' | 'ipv6' | 'tcp' | 'udp' | 'icmp' | 'sctp' | 'payload';

/** How reports write each layer's name. */
export const layerName: Record<LayerName, string> = {
  ethernet: 'Ethernet',
  ipv4: 'IPv4',
  ipv6: 'IPv6',
  tcp: 'TCP',
  udp: 'UDP',
  icmp: 'ICMP',
  sctp: 'SCTP',
  payload: 'payload',
};

/** How prose names the part of a view a layer is: "the SCTP common header", "the payload". */
export const layerHeaderText: Record<LayerName, string> = {
  ethernet: 'Ethernet header',
  ipv4: 'IPv4 header',
  ipv6: 'IPv6 header',
  tcp: 'TCP header',
  udp: 'UDP header',
  icmp: 'ICMP header',
  sctp: 'SCTP common header',
  payload: 'payload',
};

/** The transport protocol an experiment's traffic uses: it disambiguates a view that starts past IP. */
export type Transport = 'tcp' | 'udp' | 'sctp' | 'icmp';

/** IP protocol numbers of the transports (raw sockets are opened for these). */
export const IP_PROTOCOL: Record<Transport, number> = { tcp: 6, udp: 17, sctp: 132, icmp: 1 };

/** TCP flag names in header bit order, as reports print them. */
export const TCP_FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'] as const;
export type TcpFlag = (typeof TCP_FLAG_NAMES)[number];

/** skb->pkt_type values (include/uapi/linux/if_packet.h), as reports name them. */
const PKT_TYPE_NAMES: Record<number, string> = {
  0: 'host',
  1: 'broadcast',
  2: 'multicast',
  3: 'otherhost',
  4: 'outgoing',
  5: 'loopback',
};

export function pktTypeName(pktType: number): string {
  return PKT_TYPE_NAMES[pktType] ?? String(pktType);
}
