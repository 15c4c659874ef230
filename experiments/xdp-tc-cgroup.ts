// Programs on the server's interface and cgroup rather than its socket: XDP, tc clsact, cgroup_skb.
// All run between two namespaces joined by veth, the program on the server's end (srv0).
import { defineExperiment, type ExperimentSpec } from './spec.ts';
import { SCTP_INIT, TCP_EXCHANGE } from './traffic.ts';

const onVeth = { topology: 'veth', family: 4, transport: 'tcp', traffic: [TCP_EXCHANGE], doneWhen: { eof: true } } as const;
const tcpServer = { program: 'tcp' } as const;

const xdp = defineExperiment({
  ...onVeth,
  name: 'xdp',
  title: 'XDP on srv0 (the server end of the veth pair)',
  hook: 'xdp',
  server: tcpServer,
  filter: { object: 'xdp_flows', program: 'xdp_flows' },
  explanation:
    'XDP runs in the driver, on real hardware before an skb exists; on veth (native XDP here) the peer hands ' +
    'over an skb, and veth_xdp_rcv_skb() runs the program on it as a frame: it sees each frame arriving on srv0 ' +
    'from the Ethernet header on, in one direction only (to the server), handshake and all, and counts it in ' +
    'the flows map. Frames the server sends never pass this hook. Returning XDP_PASS hands the frame to the ' +
    'stack unchanged, so the server reads its payload as usual.',
});

const xdpSctp = defineExperiment({
  ...onVeth,
  name: 'xdp-sctp',
  title: 'XDP on srv0, SCTP traffic (raw IP protocol 132)',
  hook: 'xdp',
  server: { program: 'raw' },
  filter: { object: 'xdp_flows', program: 'xdp_flows' },
  transport: 'sctp',
  traffic: [SCTP_INIT],
  doneWhen: { reads: 1 },
  explanation:
    'An SCTP INIT chunk sent from a raw IP socket in the client namespace, so no SCTP support is needed in ' +
    'the kernel. The XDP program recognises IP protocol 132 and reads the ports from the SCTP common header; ' +
    'a raw IPPROTO_SCTP socket on the server receives the packet from its IPv4 header on (no SCTP stack ' +
    'answers, and the raw socket\'s delivery keeps the kernel from sending a "protocol unreachable").',
});

const tcIngress = defineExperiment({
  ...onVeth,
  name: 'tc-ingress',
  title: 'tc clsact ingress on srv0',
  hook: 'tc-ingress',
  server: tcpServer,
  filter: { object: 'dump', program: 'dump_tc' },
  explanation:
    'tc ingress runs on the skb in __netif_receive_skb_core(), after XDP and before IP: skb->data is back at ' +
    'the Ethernet header for the program, and it sees every frame arriving on srv0 (to the server).',
});

const tcEgress = defineExperiment({
  ...onVeth,
  name: 'tc-egress',
  title: 'tc clsact egress on srv0',
  hook: 'tc-egress',
  server: tcpServer,
  filter: { object: 'dump', program: 'dump_tc' },
  explanation:
    'tc egress runs in __dev_queue_xmit() with the Ethernet header already built: it sees every frame the ' +
    'server sends on srv0: the SYN|ACK, the ACK of the data and the ACK of the client\'s FIN (the server detaches ' +
    'at that FIN, before its own). The namespaces\' routes carry `quickack 1`: without it the FIN\'s ACK waits ' +
    'for a delayed-ACK timer (about 40 ms) and is seen only when the server is slower than that to detach.',
});

const cgroupIngress = defineExperiment({
  ...onVeth,
  name: 'cgroup-ingress',
  title: 'cgroup_skb ingress on the server\'s cgroup',
  hook: 'cgroup-ingress',
  server: tcpServer,
  filter: { object: 'dump', program: 'dump_cgroup_ingress' },
  explanation:
    'cgroup_skb ingress runs inside sk_filter_trim_cap(), for packets delivered to sockets created in the ' +
    'cgroup, with skb->data moved to the network header: it sees from the IPv4 header on, only what reaches ' +
    'the server\'s sockets (listener and accepted socket).',
});

const cgroupEgress = defineExperiment({
  ...onVeth,
  name: 'cgroup-egress',
  title: 'cgroup_skb egress on the server\'s cgroup',
  hook: 'cgroup-egress',
  server: tcpServer,
  filter: { object: 'dump', program: 'dump_cgroup_egress' },
  explanation:
    'cgroup_skb egress runs in ip_finish_output() for packets of sockets in the cgroup, from the IPv4 header ' +
    'on, before a link-layer header exists.',
});

export const HOOK_EXPERIMENTS: ExperimentSpec[] = [xdp, xdpSctp, tcIngress, tcEgress, cgroupIngress, cgroupEgress];
