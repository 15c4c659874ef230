import { SOCKET_ON_LOOPBACK, defineExperiment, type Claim, type Seen } from './spec.ts';

const answered = (seen: Seen) => seen.packets.some((p) => p.direction === 'from-server' && p.tcpFlags?.includes('RST'));

/** The kernel's RST|ACK to a SYN for a closed port, as a raw socket on the server sees it or not: on
 *  loopback the answer is also received by this host; between namespaces it leaves through the veth. */
export const ANSWERED_RST: readonly Claim[] = [
  {
    text:
      'No socket listens on the port, so the kernel answers the SYN with RST|ACK; on loopback this host also ' +
      'receives that answer, so the raw socket sees it too.',
    shownBy: (seen) => seen.topology === 'loopback' && answered(seen),
  },
  {
    text:
      'No socket listens on the port, so the kernel answers the SYN with RST|ACK, which leaves through the veth ' +
      'towards the client\'s namespace: nothing on the server\'s side receives it, so the raw socket sees only ' +
      'the SYN. The 2017 study ran on loopback, where it saw the RST|ACK as well.',
    shownBy: (seen) => seen.topology === 'veth' && !answered(seen),
    explains: ['missing-packet', 'reads'],
  },
];
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
  explanation: [
    {
      text:
        'A raw IPv4 socket gets a copy of every incoming packet of its protocol. raw_rcv() pushes skb->data back ' +
        'to the network header before queueing, so the filter and recv() both start at the IPv4 header, and the ' +
        'server reads exactly the bytes the filter saw.',
    },
    ...ANSWERED_RST,
  ],
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
