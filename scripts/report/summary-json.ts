// summary.json: the machine-readable result of one experiment (snake_case keys), serialised from the
// analysis; every other result file is rendered from it.
import { pktTypeName, type LayerName, type TcpFlag } from '../vocabulary/layers.ts';
import { decode, type Decoded } from '../analysis/decode.ts';
import { returnsText } from '../analysis/matrix-row.ts';
import { ran, statusLine, type RunStatus } from '../vocabulary/run-status.ts';
import { trafficLine } from '../../experiments/traffic.ts';
import type { Analysis, Check, Difference, Direction, MatrixRow, ReachAnalysis, ReadAnalysis } from '../analysis/types.ts';
import type { DecodedEntry } from '../analysis/map-entries.ts';
import type { TopologyKind } from '../vocabulary/addresses.ts';
import { hookNamed, type HookName } from '../hooks/index.ts';
import { PORT } from '../../experiments/spec.ts';
import { MASKED_FIELDS_TEXT, type MaskedRange } from '../analysis/mask.ts';
import type { Channel, ToolVersions } from '../vocabulary/observations.ts';

export const MASKING_NOTE =
  'Bytes that change between identical runs are zeroed in "hex" and listed in "masked" (written as xx in ' +
  `the text dumps): ${MASKED_FIELDS_TEXT}. Lengths, flags, offsets and all other bytes are as captured.`;

export interface SummaryPacket {
  length: number;
  captured: number;
  starts_with: LayerName;
  tcp_flags: TcpFlag[] | null;
  payload_offset: number;
  payload_length: number;
  pkt_type: string | null;
  protocol: string | null;
  ifindex: number | null;
  direction: Direction | null;
  summary: string;
  hex: string;
  masked: MaskedRange[];
}

export interface SummaryRead {
  length: number;
  starts_with: LayerName;
  pkt_type?: string;
  found_in: { packet: number; offset: number } | null;
  hex: string;
  masked: MaskedRange[];
}

export interface Summary {
  experiment: string;
  title: string;
  kernel: string;
  channel: Channel;
  topology: TopologyKind;
  hook: HookName;
  /** `no_bytes`: why it records no bytes (it only counts in its maps, or cannot record), else null. */
  program: { object: string; name: string; returns: string; no_bytes: string | null };
  traffic: string[];
  tools: ToolVersions | null;
  /** Map entries; ephemeral ports in flow keys are written as "*". */
  kernel_view: {
    lost: number;
    /** Why pkt_type tells nothing at this hook (each packet's is then null), or null where it does. */
    pkt_type_not_meaningful: string | null;
    packets: SummaryPacket[];
    maps: Record<string, string | number>[];
  };
  user_view: { reads: SummaryRead[] };
  /** The unfiltered raw socket beside the server's, where the experiment has one. */
  observer_view: { reads: SummaryRead[] } | null;
  checks: Check[];
  /** How this kernel changed the experiment (a fallback hook), or null. */
  note: string | null;
  /** How the run ended: the one source of its status line, colour and exit code. */
  status: RunStatus;
  overview: MatrixRow & { status: string };
  original: { status: 'reproduced' | 'differs' | 'no-counterpart' | 'not-run'; differences: Difference[] };
  /** Why the kernel behaves like this, as far as this run shows it: the report's "Why". */
  why: string[];
  /** What the program read outside its view, per packet, and the study's conclusion against it: only for
   *  programs that record it (bpf/reach.bpf.c). */
  reach?: ReachAnalysis;
  masking: string;
}

/** A packet's pkt_type as reports write it: its name, "not meaningful here" where the hook's tells nothing,
 *  or null where there is none. */
export function pktTypeText(s: Summary, p: SummaryPacket): string | null {
  return p.pkt_type ?? (s.kernel_view.pkt_type_not_meaningful ? 'not meaningful here' : null);
}

/** The headline: how many packets the program saw (or that it records none) and how many reads. */
export function seenAndRead(s: Summary): string {
  const seen = s.program.no_bytes ? `The program records no bytes (${s.program.no_bytes})` : `The program saw ${s.kernel_view.packets.length} packet(s)`;
  return `${seen}; the server's recv() returned ${s.user_view.reads.length} time(s).`;
}

/** Why records were lost, as reports say it (null where none were): the channel's buffer was full. */
export function lostText(s: Summary): string | null {
  const full = s.channel === 'perf' ? "a CPU's perf buffer was full" : 'the ring buffer was full';
  return s.kernel_view.lost > 0 ? `${s.kernel_view.lost} record(s) were lost: ${full}` : null;
}

/** Which way a packet travelled, as reports write it. */
export function directionText(d: Direction | null): string | null {
  return d === 'to-server' ? '→ server' : d === 'from-server' ? '← server' : null;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function maskEphemeralPorts(e: DecodedEntry): Record<string, string | number> {
  if (e.map !== 'flows') return { ...e };
  const port = (p: number) => (p === PORT ? p : '*');
  return { ...e, srcPort: port(e.srcPort), dstPort: port(e.dstPort) };
}

function summaryRead(r: ReadAnalysis, pktType: number | undefined): SummaryRead {
  return {
    length: r.bytes.length,
    starts_with: r.startsWith,
    ...(pktType === undefined ? {} : { pkt_type: pktTypeName(pktType) }),
    found_in: r.foundIn,
    hex: hex(r.normalised),
    masked: r.masked,
  };
}

/** The analysis as summary.json, with how the run ended and what a fallback changed (`note`). */
export function buildSummary(a: Analysis, tools: ToolVersions | null, status: RunStatus, note: string | null): Summary {
  const { spec, observations: o } = a;
  const pktTypeNote = hookNamed(spec.hook).pktTypeNotMeaningful ?? null;
  return {
    experiment: spec.name,
    title: spec.title,
    kernel: o.kernel,
    channel: o.channel,
    topology: o.topology,
    hook: spec.hook,
    program: {
      object: spec.filter.classic ? `bpf/${spec.filter.object}.cbpf` : `bpf/${spec.filter.object}.bpf.c`,
      name: spec.filter.program,
      returns: returnsText(spec),
      no_bytes: spec.filter.noBytes ?? null,
    },
    traffic: spec.traffic.map((t) => trafficLine(t, o.serverAddress)),
    tools,
    kernel_view: {
      lost: o.lost,
      pkt_type_not_meaningful: pktTypeNote,
      maps: a.entries.map(maskEphemeralPorts),
      packets: a.packets.map(({ packet, decoded, summary, masked, normalised, direction }) => ({
        length: packet.length,
        captured: packet.bytes.length,
        starts_with: decoded.startsWith,
        tcp_flags: decoded.tcpFlags,
        payload_offset: decoded.payloadOffset,
        payload_length: decoded.payloadLength,
        pkt_type: packet.pktType === null || pktTypeNote ? null : pktTypeName(packet.pktType),
        protocol: packet.protocol === null ? null : `0x${packet.protocol.toString(16).padStart(4, '0')}`,
        ifindex: packet.ifindex,
        direction,
        summary,
        hex: hex(normalised),
        masked,
      })),
    },
    user_view: { reads: a.reads.map((r, i) => summaryRead(r, o.reads[i].pktType)) },
    observer_view: spec.server.observer ? { reads: a.observerReads.map((r, i) => summaryRead(r, o.observerReads[i].pktType)) } : null,
    checks: a.checks,
    note,
    status,
    overview: { ...a.matrixRow, status: statusLine(status) },
    original: !ran(status) ? { status: 'not-run', differences: [] } : (a.study ?? { status: 'no-counterpart', differences: [] }),
    why: a.why,
    ...(a.reach ? { reach: a.reach } : {}),
    masking: MASKING_NOTE,
  };
}

/** A packet or read of summary.json decoded again (masked fields read as zero): for views built from results/ alone. */
export function decodeSummaryPacket(p: Pick<SummaryPacket, 'hex' | 'length' | 'starts_with'>): Decoded {
  return decode(Buffer.from(p.hex, 'hex'), { length: p.length, startsWith: p.starts_with });
}
