// What a socket filter's return value does: 0 drops, a small N trims, on raw, tcp and udp sockets.
// The "returns skb->len" case is the study's raw, tcp and udp.
import { SOCKET_ON_LOOPBACK, defineExperiment, type ExperimentSpec } from './spec.ts';
import { TCP_SEND_ONLY, TCP_TO_CLOSED_PORT, TCP_UNANSWERED, UDP_DATAGRAM } from './traffic.ts';

/** Far below every header: the kernel's cap decides what is kept. */
const TRIM_TO = 4;

/** The dump filter, returning `value` instead of skb->len. */
const returning = (value: number) => ({ ...SOCKET_ON_LOOPBACK, filter: { ...SOCKET_ON_LOOPBACK.filter, returnValue: value } });

const trimRaw = defineExperiment({
  ...returning(TRIM_TO),
  name: 'trim-raw',
  title: `AF_INET SOCK_RAW, IPPROTO_TCP, filter returns ${TRIM_TO}`,
  server: { program: 'raw' },
  transport: 'tcp',
  traffic: [TCP_TO_CLOSED_PORT],
  doneWhen: { reads: 2 },
  explanation:
    `raw_rcv_skb() calls sk_filter(), whose cap is 1 byte: the packet is trimmed to the ${TRIM_TO} bytes the ` +
    'filter returned, and recv() gets the first bytes of the IPv4 header only. The filter itself still saw ' +
    'the whole packet.',
});

const trimTcp = defineExperiment({
  ...returning(TRIM_TO),
  name: 'trim-tcp',
  title: `AF_INET SOCK_STREAM, filter returns ${TRIM_TO}`,
  server: { program: 'tcp' },
  transport: 'tcp',
  traffic: [TCP_SEND_ONLY],
  // SYN, ACK, PSH|ACK, FIN|ACK; the client retransmits the lost data no earlier than 200 ms later.
  doneWhen: { packets: 4 },
  explanation:
    'tcp_filter() calls sk_filter_trim_cap(sk, skb, th->doff * 4): the kernel never trims below the whole TCP ' +
    `header, whatever the filter returns, so the handshake still works. The data segment loses its payload ` +
    '(TCP then sees a segment without data), the FIN arrives out of order, and recv() returns nothing: the ' +
    'client retransmits the data until the budget of net.ipv4.tcp_retries2 runs out (default 15: at least ' +
    '924.6 s, by ip-sysctl.rst), or that of tcp_orphan_retries once the client has closed the socket.',
});

const trimUdp = defineExperiment({
  ...returning(TRIM_TO),
  name: 'trim-udp',
  title: `AF_INET SOCK_DGRAM, filter returns ${TRIM_TO}`,
  server: { program: 'udp' },
  transport: 'udp',
  traffic: [UDP_DATAGRAM],
  doneWhen: { reads: 1 },
  explanation:
    'udp_queue_rcv_one_skb() calls sk_filter_trim_cap(sk, skb, sizeof(struct udphdr)): the datagram keeps its ' +
    `8-byte header but not one byte more, even though the filter returned ${TRIM_TO}. The payload is gone, and ` +
    'recv() returns an empty datagram (0 bytes), not an error.',
});

const dropRaw = defineExperiment({
  ...returning(0),
  name: 'drop-raw',
  title: 'AF_INET SOCK_RAW, IPPROTO_TCP, filter returns 0',
  server: { program: 'raw', observer: true },
  transport: 'tcp',
  traffic: [TCP_TO_CLOSED_PORT],
  doneWhen: { observerReads: 2 },
  explanation:
    'Returning 0 drops the packet for this socket only: the filtered raw socket reads nothing, while an ' +
    'unfiltered raw socket beside it still reads both packets, and TCP still answers the SYN with RST|ACK.',
});

const dropTcp = defineExperiment({
  ...returning(0),
  name: 'drop-tcp',
  title: 'AF_INET SOCK_STREAM, filter returns 0 on the listening socket',
  server: { program: 'tcp', observer: true },
  transport: 'tcp',
  traffic: [TCP_UNANSWERED],
  doneWhen: { observerReads: 1 },
  explanation:
    'Returning 0 from the listener\'s filter discards the SYN for this socket: no SYN|ACK, so the client\'s ' +
    'connect times out. The packet was not dropped for the host: an unfiltered raw socket still reads the SYN.',
});

const dropUdp = defineExperiment({
  ...returning(0),
  name: 'drop-udp',
  title: 'AF_INET SOCK_DGRAM, filter returns 0',
  server: { program: 'udp', observer: true },
  transport: 'udp',
  traffic: [UDP_DATAGRAM],
  doneWhen: { observerReads: 1 },
  explanation:
    'Returning 0 drops the datagram for this socket only (counted as a socket-filter drop): the server reads ' +
    'nothing, an unfiltered raw UDP socket beside it reads the datagram, and no ICMP error is sent because the ' +
    'port has a socket.',
});

export const RETURN_VALUE_EXPERIMENTS: ExperimentSpec[] = [trimRaw, trimTcp, trimUdp, dropRaw, dropTcp, dropUdp];
