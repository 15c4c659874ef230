// One row of the visibility matrix, derived from what a run observed (never from hand-written text).
import { pktTypeName } from '../vocabulary/layers.ts';
import type { Analysis, MatrixRow } from './types.ts';
import type { ExperimentSpec } from '../../experiments/spec.ts';
import { hookNamed } from '../hooks/index.ts';

const distinct = <T>(values: T[]) => [...new Set(values)];
const DIRECTION_NAMES = { 'to-server': 'to the server', 'from-server': 'from the server' } as const;

export function matrixRow(a: Pick<Analysis, 'spec' | 'packets' | 'reads' | 'observerReads'>): MatrixRow {
  const { spec, packets, reads, observerReads } = a;
  const directions = distinct(packets.map((p) => (p.direction ? DIRECTION_NAMES[p.direction] : 'unknown')));
  // Where the hook's pkt_type tells nothing (egress: always host), it is not written as if it did.
  const pktTypes = hookNamed(spec.hook).pktTypeNotMeaningful
    ? []
    : distinct(packets.flatMap((p) => (p.packet.pktType === null ? [] : [pktTypeName(p.packet.pktType)])));
  const control = distinct(
    packets.flatMap((p) => (p.decoded.tcpFlags && p.decoded.payloadLength === 0 ? [p.decoded.tcpFlags.join('|')] : [])),
  );
  const payloads = packets.filter((p) => p.decoded.payloadLength > 0);
  const returned = returnsText(spec);
  return {
    hook: spec.hook,
    attached_to: spec.title,
    first_layer: spec.filter.noBytes ? `no bytes recorded (${spec.filter.noBytes})` : distinct(packets.map((p) => p.decoded.startsWith)).join(', ') || 'nothing seen',
    directions: packets.length ? `${directions.join(' and ')}${pktTypes.length ? ` (pkt_type ${pktTypes.join(', ')})` : ''}` : '—',
    control_segments: control.length ? `yes: ${control.join(', ')}` : 'no',
    payload: payloads.length
      ? `yes, at offset ${distinct(payloads.map((p) => p.decoded.payloadOffset)).join('/')}` +
        (payloads.some((p) => p.packet.bytes.length <= p.decoded.payloadOffset) ? ' (beyond what the program could read)' : '')
      : 'no',
    userspace_gets: userspaceGets(a),
    return_value: `returns ${returned}: ${effect(a, reads.length, observerReads.length)}`,
  };
}

/** What the program returns, as reports write it: its hook's "keep going" value, or the fixed value. */
export function returnsText(spec: ExperimentSpec): string {
  const hook = hookNamed(spec.hook);
  if (spec.filter.returns) return spec.filter.returns;
  return spec.filter.returnValue === undefined ? hook.keepGoing : hook.returnName(spec.filter.returnValue);
}

/** How the server's reads relate to the program's view. */
function userspaceGets(a: Pick<Analysis, 'reads' | 'packets'>): string {
  const { reads, packets } = a;
  if (reads.length === 0) return 'nothing';
  if (reads.every((r) => r.bytes.length === 0)) return `${reads.length} empty read(s) (0 B)`;
  const lengths = distinct(reads.map((r) => r.bytes.length)).join('/');
  const placed = reads.flatMap((r) => (r.foundIn ? [{ r, offset: r.foundIn.offset, p: packets[r.foundIn.packet] }] : []));
  if (placed.length === 0) return `${reads.length} read(s) of ${lengths} B, none of it in the program's view`;
  if (placed.length < reads.length) return `${reads.length} read(s) of ${lengths} B, not all of it in the program's view`;
  if (placed.every(({ r, offset, p }) => offset === 0 && r.bytes.length === p.packet.length)) {
    return `the same bytes: ${reads.length} whole packet(s)`;
  }
  const at = distinct(placed.map(({ offset }) => offset)).join('/');
  if (placed.every(({ offset, p }) => offset === p.decoded.payloadOffset)) return `payload only (${lengths} B, at offset ${at})`;
  // Reads that start where a header starts: say which (a raw socket behind XDP reads from the IPv4 header).
  const layers = distinct(placed.map(({ offset, p }) => p.decoded.layers.find((l) => l.offset === offset)?.name ?? 'mid-header'));
  return `${reads.length} read(s) of ${lengths} B, from the ${layers.join('/')} header on (offset ${at} of the program's view)`;
}

/** What the return value did, as far as the run shows. */
function effect(a: Pick<Analysis, 'spec' | 'reads' | 'packets'>, reads: number, observerReads: number): string {
  const { spec } = a;
  const hook = hookNamed(spec.hook);
  const observer = spec.server.observer ? `; an unfiltered raw socket beside it read ${observerReads}` : '';
  const value = spec.filter.returnValue;
  const what = value === undefined ? 'keep-going' : hook.returnEffect(value);
  if (what === 'keep-going') return `nothing changes (the server read ${reads} time(s))${observer}`;
  if (what === 'drop') {
    return `dropped${hook.attachesTo === 'socket' ? ' for this socket' : ''}: the server read ${reads} time(s)${observer}`;
  }
  if (what !== 'trim') return `${what === 'ignored' ? 'ignored' : 'see the reads'}: the server read ${reads} time(s)${observer}`;
  const lengths = distinct(a.reads.map((r) => r.bytes.length)).join('/');
  const sizes = `packets of ${distinct(a.packets.map((p) => p.packet.length)).join('/')} B`;
  return `${lengths ? `trimmed: the server's reads were ${lengths} B` : 'the server read nothing'} (${sizes})${observer}`;
}
