// The harness's BPF object from userspace: load, configure, attach (socket or hook), drain, detach.
// Layouts come from vocabulary/record-layout.ts (bpf/record.h's twin); maps an object lacks (counter.bpf.c
// has only `counts`) are skipped.
import { closeSync, constants, openSync, statSync } from 'node:fs';
import { BpfObject, PerfBuffer, RingBuffer, mapKeys, mapLookup, mapUpdate, type RecordReader } from './libbpf.ts';
import { attachBpf, detachBpf, ifIndex } from '../sockets/libc.ts';
import { hookNamed } from '../../scripts/hooks/index.ts';
import { atStage } from './stage.ts';
import {
  DUMP_CHANNEL_NONE,
  DUMP_CHANNEL_PERF,
  DUMP_CHANNEL_RINGBUF,
  DUMP_CHANNEL_TRACE_PIPE,
  DUMP_COUNTER_LOST,
  DUMP_COUNTER_SEEN,
  DUMP_RETURN_LEN,
  DUMP_RETURN_VALUE,
  STRUCTS,
  decodeDumpRecord,
  encodeDumpConfig,
} from '../../scripts/vocabulary/record-layout.ts';
import type { HookDefinition } from '../../scripts/hooks/hook.ts';
import type { SocketProgram } from './socket-program.ts';
import type { ServerConfig, ServerMessage } from '../../scripts/run/server/ipc.ts';

const CHANNEL = { none: DUMP_CHANNEL_NONE, ringbuf: DUMP_CHANNEL_RINGBUF, trace_pipe: DUMP_CHANNEL_TRACE_PIPE, perf: DUMP_CHANNEL_PERF } as const;
/** Hash maps whose entries the server reports, with their key sizes. */
const REPORTED_MAPS = { flows: STRUCTS.flow_key.size, counts: STRUCTS.count_key.size } as const;

type Emit = (message: ServerMessage) => void;

export class CaptureProgram implements SocketProgram {
  private readonly obj: BpfObject;
  private readonly progFd: number;
  private reader: RecordReader | null = null;
  private readonly sockets = new Set<number>();
  private readonly undo: (() => void)[] = [];
  private readonly hook: HookDefinition;

  constructor(
    private readonly config: ServerConfig,
    private readonly emit: Emit,
  ) {
    this.hook = hookNamed(config.hook);
    this.obj = atStage('load', () => BpfObject.load(config.object, config.program, { channel: config.channel }));
    this.progFd = this.obj.programFd(config.program);
    try {
      this.setUp();
    } catch (error) {
      // A server thread lives on after a failed experiment: leave nothing attached or open.
      this.detachAll();
      this.close();
      throw error;
    }
  }

  private setUp(): void {
    const { config, emit } = this;
    if (this.obj.hasMap('config')) atStage('configure', () => this.configure());
    this.reader = atStage('configure', () => this.openReader(config.countOnly ? null : (r) => emit(decodeRecord(r))));
    // The harness reads pins after the server exits, and removes them.
    atStage('pin', () => {
      for (const [map, path] of Object.entries(config.pins ?? {})) this.obj.pinMap(map, path);
    });
    atStage('attach', () => this.attachHook());
  }

  /** The channel's reader, where the object has the channel's map (counter.bpf.c has none). */
  private openReader(onRecord: ((record: Buffer) => void) | null): RecordReader | null {
    const { channel } = this.config;
    if (channel === 'ringbuf' && this.obj.hasMap('records')) return new RingBuffer(this.obj.mapFd('records'), onRecord);
    if (channel === 'perf' && this.obj.hasMap('perf_records')) return new PerfBuffer(this.obj.mapFd('perf_records'), onRecord);
    return null;
  }

  private configure(): void {
    mapUpdate(this.obj.mapFd('config'), u32(0), encodeConfig(this.config));
  }

  /** The hook module decides how; this binds what it may use to libbpf and this server's interface and cgroup. */
  private attachHook(): void {
    const { program, ifname, cgroup } = this.config;
    const detach = this.hook.attach({
      attachBySection: () => this.obj.attachLink(program, 'by-section'),
      attachXdp: (ifindex) => this.obj.attachLink(program, { xdpIfindex: ifindex }),
      attachTc: (ifindex, direction) => this.obj.attachTc(program, ifindex, direction),
      attachCgroup: (path) => {
        const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
        try {
          return this.obj.attachLink(program, { cgroupFd: fd });
        } finally {
          closeSync(fd);
        }
      },
      ifindex: () => ifIndex(ifname),
      cgroup,
    });
    if (detach) this.undo.push(detach);
  }

  /** The fd that becomes readable when records wait in the ring or perf buffer (null without one). */
  get readyFd(): number | null {
    return this.reader?.fd ?? null;
  }

  /** Attaches to a socket with SO_ATTACH_BPF when the hook is the socket itself; else does nothing. */
  attachSocket(socketFd: number): void {
    if (this.hook.attachesTo !== 'socket') return;
    atStage('attach', () => attachBpf(socketFd, this.progFd));
    this.sockets.add(socketFd);
  }

  /** Records a socket that inherited the filter (accept() copies the listener's), so detach covers it. */
  adopt(socketFd: number): void {
    if (this.hook.attachesTo === 'socket') this.sockets.add(socketFd);
  }

  /** Detaches from every socket and hook, so that nothing the server does next (closing) is recorded. */
  detachAll(): void {
    for (const fd of this.sockets) detachBpf(fd);
    this.sockets.clear();
    for (const undo of this.undo.splice(0).reverse()) undo();
  }

  drain(): void {
    this.reader?.consume();
  }

  /** After detaching: the program's counters, and the entries of the maps it keeps. */
  report(): Extract<ServerMessage, { type: 'done' }> {
    for (const [map, keySize] of Object.entries(REPORTED_MAPS)) {
      if (!this.obj.hasMap(map)) continue;
      const fd = this.obj.mapFd(map);
      for (const key of mapKeys(fd, keySize)) {
        this.emit({ type: 'entry', map, key: key.toString('hex'), value: Number(mapLookup(fd, key, 8).readBigUInt64LE()) });
      }
    }
    if (this.obj.hasMap('reach')) {
      const fd = this.obj.mapFd('reach');
      for (const key of mapKeys(fd, 4)) {
        this.emit({ type: 'reach', seq: key.readUInt32LE(), record: mapLookup(fd, key, STRUCTS.reach_record.size).toString('hex') });
      }
    }
    const received = this.reader?.received ?? 0;
    const reported = this.reader?.lost ?? 0;
    if (!this.obj.hasMap('counters')) return { type: 'done', seen: 0, lost: reported, received };
    const fd = this.obj.mapFd('counters');
    const read = (i: number) => Number(mapLookup(fd, u32(i), 8).readBigUInt64LE());
    // The program counts every record whose output failed (a full perf buffer: -ENOSPC). A perf buffer's
    // lost samples are the kernel's count of the same drops, but it writes that count only before the
    // next sample that fits on that CPU, so the last drops of a run may never reach the reader. The larger
    // of the two: each can miss drops the other sees, and they never count different ones.
    return { type: 'done', seen: read(DUMP_COUNTER_SEEN), lost: Math.max(read(DUMP_COUNTER_LOST), reported), received };
  }

  close(): void {
    this.reader?.free();
    this.obj.close();
  }
}

/** struct dump_config (bpf/record.h) as the program's `config` map holds it. The netns is this thread's:
 *  tracing programs see all namespaces and count only this one. */
export function encodeConfig(c: { tag: number; channel: keyof typeof CHANNEL; returnValue?: number; limit?: number }): Buffer {
  return encodeDumpConfig({
    tag: c.tag,
    channel: CHANNEL[c.channel],
    verdict: c.returnValue === undefined ? DUMP_RETURN_LEN : DUMP_RETURN_VALUE,
    value: c.returnValue ?? 0,
    limit: c.limit ?? 0,
    // thread-self: a server thread has entered the experiment's namespace, the process has not.
    netns: Number(statSync('/proc/thread-self/ns/net').ino),
  });
}

function u32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt32LE(value);
  return buf;
}

function decodeRecord(r: Buffer): Extract<ServerMessage, { type: 'packet' }> {
  const record = decodeDumpRecord(r);
  return {
    type: 'packet',
    seq: record.seq,
    length: record.len,
    pktType: record.pkt_type,
    protocol: record.protocol,
    ifindex: record.ifindex,
    hex: record.data.toString('hex'),
    ...(record.time ? { time: record.time.toString() } : {}),
  };
}
