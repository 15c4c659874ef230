import { defineExperiment } from './spec.ts';
import { TCP_EXCHANGE } from './traffic.ts';

export default defineExperiment({
  name: 'kprobe-tcp',
  title: 'kprobe on tcp_v4_rcv()',
  hook: 'kprobe',
  topology: 'loopback',
  family: 4,
  server: { program: 'tcp' },
  filter: { object: 'tcp_rcv', program: 'kprobe_tcp_v4_rcv' },
  fallback: {
    hook: 'tracepoint',
    program: 'tp_tcp_probe',
    title: 'tp_btf/tcp_probe (where a kprobe on tcp_v4_rcv() is not possible)',
    tracepoint: 'tcp/tcp_probe',
    note:
      'used the tcp_probe tracepoint (tp_btf/tcp_probe) instead, the nearest one that gets the same skbs: it ' +
      'fires in tcp_rcv_established(), so it sees only segments of established connections (no SYN, no ' +
      'handshake ACK)',
  },
  transport: 'tcp',
  traffic: [TCP_EXCHANGE],
  doneWhen: { eof: true },
  explanation:
    'A tracing program reads the skb TCP is working on, from kernel memory, with no verdict to give (its ' +
    'return value is ignored): skb->data points at the TCP header both at tcp_v4_rcv() and in ' +
    'tcp_rcv_established(), so the view starts at TCP, as for a socket filter. Tracing programs see every ' +
    'network namespace; the program counts only the server\'s (by the namespace\'s inode number). On ' +
    'loopback the client is in that namespace too, so segments its socket receives count as well. Reading ' +
    'kernel memory reaches only the skb\'s linear part: on loopback TCP the payload sits in page fragments, ' +
    'so the dump stops at the end of the TCP header.',
});
