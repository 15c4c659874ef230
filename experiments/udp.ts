import { SOCKET_ON_LOOPBACK, defineExperiment } from './spec.ts';
import { UDP_DATAGRAM } from './traffic.ts';

export default defineExperiment({
  name: 'udp',
  title: 'AF_INET SOCK_DGRAM',
  ...SOCKET_ON_LOOPBACK,
  server: { program: 'udp' },
  transport: 'udp',
  traffic: [UDP_DATAGRAM],
  doneWhen: { reads: 1 },
  explanation:
    'UDP runs the filter with sk_filter_trim_cap(sk, skb, sizeof(struct udphdr)) before it pulls the UDP ' +
    'header: the filter sees the 8-byte UDP header and the payload, recv() only the payload, at offset 8 of ' +
    'the filter\'s view.',
  study: {
    packets: [{ length: 19, startsWith: 'udp', tcpFlags: null, payloadLength: 11 }],
    reads: [11],
    userView: 'payload',
    knownDifferences: [],
  },
});
