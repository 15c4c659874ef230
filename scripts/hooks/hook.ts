// What a hook module declares: everything that differs between the places a program can sit — how to
// probe the kernel for it, how to attach it, where its view starts, what it sees and what its return
// values mean. The harness, the servers, analysis and reports ask the hook; none of them switch on its name.

/** Undoes an attach. */
export type Detach = () => void;

/** What a probe may look at. Bound in run/setup/hook-support.ts; a fake in unit tests. */
export interface ProbeContext {
  exists(path: string): boolean;
  /** tracefs's mount point (mounted privately when the system has none); `why` goes into the error if that fails. */
  tracefs(why: string): Promise<string>;
  /** The tracepoint the experiment names ("tcp/tcp_probe"), for tracepoint hooks. */
  tracepoint?: string;
}

/** A lack of the kernel's that a probe proved: no implementation could avoid it. */
export interface KernelLack {
  /** One sentence: "kprobes are not available (…)". */
  reason: string;
  /** What exactly is missing: a config option, a tracepoint, a file. */
  missing: string;
  /** The release that added it, where known and checked against kernel sources. */
  since?: string;
}

/** The means a hook's attach() has: the server's loaded program, interface and cgroup. Bound to libbpf in
 *  servers/load-attach/capture-program.ts; a fake in unit tests. */
export interface AttachContext {
  /** Where the program's section says (kprobe/…, tp_btf/…), through a bpf_link. */
  attachBySection(): Detach;
  attachXdp(ifindex: number): Detach;
  attachTc(ifindex: number, direction: 'ingress' | 'egress'): Detach;
  attachCgroup(cgroupPath: string): Detach;
  /** The server's interface (XDP and tc attach there). */
  ifindex(): number;
  /** The cgroup2 folder the server joined (cgroup hooks attach there). */
  cgroup: string | undefined;
}

/** What a program's return value does to the packet, as far as the harness can tell. */
export type ReturnEffect = 'keep-going' | 'drop' | 'trim' | 'ignored' | 'other';

export interface HookDefinition<Name extends string = string> {
  name: Name;
  /** What its programs are called in reports and pcapng comments: "tc ingress classifier". */
  programText: string;
  /** Where the program goes: the server's sockets (SO_ATTACH_BPF, per socket the server opens), the
   *  server's interface, the server's cgroup (one is created for it), or a kernel function (system-wide). */
  attachesTo: 'socket' | 'interface' | 'cgroup' | 'kernel';
  /** The server must be a process of its own rather than a thread of the harness: joining a cgroup (the
   *  server's sockets must be created inside it) moves a whole process. */
  ownProcess?: boolean;
  /** Where offset 0 of the program's view is: the link-layer header, the network header, wherever the
   *  socket's receive path has skb->data (raw: IP; stream and datagram: transport; packet: link), or
   *  wherever the traced function has it. Checked against the committed results by a unit test. */
  viewStartsAt: 'link' | 'network' | 'socket' | 'function';
  /** Which packets it sees: arriving, leaving, what the socket's receive path passes (AF_PACKET taps both
   *  directions), or what the traced function handles. Egress hooks mark packets outbound in pcapng. */
  sees: 'ingress' | 'egress' | 'socket' | 'function';
  /** Where skb->pkt_type tells nothing at this hook, why: reports then say "not meaningful here" instead of
   *  a value that reads as a direction. */
  pktTypeNotMeaningful?: string;
  /** The return value that lets a packet go on unchanged, as reports write it. */
  keepGoing: string;
  /** A fixed return value as reports write it, and what it does. */
  returnName(value: number): string;
  returnEffect(value: number): ReturnEffect;
  /** Why this kernel cannot run the hook, or null when it can. */
  probe(ctx: ProbeContext): Promise<KernelLack | null>;
  /** Attaches the server's program; null for socket hooks, which the server attaches to each socket it opens. */
  attach(ctx: AttachContext): Detach | null;
}

/** Keeps the hook's literal name in its type, so the registry can derive the union of hook names. */
export function defineHook<const Name extends string>(hook: HookDefinition<Name>): HookDefinition<Name> {
  return hook;
}

/** Why egress hooks cannot tell anything by pkt_type: __alloc_skb() zeroes it, and PACKET_HOST is 0. */
export const EGRESS_PKT_TYPE = 'a packet this host sends keeps pkt_type 0 (host) until a device receives it, so egress hooks read host on every one';

/** For hooks that need nothing beyond the eBPF core the harness already requires. */
export const ALWAYS_THERE = async (): Promise<KernelLack | null> => null;

/** What every tracing hook shares: system-wide, on a kernel function's skb, its return value ignored. */
export const TRACING = {
  attachesTo: 'kernel',
  viewStartsAt: 'function',
  sees: 'function',
  pktTypeNotMeaningful: 'only packets for this host reach the traced receive function, so it reads host on every one',
  keepGoing: '0 (ignored)',
  returnName: (value: number) => `${value} (ignored)`,
  returnEffect: () => 'ignored',
} as const satisfies Partial<HookDefinition>;
