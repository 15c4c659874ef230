// What the channels delivered, as observations: ring-buffer records and perf samples (relayed by the server
// as messages), trace_pipe lines (parsed from the private instance's log), and the server's reads.
import { DumpLogError, knownPktType, parseKernelLog } from './dump-log.ts';
import { EXIT, HarnessError } from '../../support/errors.ts';
import type { ServerMessage } from '../server/ipc.ts';
import type { KernelPacket, UserRead } from '../../vocabulary/observations.ts';

export function tracedPackets(log: string, tag: number): KernelPacket[] {
  try {
    return parseKernelLog(log, { tag }).packets;
  } catch (error) {
    if (error instanceof DumpLogError) throw new HarnessError(EXIT.runFailed, `trace_pipe: ${error.message}`);
    throw error;
  }
}

/** Packets whose dump has fully arrived (a packet still being printed makes the parser fail). */
export function completeTracedPackets(log: string, tag: number): number {
  try {
    return parseKernelLog(log, { tag }).packets.length;
  } catch {
    return 0;
  }
}

/** The packets a server relayed, in the order the program sent them: a ring buffer delivers them so, perf
 *  buffers CPU by CPU, so perf samples (which carry their send time) are sorted by it. A stable sort: equal
 *  times keep the order they came in. */
export function relayedPackets(messages: ServerMessage[]): KernelPacket[] {
  const relayed = messages.flatMap((m) => (m.type === 'packet' ? [m] : []));
  const time = (m: (typeof relayed)[number]) => BigInt(m.time ?? 0);
  return relayed
    .sort((a, b) => (time(a) < time(b) ? -1 : time(a) > time(b) ? 1 : 0))
    .map((m) => ({ seq: m.seq, length: m.length, bytes: fromHex(m.hex), pktType: knownPktType(m.pktType), protocol: m.protocol, ifindex: m.ifindex }));
}

export function readsOf(messages: ServerMessage[], socket: 'server' | 'observer'): UserRead[] {
  return messages.flatMap((m) =>
    m.type === 'read' && m.socket === socket ? [{ bytes: fromHex(m.hex), ...(m.pktType === undefined ? {} : { pktType: m.pktType }) }] : [],
  );
}

/** A plain Uint8Array: Buffer.from(hex) may share a pooled ArrayBuffer, and Buffer.slice() does not copy. */
function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
