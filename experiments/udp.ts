import { defineExperiment } from './spec.ts';

export default defineExperiment({
  name: 'udp',
  title: 'AF_INET SOCK_DGRAM',
  topology: 'loopback',
  server: { program: 'udp', address: '127.0.0.1', port: 16962 },
  filter: { object: 'dump', program: 'dump' },
  transport: 'udp',
  traffic: {
    command: ['ncat', '-u', '--send-only', '127.0.0.1', '16962'],
    input: '0123456789\n',
    display: 'echo 0123456789 | ncat -u --send-only 127.0.0.1 16962',
  },
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
