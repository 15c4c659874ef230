// Capture fidelity under load: a UDP flood through a veth pair, seen at once by the harness's channel (the
// dump program on srv0's tc ingress, its ring buffer, or perf buffer, read by a counting server) and by
// tcpdump -w on srv0. Every packet is accounted for: sent, arrived at srv0, seen by the program, read from
// the buffer, lost because it was full (the program counts its failed outputs), captured/dropped by tcpdump.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { bpfObjectPath } from '../run/setup/build-bpf.ts';
import { interfaceCounters } from '../run/topology/interface-counters.ts';
import { startServer } from '../run/server/start-server.ts';
import { createTopology } from '../run/topology/topology.ts';
import { PORT } from '../../experiments/spec.ts';
import type { CaptureChannel } from '../vocabulary/observations.ts';
import { compileC } from './compile-c.ts';

export interface FloodResult {
  datagrams: number;
  payloadBytes: number;
  sent: number;
  sendSeconds: number;
  arrived: number;
  programSaw: number;
  harnessRead: number;
  harnessLost: number;
  tcpdumpCaptured: number;
  tcpdumpDropped: number;
}

const READY_MS = 10_000;
const STOP_MS = 60_000;

/** tcpdump's closing statistics ("N packets captured", "N packets dropped by kernel"). */
function tcpdumpStats(stderr: string): { captured: number; dropped: number } {
  const figure = (what: string) => {
    const m = new RegExp(`(\\d+) packets? ${what}`).exec(stderr);
    if (!m) throw new Error(`tcpdump printed no "${what}" figure:\n${stderr}`);
    return Number(m[1]);
  };
  return { captured: figure('captured'), dropped: figure('dropped by kernel') };
}

async function floodOnce(flood: string, datagrams: number, payloadBytes: number, channel: CaptureChannel): Promise<FloodResult> {
  const topology = await createTopology('veth', 'flood', 4);
  const dir = mkdtempSync(join(tmpdir(), 'edl-flood-'));
  try {
    const server = await startServer(
      'count',
      topology.server.path,
      {
        object: bpfObjectPath('dump'),
        program: 'dump_tc',
        hook: 'tc-ingress',
        channel,
        tag: 1,
        address: topology.serverAddress,
        port: PORT,
        protocol: 17,
        ifname: topology.serverIfname,
        countOnly: true,
      },
      { ownProcess: false, readyTimeoutMs: READY_MS },
    );
    const [ns, ...nsArgs] = topology.server.exec;
    // Default buffer and snap length, as a user would run it; --immediate-mode off (tcpdump's default).
    const tcpdump = execa(ns, [...nsArgs, 'tcpdump', '-n', '-i', topology.serverIfname, '-w', join(dir, 'flood.pcap'), 'udp', 'port', String(PORT)], {
      reject: false,
      all: false,
    });
    await new Promise<void>((resolve, reject) => {
      tcpdump.stderr!.on('data', (chunk: Buffer) => String(chunk).includes('listening on') && resolve());
      tcpdump.once('exit', () => reject(new Error('tcpdump exited before it listened')));
    });
    const before = await interfaceCounters(topology);
    const [cns, ...cnsArgs] = topology.client.exec;
    const sender = await execa(cns, [...cnsArgs, flood, topology.serverAddress, String(PORT), String(datagrams), String(payloadBytes)]);
    const [sent, sendSeconds] = sender.stdout.trim().split(' ').map(Number);
    const after = await interfaceCounters(topology);
    // Both readers drain what is queued; libpcap hands over a ring block when full or after its 1 s timeout.
    await new Promise((r) => setTimeout(r, 2000));
    tcpdump.kill('SIGINT');
    const dumped = tcpdumpStats(String((await tcpdump).stderr));
    const done = await server.stop(STOP_MS);
    return {
      datagrams,
      payloadBytes,
      sent,
      sendSeconds,
      arrived: after.rxPackets - before.rxPackets,
      programSaw: done.seen,
      harnessRead: done.received,
      harnessLost: done.lost,
      tcpdumpCaptured: dumped.captured,
      tcpdumpDropped: dumped.dropped,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await topology.remove();
  }
}

export interface Flood {
  datagrams: number;
  payloadBytes: number;
}

/** The floods one after the other, each through a topology of its own (ring buffer or perf buffer). */
export async function fidelity(floods: Flood[], channel: Extract<CaptureChannel, 'ringbuf' | 'perf'> = 'ringbuf'): Promise<FloodResult[]> {
  const flood = await compileC('flood');
  const results: FloodResult[] = [];
  for (const f of floods) results.push(await floodOnce(flood, f.datagrams, f.payloadBytes, channel));
  return results;
}
