// The typed boundary between capture and analysis: what the kernel side and the socket's owner saw.

/** Where the kernel-side view came from. */
export type Channel = 'ringbuf' | 'trace_pipe' | 'import';

/** One packet as the eBPF program saw it. */
export interface KernelPacket {
  /** Order in which the program saw the packets (0-based). */
  seq: number;
  /** skb->len: the packet's length from where the program's view starts. */
  length: number;
  /** The first bytes of that view (at most the capture limit). */
  bytes: Uint8Array;
  /** skb metadata a socket filter can read; null where the source does not carry it (the 2017 logs). */
  pktType: number | null;
  /** skb->protocol in host order (0x0800 for IPv4); null where unknown. */
  protocol: number | null;
  ifindex: number | null;
}

/** One successful read (recv/recvfrom) by the program that owns the socket. */
export interface UserRead {
  bytes: Uint8Array;
}

/** Everything one run of one experiment observed, before any interpretation. */
export interface Observations {
  experiment: string;
  /** `uname -r` of the kernel the run happened on (or "unknown" for an import without one). */
  kernel: string;
  channel: Channel;
  packets: KernelPacket[];
  reads: UserRead[];
  /** Records the kernel side could not deliver (ring buffer full), counted by the program. */
  lost: number;
}
