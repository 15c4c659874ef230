// What an experiment file declares: where the program sits, what traffic flows, and what 2017 saw.
import type { LayerName, TcpFlag, Transport } from '../scripts/vocabulary/layers.ts';
import type { Family, TopologyKind } from '../scripts/vocabulary/addresses.ts';
import type { HookName } from '../scripts/hooks/index.ts';
import type { SocketKind } from '../scripts/hooks/view-start.ts';

/** In traffic commands, replaced by the server's address on the chosen topology. */
export const SERVER = '{server}';

/** The study's port: 0x4242. */
export const PORT = 16962;

export interface ExperimentSpec {
  name: string;
  /** Where the program is attached, as a heading: "AF_INET SOCK_RAW, IPPROTO_TCP". */
  title: string;
  hook: HookName;
  /** The topology it runs on by default; socket experiments also run on the other (--topology), unless
   *  `topologyFixed` says why this one cannot. */
  topology: TopologyKind;
  topologyFixed?: string;
  family: Family;
  /** servers/<program>.ts opens the socket and attaches the program (or a hook). */
  server: { program: SocketKind; observer?: boolean };
  /** bpf/<object>.bpf.c and the program in it; returnValue replaces the hook's "keep going" value. */
  /** `noBytes`: why the program records no bytes ("it only counts", "classic BPF cannot record"): reports
   *  say so and show its maps and the reads instead. `classic`: bpf/<object>.cbpf, a classic
   *  BPF filter (tcpdump -dd format) attached with SO_ATTACH_FILTER, not an eBPF object; `returns` then says what it
   *  returns, which its instructions decide. */
  filter: { object: string; program: string; returnValue?: number; pins?: string[]; noBytes?: string; classic?: true; returns?: string };
  /** Another program of the same object to use where this kernel lacks the hook, and what it changes. */
  fallback?: { hook: HookName; program: string; title: string; tracepoint?: string; note: string };
  /** For tracepoint hooks: the tracepoint ("tcp/tcp_probe"), checked before anything is attached. */
  tracepoint?: string;
  /** The traffic's transport: tells the decoder what a view without an IP header starts with. */
  transport: Transport;
  /** Run one after the other, from the client's namespace. */
  traffic: readonly Traffic[];
  /** What marks the end of the exchange, besides the traffic commands exiting. */
  doneWhen: DoneWhen;
  /** Why the kernel behaves like this, printed in the report: a text true of every run of the experiment,
   *  or claims, each printed only where this run's observations show it (`shownBy`), so a report never
   *  explains what its run did not show. */
  explanation: string | readonly Claim[];
  /** The 2017 study's result, where it has a counterpart. */
  study?: StudyResult;
  /** Independent evidence the run is checked against; a failed check fails the run. */
  checks?: readonly CrossCheck[];
}

/** `pinned-map`: the pinned `counts` map read with bpftool equals what the server read from the program.
 *  `interface-counters`: the packets counted equal the server interface's own rx + tx counters.
 *  `kept-one-source`: the server read only what the client at ACCEPTED_SOURCE sent, while the unfiltered raw
 *  socket beside it saw SYNs from REFUSED_SOURCE too: the filter decided by the IP header. */
export type CrossCheck = 'pinned-map' | 'interface-counters' | 'kept-one-source';

/** The two loopback clients `kept-one-source` tells apart (cbpf-tcp's filter keeps the first). */
export const ACCEPTED_SOURCE = '127.0.0.1';
export const REFUSED_SOURCE = '127.0.0.2';

/** Every condition given must hold (all are counted on the server's messages). */
export interface DoneWhen {
  /** The stream socket's peer closed. */
  eof?: boolean;
  /** Reads on the server's socket, and on the observer socket. */
  reads?: number;
  observerReads?: number;
  /** Packets the program recorded (for exchanges that never end by themselves). */
  packets?: number;
}

export interface Traffic {
  /** Run inside the client's namespace, SERVER replaced by the server's address; `input` goes to stdin. */
  command: string[];
  input: string;
  /** Failure is expected: a connection attempt to a closed port, a connect timeout after a drop. */
  expectFailure?: boolean;
  /** A note for reports: "no listener: SYN, then the kernel answers RST|ACK". */
  note?: string;
}

export interface StudyPacket {
  length: number;
  startsWith: LayerName;
  tcpFlags: TcpFlag[] | null;
  payloadLength: number;
}

export interface StudyResult {
  packets: StudyPacket[];
  /** Lengths of the server's reads. */
  reads: number[];
  /** How the reads relate to the kernel view: whole packets, or only the payload. */
  userView: 'whole-packet' | 'payload';
  /** Differences today's kernels are known to show, with the reason. */
  knownDifferences: KnownDifference[];
}

export interface KnownDifference {
  /** A packet the filter sees now that the study did not. */
  extraPacket: { tcpFlags: TcpFlag[] | null; payloadLength: number };
  explanation: string;
}

/** How a run can differ from the 2017 study. */
export type DifferenceKind = 'first-layer' | 'extra-packet' | 'missing-packet' | 'packet-length' | 'reads' | 'user-view';

/** What a claim of an explanation may look at: the run's topology and each packet the program saw. */
export interface Seen {
  topology: TopologyKind;
  packets: readonly { tcpFlags: TcpFlag[] | null; direction: 'to-server' | 'from-server' | null }[];
}

export interface Claim {
  text: string;
  /** Whether this run shows it; a claim without one holds for every run. */
  shownBy?: (seen: Seen) => boolean;
  /** The differences from the 2017 study that this claim accounts for, where the run shows the claim. */
  explains?: readonly DifferenceKind[];
}

export function defineExperiment(spec: ExperimentSpec): ExperimentSpec {
  return spec;
}

/** Where most socket experiments sit: the dump filter on a socket, in one namespace on loopback. */
export const SOCKET_ON_LOOPBACK = {
  hook: 'socket',
  topology: 'loopback',
  family: 4,
  filter: { object: 'dump', program: 'dump' },
} as const;

/** Why a packet socket bound to lo keeps its topology (--topology cannot move it). */
export const BOUND_TO_LO = 'its socket is bound to lo, where each packet passes twice';

/** A socket experiment on a topology other than its own (--topology): a name of its own, so its results go
 *  to a folder of their own and never replace the catalogue's result. */
export function onTopology(spec: ExperimentSpec, topology: TopologyKind): ExperimentSpec {
  if (topology === spec.topology || spec.topologyFixed) return spec;
  return { ...spec, name: variantName(spec.name, topology), title: `${spec.title}, on ${topology === 'veth' ? 'a veth pair' : 'loopback'}`, topology };
}

export const variantName = (name: string, topology: TopologyKind) => `${name}-${topology}`;

/** The IPv6 twin of an IPv4 socket experiment, on ::1; the 2017 study has no counterpart for it. */
export function ipv6Twin(base: ExperimentSpec, twin: Pick<ExperimentSpec, 'title' | 'explanation'>): ExperimentSpec {
  return { ...base, ...twin, name: `${base.name}6`, family: 6, study: undefined };
}
