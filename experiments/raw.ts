import { SOCKET_ON_LOOPBACK, defineExperiment } from './spec.ts';
import { TCP_TO_CLOSED_PORT } from './traffic.ts';

export default defineExperiment({
  name: 'raw',
  title: 'AF_INET SOCK_RAW, IPPROTO_TCP',
  ...SOCKET_ON_LOOPBACK,
  server: { program: 'raw' },
  transport: 'tcp',
  traffic: [TCP_TO_CLOSED_PORT],
  // ncat exits on the RST, and raw delivery happens before TCP processes it: both reads are queued by then.
  doneWhen: {},
  explanation:
    'A raw IPv4 socket gets a copy of every incoming packet of its protocol. raw_rcv() pushes skb->data back ' +
    'to the network header before queueing, so the filter and recv() both start at the IPv4 header, and the ' +
    'server reads exactly the bytes the filter saw. The raw socket sees the SYN and the RST|ACK the kernel ' +
    'answers with because no socket listens on the port.',
  study: {
    packets: [
      { length: 60, startsWith: 'ipv4', tcpFlags: ['SYN'], payloadLength: 0 },
      { length: 40, startsWith: 'ipv4', tcpFlags: ['RST', 'ACK'], payloadLength: 0 },
    ],
    reads: [60, 40],
    userView: 'whole-packet',
    knownDifferences: [],
  },
});
