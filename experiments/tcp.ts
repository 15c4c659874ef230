import { SOCKET_ON_LOOPBACK, defineExperiment } from './spec.ts';
import { TCP_EXCHANGE } from './traffic.ts';

export default defineExperiment({
  name: 'tcp',
  title: 'AF_INET SOCK_STREAM (filter on the listening socket, attached after listen())',
  ...SOCKET_ON_LOOPBACK,
  server: { program: 'tcp' },
  transport: 'tcp',
  traffic: [TCP_EXCHANGE],
  doneWhen: { eof: true },
  explanation:
    'tcp_v4_rcv() runs the socket filter through tcp_filter(), i.e. sk_filter_trim_cap(sk, skb, th->doff * 4), ' +
    'while skb->data points at the TCP header: offset 0 of the filter\'s view is the TCP header, and the view ' +
    'holds the TCP header and payload. The IP header is still in the skb before it: ' +
    'bpf_skb_load_bytes_relative(..., BPF_HDR_START_NET) reads it (bpf/counter.bpf.c reads the protocol that ' +
    'way), and a classic BPF filter reaches it through the negative offset SKF_NET_OFF. The ' +
    'accepted socket inherits the listener\'s filter (sk_clone_lock() copies it), so the filter sees the whole ' +
    'connection: handshake, data and FIN. recv() returns only the byte stream, which sits in the data ' +
    'segment right after the TCP header (options included). The server detaches its filters at the peer\'s FIN, ' +
    'before closing, so its own FIN and the last ACK are not part of the capture.',
  study: {
    packets: [
      { length: 40, startsWith: 'tcp', tcpFlags: ['SYN'], payloadLength: 0 },
      { length: 43, startsWith: 'tcp', tcpFlags: ['PSH', 'ACK'], payloadLength: 11 },
      { length: 32, startsWith: 'tcp', tcpFlags: ['FIN', 'ACK'], payloadLength: 0 },
    ],
    reads: [11],
    userView: 'payload',
    knownDifferences: [
      {
        extraPacket: { tcpFlags: ['ACK'], payloadLength: 0 },
        explanation:
          'Since commit 8fac365f63c8 ("tcp: Add a tcp_filter hook before handle ack packet", 2017) the ' +
          'listener\'s filter also runs on the ACK that completes the three-way handshake; the 2017 kernel ' +
          'did not show it to the filter. It first shipped in Linux 4.13, already where d624d276d1dd ("tcp: fix ' +
          'possible deadlock in TCP stack vs BPF filter") moved it, before tcp_check_req(): 4.12\'s tcp_v4_rcv() ' +
          'has no such call, 4.13\'s has it there. results/kernels/README.md ("The one difference, tested") compares two ' +
          'kernels built from one 6.1 source, with and without that call.',
      },
    ],
  },
});
