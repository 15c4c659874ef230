import { BOUND_TO_LO, SOCKET_ON_LOOPBACK, defineExperiment } from './spec.ts';
import { TCP_TO_CLOSED_PORT } from './traffic.ts';

export default defineExperiment({
  name: 'packet-dgram',
  title: 'AF_PACKET SOCK_DGRAM, ETH_P_ALL, bound to lo',
  ...SOCKET_ON_LOOPBACK,
  server: { program: 'packet-dgram' },
  topologyFixed: BOUND_TO_LO,
  transport: 'tcp',
  traffic: [TCP_TO_CLOSED_PORT],
  doneWhen: { reads: 4 },
  explanation:
    'A "cooked" packet socket: for SOCK_DGRAM, packet_rcv() leaves skb->data at the network header (and pulls ' +
    'outgoing frames to it), so the filter and recv() both start at the IPv4 header; the link-layer address ' +
    'comes with recvfrom() in struct sockaddr_ll instead. Both directions are seen, as with SOCK_RAW.',
});
