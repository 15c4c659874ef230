// summary.json: the machine-readable result of one experiment (snake_case, as the issue tracker specifies).
import { PKT_TYPE_NAMES, type LayerName, type TcpFlag } from './layers.ts';
import type { Analysis } from './analyze.ts';
import type { Difference } from './compare-study.ts';
import type { MaskedRange } from './mask.ts';
import type { Channel } from './observations.ts';
import type { ToolVersions } from './tools.ts';

export const MASKING_NOTE =
  'Bytes that change between identical runs are zeroed in "hex" and listed in "masked" (written as xx in ' +
  'the text dumps): IPv4 ID and header checksum, IPv6 flow label, ephemeral ports (every port but the ' +
  "experiment's), TCP sequence and acknowledgement numbers, TCP timestamps (TSval/TSecr), and TCP/UDP " +
  'checksums. Lengths, flags, offsets and all other bytes are as captured.';

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
  summary: string;
  hex: string;
  masked: MaskedRange[];
}

export interface SummaryRead {
  length: number;
  found_in: { packet: number; offset: number } | null;
  hex: string;
  masked: MaskedRange[];
}

export interface Summary {
  experiment: string;
  title: string;
  kernel: string;
  channel: Channel;
  traffic: string;
  tools: ToolVersions | null;
  kernel_view: { lost: number; packets: SummaryPacket[] };
  user_view: { reads: SummaryRead[] };
  original: { status: 'reproduced' | 'differs' | 'no-counterpart'; differences: Difference[] };
  masking: string;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

export function buildSummary(a: Analysis, tools: ToolVersions | null): Summary {
  return {
    experiment: a.spec.name,
    title: a.spec.title,
    kernel: a.observations.kernel,
    channel: a.observations.channel,
    traffic: a.spec.traffic.display,
    tools,
    kernel_view: {
      lost: a.observations.lost,
      packets: a.packets.map(({ packet, decoded, summary, masked, normalised }) => ({
        length: packet.length,
        captured: packet.bytes.length,
        starts_with: decoded.startsWith,
        tcp_flags: decoded.tcpFlags,
        payload_offset: decoded.payloadOffset,
        payload_length: decoded.payloadLength,
        pkt_type: packet.pktType === null ? null : (PKT_TYPE_NAMES[packet.pktType] ?? String(packet.pktType)),
        protocol: packet.protocol === null ? null : `0x${packet.protocol.toString(16).padStart(4, '0')}`,
        ifindex: packet.ifindex,
        summary,
        hex: hex(normalised),
        masked,
      })),
    },
    user_view: {
      reads: a.reads.map((r) => ({ length: r.bytes.length, found_in: r.foundIn, hex: hex(r.normalised), masked: r.masked })),
    },
    original: a.study ?? { status: 'no-counterpart', differences: [] },
    masking: MASKING_NOTE,
  };
}
