// Decodes the entries of the maps programs keep (layouts from bpf/record.h), for reports.
import { addressText } from './decode.ts';
import type { MapEntry } from '../vocabulary/observations.ts';

export type DecodedEntry =
  | { map: 'flows'; family: 4 | 6; protocol: number; src: string; dst: string; srcPort: number; dstPort: number; packets: number }
  | { map: 'counts'; ifindex: number; protocol: number; packets: number };

export function decodeEntry(e: MapEntry): DecodedEntry {
  const key = Buffer.from(e.key, 'hex');
  if (e.map === 'flows') {
    // struct flow_key { u8 family, protocol; be16 sport, dport; u16 pad; u8 saddr[16], daddr[16]; }
    const family = key[0] === 6 ? 6 : 4;
    return {
      map: 'flows',
      family,
      protocol: key[1],
      srcPort: key.readUInt16BE(2),
      dstPort: key.readUInt16BE(4),
      src: addressText(key.subarray(8, 24), family),
      dst: addressText(key.subarray(24, 40), family),
      packets: e.value,
    };
  }
  if (e.map === 'counts') {
    // struct count_key { u32 ifindex; u32 protocol; }
    return { map: 'counts', ifindex: key.readUInt32LE(0), protocol: key.readUInt32LE(4), packets: e.value };
  }
  throw new Error(`no decoder for entries of map "${e.map}"`);
}
