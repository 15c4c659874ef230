// Interprets observations: decodes each packet, masks what changes between runs, finds the user's bytes
// inside the kernel's view, decodes the program's maps, and compares the result with the 2017 study.
import { decode, describe, type Decoded } from './decode.ts';
import { applyMask, maskedRanges, type MaskedRange } from './mask.ts';
import { compareWithStudy } from './study.ts';
import { decodeEntry } from './map-entries.ts';
import { runChecks } from './cross-checks.ts';
import { matrixRow } from './matrix-row.ts';
import { explainDifferences, shownClaims } from './why.ts';
import { analyzeReach } from './reach.ts';
import { PORT, type ExperimentSpec } from '../../experiments/spec.ts';
import type { Analysis, Direction, PacketAnalysis, ReadAnalysis } from './types.ts';
import type { Observations, UserRead } from '../vocabulary/observations.ts';

/** `ran: false` for a run that observed nothing (unsupported, failed): it has nothing to cross-check. */
export function analyze(spec: ExperimentSpec, observations: Observations, { ran = true } = {}): Analysis {
  const knownPorts = [PORT];
  const packets = observations.packets.map((packet): PacketAnalysis => {
    const decoded = decode(packet.bytes, { transport: spec.transport, length: packet.length });
    const masked = maskedRanges(decoded, { knownPorts });
    return {
      packet,
      decoded,
      summary: describe(decoded, { knownPorts }),
      masked,
      normalised: applyMask(packet.bytes, masked),
      direction: direction(decoded, observations.serverAddress),
    };
  });
  const claimed = new Set<number>();
  // Stream and datagram sockets return payload only; raw and packet sockets return headers, decoded here.
  const analyzeRead = (payloadOnly: boolean) => ({ bytes }: UserRead): ReadAnalysis => {
    const foundIn = bytes.length === 0 && spec.server.program === 'udp' ? emptyDatagram(packets, claimed) : locate(bytes, packets, claimed);
    if (foundIn) claimed.add(foundIn.packet);
    if (foundIn) {
      // Masked like those bytes of the packet, and starting where they start in it.
      const masked = shiftRanges(packets[foundIn.packet].masked, foundIn.offset, bytes.length);
      const layer = packets[foundIn.packet].decoded.layers.find((l) => l.offset === foundIn.offset && l.length > 0);
      return { bytes, foundIn, masked, normalised: applyMask(bytes, masked), startsWith: layer?.name ?? 'payload' };
    }
    const decoded = decode(bytes, payloadOnly ? { startsWith: 'payload' } : { transport: spec.transport });
    const masked = maskedRanges(decoded, { knownPorts });
    return { bytes, foundIn, masked, normalised: applyMask(bytes, masked), startsWith: decoded.startsWith };
  };
  const reads = observations.reads.map(analyzeRead(spec.server.program === 'tcp' || spec.server.program === 'udp'));
  const shown = shownClaims(spec, {
    topology: observations.topology,
    packets: packets.map((p) => ({ tcpFlags: p.decoded.tcpFlags, direction: p.direction })),
  });
  const study = spec.study ? explainDifferences(compareWithStudy(spec.study, packets, reads), shown) : null;
  const observerReads = observations.observerReads.map(analyzeRead(false));
  // Hash maps iterate in no stable order: sort, so results are the same on every run.
  const entries = [...observations.entries].sort((x, y) => (x.map + x.key).localeCompare(y.map + y.key)).map(decodeEntry);
  return {
    spec,
    observations,
    packets,
    reads,
    observerReads,
    entries,
    study,
    why: ran ? shown.map((c) => c.text) : [],
    reach: ran && observations.reach?.length ? analyzeReach(packets, observations.reach, spec.family) : null,
    checks: runChecks({ spec, observations, entries }, ran),
    matrixRow: matrixRow({ spec, packets, reads, observerReads }),
  };
}

function direction(d: Decoded, serverAddress: string): Direction | null {
  if (d.dstPort === PORT) return 'to-server';
  if (d.srcPort === PORT) return 'from-server';
  if (d.dst === serverAddress && d.src !== serverAddress) return 'to-server';
  if (d.src === serverAddress && d.dst !== serverAddress) return 'from-server';
  return null;
}

/** An empty read on a datagram socket is one datagram with nothing after its header (a filter that trims
 *  it there, or an empty payload): reads come in the order datagrams arrive, so it is the first one to the
 *  server that no earlier read claimed, "found" at its payload offset. */
function emptyDatagram(packets: PacketAnalysis[], claimed: Set<number>): ReadAnalysis['foundIn'] {
  const index = packets.findIndex((p, i) => !claimed.has(i) && p.direction === 'to-server');
  return index < 0 ? null : { packet: index, offset: packets[index].decoded.payloadOffset };
}

/** Finds a read inside the kernel packets, preferring a match at a packet's payload offset, and packets
 *  no earlier read was found in (AF_PACKET on lo sees each packet twice, with the same bytes). */
export function locate(needle: Uint8Array, packets: PacketAnalysis[], claimed = new Set<number>()): ReadAnalysis['foundIn'] {
  const unclaimed = packets.map((p, i) => [i, p] as const).filter(([i]) => !claimed.has(i));
  return search(needle, unclaimed) ?? search(needle, [...packets.entries()]);
}

function search(needle: Uint8Array, packets: (readonly [number, PacketAnalysis])[]): ReadAnalysis['foundIn'] {
  let fallback: ReadAnalysis['foundIn'] = null;
  for (const [index, { packet, decoded }] of packets) {
    for (let offset = indexOf(packet.bytes, needle, 0); offset >= 0; offset = indexOf(packet.bytes, needle, offset + 1)) {
      if (offset === decoded.payloadOffset || (offset === 0 && needle.length === packet.bytes.length)) {
        return { packet: index, offset };
      }
      fallback ??= { packet: index, offset };
    }
  }
  return fallback;
}

/** The parts of a packet's masked ranges that fall inside [offset, offset + length), relative to offset. */
function shiftRanges(ranges: MaskedRange[], offset: number, length: number): MaskedRange[] {
  return ranges.flatMap((r) => {
    const start = Math.max(r.offset, offset);
    const end = Math.min(r.offset + r.length, offset + length);
    return end > start ? [{ ...r, offset: start - offset, length: end - start }] : [];
  });
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  if (needle.length === 0) return -1;
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(needle, from);
}
