// Compares one run with the 2017 study: packets aligned by TCP flags and payload, then reads.
import type { LayerName, TcpFlag } from '../vocabulary/layers.ts';
import type { StudyPacket, StudyResult } from '../../experiments/spec.ts';
import type { Difference, PacketAnalysis, ReadAnalysis, StudyVerdict } from './types.ts';

interface Shape {
  startsWith: LayerName;
  tcpFlags: TcpFlag[] | null;
  payloadLength: number;
  length: number;
}

const key = (p: Pick<Shape, 'tcpFlags' | 'payloadLength'>) => `${(p.tcpFlags ?? []).join('|')}/${p.payloadLength > 0 ? 'data' : 'empty'}`;

/** "SYN (40 B)" or "19 B" when there are no TCP flags. */
export function shapeName(p: Pick<Shape, 'tcpFlags' | 'length'>): string {
  return p.tcpFlags ? `${p.tcpFlags.join('|') || 'no flags'} (${p.length} B)` : `${p.length} B`;
}

export function compareWithStudy(study: StudyResult, packets: PacketAnalysis[], reads: ReadAnalysis[]): StudyVerdict {
  const now: Shape[] = packets.map(({ packet, decoded }) => ({
    startsWith: decoded.startsWith,
    tcpFlags: decoded.tcpFlags,
    payloadLength: decoded.payloadLength,
    length: packet.length,
  }));
  const differences = [
    ...firstLayer(study.packets, now),
    ...alignPackets(study, now),
    ...compareReads(study, packets, reads),
  ];
  return { status: differences.length === 0 ? 'reproduced' : 'differs', differences };
}

function firstLayer(then: StudyPacket[], now: Shape[]): Difference[] {
  const was = new Set(then.map((p) => p.startsWith));
  const is = new Set(now.map((p) => p.startsWith));
  const same = was.size === is.size && [...was].every((l) => is.has(l));
  if (same) return [];
  return [
    {
      kind: 'first-layer',
      description: `the filter's view starts at ${[...is].join('/') || 'nothing'}; in 2017 at ${[...was].join('/')}`,
      explanation: null,
    },
  ];
}

/** Longest common subsequence by shape, so one extra packet does not make every later one differ. */
function alignPackets(study: StudyResult, now: Shape[]): Difference[] {
  const then = study.packets;
  const lcs = Array.from({ length: then.length + 1 }, () => new Array<number>(now.length + 1).fill(0));
  for (let i = then.length - 1; i >= 0; i--) {
    for (let j = now.length - 1; j >= 0; j--) {
      lcs[i][j] = key(then[i]) === key(now[j]) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const differences: Difference[] = [];
  let i = 0;
  let j = 0;
  while (i < then.length || j < now.length) {
    if (i < then.length && j < now.length && key(then[i]) === key(now[j])) {
      if (then[i].length !== now[j].length) {
        differences.push({
          kind: 'packet-length',
          description: `packet #${j} ${shapeName(now[j])} was ${then[i].length} B in 2017`,
          explanation: null,
        });
      }
      i++;
      j++;
    } else if (j < now.length && (i === then.length || lcs[i][j + 1] >= lcs[i + 1][j])) {
      const known = study.knownDifferences.find((k) => key(k.extraPacket) === key(now[j]));
      differences.push({
        kind: 'extra-packet',
        description: `the filter saw packet #${j} ${shapeName(now[j])}, which the study did not see (${now.length} packets now, ${then.length} in 2017)`,
        explanation: known?.explanation ?? null,
      });
      j++;
    } else {
      differences.push({
        kind: 'missing-packet',
        description: `the study's packet ${shapeName(then[i])} did not reach the filter (${now.length} packets now, ${then.length} in 2017)`,
        explanation: null,
      });
      i++;
    }
  }
  return differences;
}

function compareReads(study: StudyResult, packets: PacketAnalysis[], reads: ReadAnalysis[]): Difference[] {
  const lengths = reads.map((r) => r.bytes.length);
  const differences: Difference[] = [];
  if (lengths.join() !== study.reads.join()) {
    differences.push({
      kind: 'reads',
      description: `the server read ${lengths.length} time(s) [${lengths.join(', ')} B]; in 2017 ${study.reads.length} time(s) [${study.reads.join(', ')} B]`,
      explanation: null,
    });
  }
  const misplaced = reads.findIndex((r) => {
    if (!r.foundIn) return true;
    const p = packets[r.foundIn.packet];
    return study.userView === 'whole-packet'
      ? r.foundIn.offset !== 0 || r.bytes.length !== p.packet.length
      : r.foundIn.offset !== p.decoded.payloadOffset;
  });
  if (misplaced >= 0) {
    differences.push({
      kind: 'user-view',
      description: `read #${misplaced} is not ${study.userView === 'whole-packet' ? 'a whole packet of the filter\'s view' : 'the payload of a packet of the filter\'s view'}, as it was in 2017`,
      explanation: null,
    });
  }
  return differences;
}
