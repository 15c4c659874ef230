// One experiment run on this kernel: namespace → server with the filter → traffic → raw observations.
import { randomInt } from 'node:crypto';
import { release } from 'node:os';
import { bpfObjectPath } from './build-bpf.ts';
import { createNamespace } from './netns.ts';
import { startServer, type ServerProcess } from './server-process.ts';
import { openTracePipe, type TracePipe } from './tracefs.ts';
import { sendTraffic } from './traffic.ts';
import { parseKernelLog } from './dumplog.ts';
import { EXIT, HarnessError } from './errors.ts';
import type { ExperimentSpec } from '../experiments/spec.ts';
import type { CaptureChannel, ServerMessage } from '../servers/protocol.ts';
import type { KernelPacket, Observations } from './observations.ts';

const READY_TIMEOUT_MS = 15_000;
const TRAFFIC_TIMEOUT_MS = 10_000;
const DONE_TIMEOUT_MS = 5_000;

export interface Capture {
  observations: Observations;
  /** The kernel side as received (trace_pipe text, or null for the ring buffer): kept as a log. */
  rawKernelLog: string | null;
}

export async function capture(
  spec: ExperimentSpec,
  channel: CaptureChannel,
  progress: (line: string) => void,
): Promise<Capture> {
  const tag = randomInt(1, 0x10000);
  const ns = await createNamespace(spec.name);
  progress(`namespace ${ns.name} (lo up)`);
  let tracePipe: TracePipe | null = null;
  let server: ServerProcess | null = null;
  try {
    if (channel === 'trace_pipe') tracePipe = await openTracePipe(spec.name);
    const { address, port, program } = spec.server;
    server = await startServer(
      program,
      ns.exec,
      { object: bpfObjectPath(spec.filter.object), program: spec.filter.program, channel, tag, address, port },
      READY_TIMEOUT_MS,
    );
    progress(`server ${program} ready: filter attached (${address}:${port}, channel ${channel})`);
    await Promise.all([sendTraffic(ns.exec, spec.traffic, TRAFFIC_TIMEOUT_MS), waitUntilDone(server, spec)]);
    progress(`traffic done: ${spec.traffic.display}`);
    const done = await server.stop(DONE_TIMEOUT_MS);
    const rawKernelLog = tracePipe?.readAvailable() ?? null;
    const packets = rawKernelLog === null ? ringbufPackets(server.messages) : parseKernelLog(rawKernelLog, { tag }).packets;
    if (packets.length !== done.seen - done.lost) {
      throw new HarnessError(
        EXIT.runFailed,
        `the filter ran on ${done.seen} packets but the ${channel} channel delivered ${packets.length}` +
          (channel === 'trace_pipe' ? ' (trace buffer overrun?)' : ''),
      );
    }
    const reads = server.messages.flatMap((m) => (m.type === 'read' ? [{ bytes: fromHex(m.hex) }] : []));
    return {
      observations: { experiment: spec.name, kernel: release(), channel, packets, reads, lost: done.lost },
      rawKernelLog,
    };
  } finally {
    await server?.kill();
    await tracePipe?.close();
    await ns.remove();
  }
}

function waitUntilDone(server: ServerProcess, spec: ExperimentSpec): Promise<void> {
  const { doneWhen } = spec;
  if (doneWhen === 'traffic-exit') return Promise.resolve();
  if (doneWhen === 'eof') {
    return server.waitFor('the server to see the peer close', (all) => all.some((m) => m.type === 'eof'), TRAFFIC_TIMEOUT_MS);
  }
  return server.waitFor(
    `the server to read ${doneWhen.reads} time(s)`,
    (all) => all.filter((m) => m.type === 'read').length >= doneWhen.reads,
    TRAFFIC_TIMEOUT_MS,
  );
}

function ringbufPackets(messages: ServerMessage[]): KernelPacket[] {
  return messages.flatMap((m) =>
    m.type === 'packet'
      ? [{ seq: m.seq, length: m.length, bytes: fromHex(m.hex), pktType: m.pktType, protocol: m.protocol, ifindex: m.ifindex }]
      : [],
  );
}

/** A plain Uint8Array: Buffer.from(hex) may share a pooled ArrayBuffer, and Buffer.slice() does not copy. */
function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
