import { BOUND_TO_LO, SOCKET_ON_LOOPBACK, defineExperiment } from './spec.ts';
import { TCP_TO_CLOSED_PORT } from './traffic.ts';

export default defineExperiment({
  name: 'packet',
  title: 'AF_PACKET SOCK_RAW, ETH_P_ALL, bound to lo',
  ...SOCKET_ON_LOOPBACK,
  server: { program: 'packet' },
  topologyFixed: BOUND_TO_LO,
  transport: 'tcp',
  traffic: [TCP_TO_CLOSED_PORT],
  // SYN and RST|ACK, each seen leaving (outgoing) and arriving (host) on lo.
  doneWhen: { reads: 4 },
  explanation:
    'A packet socket is how tcpdump, bcc\'s attach_raw_socket and the kernel\'s samples attach a socket filter. ' +
    'packet_rcv() pushes skb->data back to the link-layer header before running the filter, so a SOCK_RAW ' +
    'packet socket sees whole frames: on lo a 14-byte Ethernet header with zero MAC addresses. It gets every ' +
    'frame of the interface in both directions: once as it is sent (pkt_type outgoing, via dev_queue_xmit_nit) ' +
    'and once as lo receives it (pkt_type host), so each loopback packet appears twice. libpcap drops the ' +
    'outgoing copies on lo for that reason. recv() returns the same whole frames.',
});
