// The study's conclusion under test: "a filter on a SOCK_STREAM or SOCK_DGRAM socket cannot filter based on
// information located in lower level headers". The study's sockets and traffic, with bpf/reach.bpf.c, which
// dumps its view like the dump filter and records per packet what it read outside it, and how.
import { type ExperimentSpec } from './spec.ts';
import tcp from './tcp.ts';
import tcp6 from './tcp6.ts';
import udp from './udp.ts';
import udp6 from './udp6.ts';

/** Why the headers before the view are within reach: true of every run (what this run read is computed). */
const WHY =
  'The filter\'s view starts at the transport header because the stack has moved skb->data past the IP ' +
  'header, but it has not thrown the headers away: skb->network_header and skb->mac_header still point at ' +
  'them. bpf_skb_load_bytes_relative(skb, off, buf, len, BPF_HDR_START_NET or BPF_HDR_START_MAC; in every ' +
  'kernel this lab boots, and dated to Linux 4.18, commit 4e1ec56cdc59, by bcc\'s kernel-versions table) copies ' +
  'from there, as far as the skb\'s linear part goes (it checks against skb_tail_pointer()); classic BPF\'s ' +
  'ld_abs and ld_ind take the negative offsets SKF_NET_OFF and SKF_LL_OFF to mean the same places. A classic ' +
  'load that cannot be done ends the program with 0, which drops the packet for this socket: the harness ' +
  'tries the payload load on one packet of the run only. Whether the payload (in page fragments for a ' +
  'loopback TCP segment) is reachable through the network header\'s offset depends on the kernel: see the ' +
  'table below.';

function reach(base: ExperimentSpec): ExperimentSpec {
  return {
    ...base,
    name: `reach-${base.name}`,
    title: `${base.title}: what its filter reads outside its view`,
    filter: { object: 'reach', program: 'reach_socket' },
    explanation: WHY,
    study: undefined,
  };
}

export const REACH_EXPERIMENTS: readonly ExperimentSpec[] = [reach(tcp), reach(udp), reach(tcp6), reach(udp6)];
