// What analysis produces: each packet and read interpreted, the maps decoded, the study compared.
// Its own module so the analysis steps can share the types without importing each other.
import type { Decoded } from './decode.ts';
import type { MaskedRange } from './mask.ts';
import type { HookName } from '../hooks/index.ts';
import type { DecodedEntry } from './map-entries.ts';
import type { DifferenceKind, ExperimentSpec } from '../../experiments/spec.ts';
import type { KernelPacket, Observations } from '../vocabulary/observations.ts';
import type { LayerName } from '../vocabulary/layers.ts';

export interface PacketAnalysis {
  packet: KernelPacket;
  decoded: Decoded;
  /** One line: layers, addresses, ports (ephemeral ones as *), flags, payload size. */
  summary: string;
  masked: MaskedRange[];
  /** The captured bytes with masked fields zeroed: what results/ shows. */
  normalised: Uint8Array;
  /** Which way the packet travelled, by the experiment's port (or address); null when the view shows neither. */
  direction: Direction | null;
}

export type Direction = 'to-server' | 'from-server';

export interface ReadAnalysis {
  bytes: Uint8Array;
  /** Where these exact bytes sit in the kernel's view: packet index and byte offset, or null. */
  foundIn: { packet: number; offset: number } | null;
  masked: MaskedRange[];
  normalised: Uint8Array;
  /** The first layer of the read: where it sits in the kernel's packet, or decoded from its own bytes. */
  startsWith: LayerName;
}

export interface Analysis {
  spec: ExperimentSpec;
  observations: Observations;
  packets: PacketAnalysis[];
  reads: ReadAnalysis[];
  observerReads: ReadAnalysis[];
  entries: DecodedEntry[];
  study: StudyVerdict | null;
  /** The experiment's explanation, as far as this run shows it (why.ts). */
  why: string[];
  /** What the program read outside its view, where it records that (reach.bpf.c); else null. */
  reach: ReachAnalysis | null;
  /** The experiment's own cross-checks (none for a run that observed nothing). */
  checks: Check[];
  matrixRow: MatrixRow;
}

export interface Difference {
  kind: DifferenceKind;
  description: string;
  /** Why, where the experiment knows; null where the harness has no explanation. */
  explanation: string | null;
}

export interface StudyVerdict {
  status: 'reproduced' | 'differs';
  differences: Difference[];
}

export interface Check {
  description: string;
  expected: string;
  observed: string;
  ok: boolean;
}

/** One row of the visibility matrix, computed from what the run observed (the status is added with the run's). */
export interface MatrixRow {
  hook: HookName;
  attached_to: string;
  first_layer: string;
  directions: string;
  control_segments: string;
  payload: string;
  userspace_gets: string;
  return_value: string;
}

/** One packet's reach: what the filter read outside its view (null where the read failed, with the error). */
export interface ReachPacket {
  /** Index into the run's packets. */
  packet: number;
  /** The IP header through bpf_skb_load_bytes_relative(BPF_HDR_START_NET), masked like the packet's bytes. */
  network_header: { hex: string; src: string; dst: string; protocol: number; ttl: number } | null;
  network_error: number | null;
  /** The link-layer header through BPF_HDR_START_MAC. */
  mac_header: { hex: string; dst: string; src: string; ethertype: number } | null;
  mac_error: number | null;
  /** ld_abs at SKF_NET_OFF (TTL or hop limit, protocol) and SKF_LL_OFF (EtherType): null where the load
   *  did not return (a failed classic load ends the program). */
  classic: { ttl: number | null; protocol: number | null; ethertype: number | null };
  /** The payload's first 4 bytes through the network header's offset, where the packet has payload. */
  payload: {
    offset: number;
    helper: { ok: boolean; hex?: string; error?: number };
    ld_ind: 'not tried' | { ok: boolean; hex?: string };
  } | null;
}

export interface ReachAnalysis {
  packets: ReachPacket[];
  /** The study's conclusion against this run. */
  verdict: { refuted: boolean; text: string; short: string };
}
