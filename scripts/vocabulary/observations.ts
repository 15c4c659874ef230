// The typed boundary between capture and analysis: what the kernel side and the socket's owner saw.
import type { TopologyKind } from './addresses.ts';

/** How a run's program hands its dump over (--channel): a BPF ring buffer, trace_pipe lines, or a perf
 *  event array (BPF_MAP_TYPE_PERF_EVENT_ARRAY, one buffer per CPU). */
export const CAPTURE_CHANNELS = ['ringbuf', 'trace_pipe', 'perf'] as const;
export type CaptureChannel = (typeof CAPTURE_CHANNELS)[number];

/** Where the kernel-side view came from: a run's channel, or logs imported. */
export type Channel = CaptureChannel | 'import';

/** One packet as the eBPF program saw it. */
export interface KernelPacket {
  /** The program's number for the packet ((CPU << 12) | that CPU's count): an identifier, not an order. */
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
  /** For AF_PACKET sockets, the pkt_type recvfrom() reported. */
  pktType?: number;
}

/** An entry of a map the program keeps (flows, counts), key as hex. */
export interface MapEntry {
  map: string;
  key: string;
  value: number;
}

/** What a program recorded about one packet beyond its view (bpf/reach.bpf.c's struct reach_record, hex),
 *  keyed like the packet: by KernelPacket.seq. */
export interface ReachObservation {
  seq: number;
  record: string;
}

/** Everything one run of one experiment observed, before any interpretation. */
export interface Observations {
  experiment: string;
  /** `uname -r` of the kernel the run happened on (or what an import says). */
  kernel: string;
  channel: Channel;
  topology: TopologyKind;
  /** The address the server listened on. */
  serverAddress: string;
  packets: KernelPacket[];
  reads: UserRead[];
  /** Reads of the unfiltered raw socket beside the server's, where the experiment has one. */
  observerReads: UserRead[];
  entries: MapEntry[];
  /** Per packet, what the program read outside its view (programs that record it: reach.bpf.c). */
  reach?: ReachObservation[];
  /** Pinned maps as `bpftool map dump pinned` shows them (empty when nothing is pinned). */
  pinned: MapEntry[];
  /** Packets the server's interface received and sent, read after the server stopped (null for imports and
   *  for experiments without pinned maps).
   *  Only the counter's check uses them: elsewhere late segments (the server's close) make them vary. */
  interface: { name: string; rxPackets: number; txPackets: number } | null;
  /** Records the kernel side could not deliver (ring buffer or perf buffer full), counted by the program. */
  lost: number;
}

/** Versions of the tools a result depends on, for reports (stable between identical runs). */
export type ToolVersions = Record<'node' | 'clang' | 'libbpf' | 'bpftool' | 'ncat' | 'iproute2', string>;
