// The words for what a filter read outside its view (summary.json's `reach`), shared by report.md, the HTML
// page and the terminal.
import type { ReachPacket } from '../analysis/types.ts';

const hex4 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
const quoted = (hex: string) => JSON.stringify(Buffer.from(hex, 'hex').toString('latin1'));
const spaced = (hex: string) => hex.replace(/(..)(?!$)/g, '$1 ');

/** Each column's heading in tables, and its short name where a line has no room (the terminal). */
export const REACH_COLUMNS = [
  { heading: 'IP header, bpf_skb_load_bytes_relative(BPF_HDR_START_NET)', short: 'IP header' },
  { heading: 'ld_abs at SKF_NET_OFF: TTL or hop limit, protocol', short: 'ld_abs' },
  { heading: 'link-layer header, BPF_HDR_START_MAC', short: 'link layer' },
  { heading: 'ld_abs at SKF_LL_OFF + 12: EtherType', short: 'ld_abs EtherType' },
  { heading: 'payload, BPF_HDR_START_NET + its offset', short: 'payload (helper)' },
  { heading: 'payload, ld_ind at SKF_NET_OFF + its offset', short: 'payload (ld_ind)' },
] as const;

/** One packet's row: a cell per REACH_COLUMNS, each saying what was read or why not. */
export function reachCells(r: ReachPacket): string[] {
  const net = r.network_header;
  const mac = r.mac_header;
  const p = r.payload;
  return [
    net ? `${net.src} → ${net.dst}, protocol ${net.protocol}, ${net.hex.startsWith('6') ? 'hop limit' : 'TTL'} ${net.ttl}: ${spaced(net.hex)}` : `failed (${r.network_error})`,
    r.classic.ttl === null ? 'ended the program' : `${r.classic.ttl}, ${r.classic.protocol ?? 'ended the program'}`,
    mac ? `${mac.dst} ← ${mac.src}, EtherType ${hex4(mac.ethertype)}` : `failed (${r.mac_error})`,
    r.classic.ethertype === null ? (r.classic.protocol === null ? 'not reached' : 'ended the program') : hex4(r.classic.ethertype),
    !p ? 'no payload' : p.helper.ok ? `${quoted(p.helper.hex!)} (offset ${p.offset})` : `failed (${p.helper.error}): not in the linear part`,
    !p ? 'no payload' : p.ld_ind === 'not tried' ? 'not tried (one packet per run)' : p.ld_ind.ok ? quoted(p.ld_ind.hex!) : 'ended the program: packet dropped',
  ];
}
