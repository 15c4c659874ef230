// What each byte of a view is: its layer, the fields it belongs to and whether it is masked, from summary.json alone.
import { decodeSummaryPacket, type SummaryPacket, type SummaryRead } from '../summary-json.ts';
import type { Decoded } from '../../analysis/decode.ts';
import { TCP_FLAG_NAMES, type LayerName } from '../../vocabulary/layers.ts';
import { maskReason, type MaskedRange } from '../../analysis/mask.ts';

/** 'none': bytes no layer claims, such as the padding a NIC adds after a short frame's IP packet. */
export type ByteLayer = LayerName | 'none';

export interface ByteInfo {
  offset: number;
  value: number;
  layer: ByteLayer;
  /** Inside the datagram an ICMP error quotes. */
  quoted: boolean;
  /** Qualified field names ("tcp.flags", "icmp.quoted.ipv4.id"), as mask.ts names masked ranges. */
  fields: string[];
  /** One line per field, for hovering: "tcp.flags = 24 (0x18)" or "tcp.seq: masked, varies between runs". */
  notes: string[];
  masked: boolean;
}

/** Why a byte shows 00: what the field is and why it varies, so results can regenerate byte for byte. */
const maskedNote = (field: string) => `masked: ${maskReason(field)}; zeroed so that results regenerate byte for byte`;

const hexBytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const overlaps = (a: { offset: number; length: number }, b: { offset: number; length: number }) =>
  a.offset < b.offset + b.length && b.offset < a.offset + a.length;

function valueText(name: string, v: string | number): string {
  const text = typeof v === 'number' && v > 9 ? `${v} (0x${v.toString(16)})` : String(v);
  // The flags byte by name: 0x18 is PSH|ACK.
  if (name.endsWith('tcp.flags') && typeof v === 'number') return `${text}: ${TCP_FLAG_NAMES.filter((_, bit) => v & (1 << bit)).join('|') || 'none'}`;
  return text;
}

/** Bytes no decoded layer covers stay 'none'. */
function annotate(bytes: Uint8Array, decoded: Decoded, masked: MaskedRange[]): ByteInfo[] {
  const out: ByteInfo[] = Array.from(bytes, (value, offset) => ({ offset, value, layer: 'none', quoted: false, fields: [], notes: [], masked: false }));
  const paint = (d: Decoded, prefix: string) => {
    for (const l of d.layers) {
      for (let i = l.offset; i < Math.min(l.offset + l.length, out.length); i++) Object.assign(out[i], { layer: l.name, quoted: prefix !== '' });
      for (const f of l.fields) {
        const name = `${prefix}${l.name}.${f.name}`;
        // A field any of whose bytes were zeroed has no trustworthy value (ipv6.traffic_class shares a byte with the flow label).
        const hit = masked.find((r) => overlaps(r, f));
        const note = !hit
          ? `${name} = ${valueText(name, f.value)}`
          : hit.field === name
            ? `${name}: ${maskedNote(name)}`
            : `${name}: not shown, it shares bytes with the masked ${hit.field}`;
        for (let i = f.offset; i < Math.min(f.offset + f.length, out.length); i++) {
          out[i].fields.push(name);
          out[i].notes.push(note);
        }
      }
    }
    // Painted after the outer layers: the quote lies inside the ICMP payload and takes over its bytes.
    if (d.quoted) paint(d.quoted, `${prefix}icmp.quoted.`);
  };
  paint(decoded, '');
  for (const r of masked) {
    for (let i = r.offset; i < Math.min(r.offset + r.length, out.length); i++) {
      out[i].masked = true;
      // Ranges a decoded field explains are noted once, by that field; any other gets its own note.
      if (!out[i].fields.includes(r.field)) {
        out[i].fields.push(r.field);
        out[i].notes.push(`${r.field}: ${maskedNote(r.field)}`);
      }
    }
  }
  return out;
}

export function packetBytes(p: SummaryPacket): ByteInfo[] {
  return annotate(hexBytes(p.hex), decodeSummaryPacket(p), p.masked);
}

/** A read found in a kernel packet takes that packet's layers and fields byte for byte (they are the same bytes);
 *  one found nowhere is decoded on its own, from the layer it starts with. */
export function readBytes(r: SummaryRead, packets: ByteInfo[][]): ByteInfo[] {
  const bytes = hexBytes(r.hex);
  const found = r.found_in;
  if (!found) return annotate(bytes, decodeSummaryPacket(r), r.masked);
  return Array.from(bytes, (value, k) => ({ ...packets[found.packet][found.offset + k], offset: k, value }));
}
