// What a socket filter read outside its own view (bpf/reach.bpf.c's records), per packet, and what that says
// about the 2017 study's conclusion that such a filter "cannot filter based on information located in lower
// level headers". Each record is joined to the packet's view (MAC header + IP header + view = the whole
// frame), decoded and masked like any packet, so the bytes shown regenerate byte for byte.
import { decode, type Decoded } from './decode.ts';
import { applyMask, maskedRanges } from './mask.ts';
import { PORT } from '../../experiments/spec.ts';
import {
  REACH_LD_ETHERTYPE,
  REACH_LD_PAYLOAD,
  REACH_LD_PAYLOAD_TRIED,
  REACH_LD_PROTOCOL,
  REACH_LD_TTL,
  decodeReachRecord,
  type ReachRecord,
} from '../vocabulary/record-layout.ts';
import type { ReachObservation } from '../vocabulary/observations.ts';
import type { PacketAnalysis, ReachAnalysis, ReachPacket } from './types.ts';

const MAC_LEN = 14;

/** The study's conclusion, quoted. */
export const STUDY_CONCLUSION =
  'a filter on a SOCK_STREAM or SOCK_DGRAM socket "cannot filter based on information located in lower level headers"';

export function analyzeReach(packets: PacketAnalysis[], records: readonly ReachObservation[], family: 4 | 6): ReachAnalysis {
  const bySeq = new Map(records.map((r) => [r.seq, decodeReachRecord(Buffer.from(r.record, 'hex'))]));
  const perPacket = packets.flatMap((p, i) => {
    const rec = bySeq.get(p.packet.seq);
    return rec ? [reachPacket(i, p, rec, family)] : [];
  });
  return { packets: perPacket, verdict: verdict(perPacket, packets.length, family) };
}

function reachPacket(index: number, p: PacketAnalysis, rec: ReachRecord, family: 4 | 6): ReachPacket {
  const ipLen = family === 4 ? (rec.net[0] & 0xf) * 4 : 40;
  const net = rec.net_rc === 0 ? rec.net.subarray(0, ipLen) : null;
  const mac = rec.mac_rc === 0 ? rec.mac : null;
  // The headers joined to the view make the whole frame (or IP packet): decoded and masked as one.
  const head = Buffer.concat([mac ?? Buffer.alloc(0), net ?? Buffer.alloc(0)]);
  const frame = Buffer.concat([head, p.packet.bytes]);
  const decoded = net
    ? decode(frame, { startsWith: mac ? 'ethernet' : family === 4 ? 'ipv4' : 'ipv6', length: head.length + p.packet.length })
    : null;
  const masked = decoded ? applyMask(frame, maskedRanges(decoded, { knownPorts: [PORT] })) : frame;
  const netAt = mac ? MAC_LEN : 0;
  const ip = decoded?.layers.find((l) => l.name === 'ipv4' || l.name === 'ipv6');
  const eth = decoded?.layers.find((l) => l.name === 'ethernet');
  const field = (l: Decoded['layers'][number] | undefined, name: string) => l?.fields.find((f) => f.name === name)?.value;
  const done = (bit: number) => (rec.ld_done & bit) !== 0;
  const word = Buffer.alloc(4);
  word.writeUInt32BE(rec.ld_payload >>> 0);
  return {
    packet: index,
    network_header: net && ip
      ? {
          hex: Buffer.from(masked.subarray(netAt, netAt + ipLen)).toString('hex'),
          src: String(field(ip, 'src')),
          dst: String(field(ip, 'dst')),
          protocol: Number(field(ip, family === 4 ? 'protocol' : 'next_header')),
          ttl: Number(field(ip, family === 4 ? 'ttl' : 'hop_limit')),
        }
      : null,
    network_error: rec.net_rc === 0 ? null : rec.net_rc,
    mac_header: mac ? { hex: mac.toString('hex'), dst: String(field(eth, 'dst_mac')), src: String(field(eth, 'src_mac')), ethertype: rec.mac.readUInt16BE(12) } : null,
    mac_error: rec.mac_rc === 0 ? null : rec.mac_rc,
    classic: {
      ttl: done(REACH_LD_TTL) ? rec.ld_ttl : null,
      protocol: done(REACH_LD_PROTOCOL) ? rec.ld_protocol : null,
      ethertype: done(REACH_LD_ETHERTYPE) ? rec.ld_ethertype : null,
    },
    payload:
      rec.payload_offset === 0
        ? null
        : {
            offset: rec.payload_offset,
            helper: rec.payload_rc === 0 ? { ok: true, hex: rec.payload.toString('hex') } : { ok: false, error: rec.payload_rc },
            ld_ind: !done(REACH_LD_PAYLOAD_TRIED)
              ? 'not tried'
              : done(REACH_LD_PAYLOAD)
                ? { ok: true, hex: word.toString('hex') }
                : { ok: false },
          },
  };
}

const ip = (family: 4 | 6) => (family === 4 ? 'IPv4' : 'IPv6');
const ttlName = (family: 4 | 6) => (family === 4 ? 'TTL' : 'hop limit');
const text = (hex: string) => JSON.stringify(Buffer.from(hex, 'hex').toString('latin1'));

/** The study's conclusion against this run: refuted where the filter read a lower header, else it holds. */
function verdict(reach: ReachPacket[], seen: number, family: 4 | 6): ReachAnalysis['verdict'] {
  const helper = reach.filter((r) => r.network_header);
  const classic = reach.filter((r) => r.classic.protocol !== null);
  const mac = reach.filter((r) => r.mac_header);
  const first = helper[0]?.network_header;
  const lines: string[] = [];
  const refuted = helper.length > 0 || classic.length > 0;
  if (refuted) {
    const what = first ? ` (${first.src} → ${first.dst}, protocol ${first.protocol}, ${ttlName(family)} ${first.ttl})` : '';
    lines.push(
      `Refuted on this kernel: the filter read the ${ip(family)} header${what} outside its view, through ` +
        `bpf_skb_load_bytes_relative(BPF_HDR_START_NET) on ${helper.length} of ${seen} packets and classic ld_abs ` +
        `at SKF_NET_OFF on ${classic.length} of ${seen}; the link-layer header through BPF_HDR_START_MAC on ` +
        `${mac.length} of ${seen}.`,
    );
  } else {
    lines.push(`Holds on this kernel: the filter read no header outside its view on any of its ${seen} packets.`);
  }
  const withPayload = reach.find((r) => r.payload && r.payload.ld_ind !== 'not tried') ?? reach.find((r) => r.payload);
  if (withPayload?.payload) {
    const p = withPayload.payload;
    const helperText = p.helper.ok
      ? `read ${text(p.helper.hex!)}`
      : `failed (${p.helper.error}): the payload is not in the skb's linear part`;
    const ldText =
      p.ld_ind === 'not tried'
        ? 'was not tried'
        : p.ld_ind.ok
          ? `read ${text(p.ld_ind.hex!)}`
          : 'failed, which ended the program with 0: the packet was dropped for this socket';
    lines.push(
      `The payload through the network header's offset (packet #${withPayload.packet}, at offset ${p.offset} from ` +
        `the ${ip(family)} header): bpf_skb_load_bytes_relative ${helperText}; ld_ind at SKF_NET_OFF + ${p.offset} ${ldText}.`,
    );
  }
  return { refuted, text: lines.join(' '), short: shortVerdict(refuted, helper.length, classic.length, seen, withPayload?.payload ?? null) };
}

/** A few words for tables: "refuted: IP header read by 4/4 (helper), 4/4 (ld_abs); payload: helper failed, ld_ind read". */
function shortVerdict(refuted: boolean, helper: number, classic: number, seen: number, payload: ReachPacket['payload']): string {
  const head = `${refuted ? 'refuted' : 'holds'}: IP header read on ${helper}/${seen} (helper), ${classic}/${seen} (ld_abs)`;
  if (!payload) return head;
  const ld = payload.ld_ind === 'not tried' ? 'not tried' : payload.ld_ind.ok ? 'read' : 'failed';
  return `${head}; payload: helper ${payload.helper.ok ? 'read' : 'failed'}, ld_ind ${ld}`;
}
