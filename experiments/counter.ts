import { BOUND_TO_LO, defineExperiment } from './spec.ts';
import { TCP_TO_CLOSED_PORT, UDP_DATAGRAM } from './traffic.ts';

export default defineExperiment({
  name: 'counter',
  title: 'AF_PACKET SOCK_RAW on lo, a counting filter with a pinned map',
  hook: 'socket',
  topology: 'loopback',
  family: 4,
  server: { program: 'packet' },
  topologyFixed: BOUND_TO_LO,
  filter: { object: 'counter', program: 'count', pins: ['counts'], noBytes: 'it only counts' },
  transport: 'tcp',
  traffic: [TCP_TO_CLOSED_PORT, UDP_DATAGRAM],
  // TCP SYN + RST|ACK and the UDP datagram + its ICMP port unreachable, each seen leaving and arriving.
  doneWhen: { reads: 8 },
  checks: ['pinned-map', 'interface-counters'],
  explanation:
    'A filter that records nothing but counts packets per interface and IP protocol in a hash map pinned in ' +
    'bpffs. The counts are read back twice, by the program\'s owner and with `bpftool map dump pinned`, and ' +
    'checked against the interface\'s own packet counters. UDP to a closed port adds an ICMP port unreachable.',
});
