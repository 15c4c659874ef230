// Decodes the entries of the maps programs keep (layouts from vocabulary/record-layout.ts), for reports.
import { addressText } from './decode.ts';
import { decodeCountKey, decodeFlowKey } from '../vocabulary/record-layout.ts';
import type { MapEntry } from '../vocabulary/observations.ts';

export type DecodedEntry =
  | { map: 'flows'; family: 4 | 6; protocol: number; src: string; dst: string; srcPort: number; dstPort: number; packets: number }
  | { map: 'counts'; ifindex: number; protocol: number; packets: number };

export function decodeEntry(e: MapEntry): DecodedEntry {
  const key = Buffer.from(e.key, 'hex');
  if (e.map === 'flows') {
    const k = decodeFlowKey(key);
    return {
      map: 'flows',
      family: k.family,
      protocol: k.protocol,
      srcPort: k.sport,
      dstPort: k.dport,
      src: addressText(k.saddr, k.family),
      dst: addressText(k.daddr, k.family),
      packets: e.value,
    };
  }
  if (e.map === 'counts') {
    const k = decodeCountKey(key);
    return { map: 'counts', ifindex: k.ifindex, protocol: k.protocol, packets: e.value };
  }
  throw new Error(`no decoder for entries of map "${e.map}"`);
}
