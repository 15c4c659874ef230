// One experiment run on this kernel: topology → server with the program → traffic → raw observations.
import { randomInt } from 'node:crypto';
import { release } from 'node:os';
import { bpfObjectPath, classicFilterPath } from './setup/build-bpf.ts';
import { createCgroup } from './topology/cgroup.ts';
import { completeTracedPackets, readsOf, relayedPackets, tracedPackets } from './capture/records.ts';
import { EXIT, HarnessError } from '../support/errors.ts';
import { bpftoolDump, pinPaths } from './capture/pins.ts';
import { startServer, type Server } from './server/start-server.ts';
import { createTopology, type Topology } from './topology/topology.ts';
import { interfaceCounters } from './topology/interface-counters.ts';
import type { TopologyKind } from '../vocabulary/addresses.ts';
import { openTracePipe, type TracePipe } from './capture/trace-pipe.ts';
import { sendTraffic } from './traffic/send.ts';
import { callsPrintk } from './setup/calls-printk.ts';
import { NOTHING_TO_DO, type PrintkGuard } from '../support/printk-event.ts';
import { IP_PROTOCOL } from '../vocabulary/layers.ts';
import { hookNamed } from '../hooks/index.ts';
import { PORT, type DoneWhen, type ExperimentSpec } from '../../experiments/spec.ts';
import type { CaptureChannel, ServerConfig, ServerMessage } from './server/ipc.ts';
import type { Observations } from '../vocabulary/observations.ts';

const READY_TIMEOUT_MS = 15_000;
const TRAFFIC_TIMEOUT_MS = 10_000;
const DONE_TIMEOUT_MS = 5_000;

export interface CaptureOptions {
  channel: CaptureChannel;
  topology: TopologyKind;
  progress: (line: string) => void;
  /** Keeps the system's tracing state as the run found it across program loads and printing (a test that
   *  calls capture() directly may leave it out). */
  printk?: PrintkGuard;
}

export interface Capture {
  observations: Observations;
  /** The kernel side as received (trace_pipe text, or null for the ring and perf buffers): kept as a log. */
  rawKernelLog: string | null;
}

export async function capture(spec: ExperimentSpec, opts: CaptureOptions): Promise<Capture> {
  const { channel, progress, printk = NOTHING_TO_DO } = opts;
  const tag = randomInt(1, 0x10000);
  const topology = await createTopology(opts.topology, spec.name, spec.family);
  progress(describeTopology(topology));
  let tracePipe: TracePipe | null = null;
  let server: Server | null = null;
  let stopPrinting: (() => void) | null = null;
  try {
    // What the server needs made first: a cgroup to join (cgroup hooks), a bpffs folder for pins.
    const hook = hookNamed(spec.hook);
    const cgroup = hook.attachesTo === 'cgroup' ? await createCgroup(spec.name) : undefined;
    const pins = spec.filter.pins ? await pinPaths(spec.name, spec.filter.pins) : undefined;
    const config: ServerConfig = {
      object: spec.filter.classic ? classicFilterPath(spec.filter.object) : bpfObjectPath(spec.filter.object),
      classic: spec.filter.classic,
      program: spec.filter.program,
      hook: spec.hook,
      channel,
      tag,
      address: topology.serverAddress,
      port: PORT,
      protocol: IP_PROTOCOL[spec.transport],
      ifname: topology.serverIfname,
      returnValue: spec.filter.returnValue,
      observer: spec.server.observer,
      limit: spec.doneWhen.packets,
      cgroup,
      pins,
    };
    if (channel === 'trace_pipe') tracePipe = await openTracePipe(spec.name);
    const start = () => startServer(spec.server.program, topology.server.path, config, {
      ownProcess: Boolean(hook.ownProcess),
      readyTimeoutMs: READY_TIMEOUT_MS,
    });
    server = await printk.load(!spec.filter.classic && callsPrintk(config.object), start);
    if (channel === 'trace_pipe') stopPrinting = await printk.printing();
    progress(`server ${spec.server.program} ready: ${spec.filter.program} attached (${spec.hook}, ${topology.serverAddress}, channel ${channel})`);
    const sendAll = async () => {
      for (const step of spec.traffic) await sendTraffic(topology.client.path, step, topology.serverAddress, TRAFFIC_TIMEOUT_MS);
    };
    await Promise.all([sendAll(), waitUntilDone(server, spec.doneWhen, tracePipe, tag)]);
    progress(`traffic done (${spec.traffic.length} command(s))`);
    const done = await server.stop(DONE_TIMEOUT_MS);
    const rawKernelLog = tracePipe?.readAll() ?? null;
    const recorded = Math.min(done.seen, config.limit ?? Infinity) - done.lost;
    // A program that records nothing (counter.bpf.c only counts) leaves no log to parse.
    const packets = rawKernelLog === null ? relayedPackets(server.messages) : recorded > 0 ? tracedPackets(rawKernelLog, tag) : [];
    if (packets.length !== recorded) {
      throw new HarnessError(
        EXIT.runFailed,
        `the program recorded ${recorded} packets but the ${channel} channel delivered ${packets.length}` +
          (channel === 'trace_pipe' ? ' (trace buffer overrun?)' : ''),
      );
    }
    const pinned = await Promise.all(Object.entries(config.pins ?? {}).map(([map, path]) => bpftoolDump(map, path)));
    const observations: Observations = {
      experiment: spec.name,
      kernel: release(),
      channel,
      topology: topology.kind,
      serverAddress: topology.serverAddress,
      packets,
      reads: readsOf(server.messages, 'server'),
      observerReads: readsOf(server.messages, 'observer'),
      entries: server.messages.flatMap((m) => (m.type === 'entry' ? [{ map: m.map, key: m.key, value: m.value }] : [])),
      reach: server.messages.flatMap((m) => (m.type === 'reach' ? [{ seq: m.seq, record: m.record }] : [])),
      pinned: pinned.flat(),
      lost: done.lost,
      // Only a check uses them: elsewhere late segments (the server's close) make them vary, and the ip call costs.
      interface: spec.checks?.includes('interface-counters') ? await interfaceCounters(topology) : null,
    };
    return { observations, rawKernelLog };
  } finally {
    await server?.kill();
    stopPrinting?.(); // the program is gone with its server
    await tracePipe?.close();
    await topology.remove();
  }
}

function describeTopology(t: Topology): string {
  return t.kind === 'loopback'
    ? `namespace ${t.server.name} (lo up)`
    : `namespaces ${t.client.name} ↔ ${t.server.name} (veth, server ${t.serverAddress} on ${t.serverIfname})`;
}

/** Waits until every condition of `doneWhen` holds; the trace_pipe channel counts packets in its log. */
async function waitUntilDone(server: Server, doneWhen: DoneWhen, tracePipe: TracePipe | null, tag: number): Promise<void> {
  const count = (all: ServerMessage[], type: ServerMessage['type'], socket?: string) =>
    all.filter((m) => m.type === type && (socket === undefined || (m.type === 'read' && m.socket === socket))).length;
  const { eof, reads = 0, observerReads = 0, packets = 0 } = doneWhen;
  const wanted = [eof && 'end of stream', reads && `${reads} read(s)`, observerReads && `${observerReads} observer read(s)`]
    .filter(Boolean)
    .join(', ');
  if (wanted) {
    await server.waitFor(
      `the server to see ${wanted}`,
      (all) =>
        (!eof || count(all, 'eof') > 0) && count(all, 'read', 'server') >= reads && count(all, 'read', 'observer') >= observerReads,
      TRAFFIC_TIMEOUT_MS,
    );
  }
  if (packets === 0) return;
  if (tracePipe === null) {
    await server.waitFor(`the program to record ${packets} packet(s)`, (all) => count(all, 'packet') >= packets, TRAFFIC_TIMEOUT_MS);
    return;
  }
  // trace_pipe only has a log to look at: poll it until enough packets are complete.
  const deadline = Date.now() + TRAFFIC_TIMEOUT_MS;
  while (completeTracedPackets(tracePipe.readAll(), tag) < packets) {
    if (Date.now() > deadline) throw new HarnessError(EXIT.runFailed, `timed out waiting for ${packets} packet(s) on trace_pipe`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
