// The harness's BPF object from userspace: load, configure, attach (socket or hook), drain, detach.
// Layouts mirror bpf/record.h; maps an object lacks (counter.bpf.c has only `counts`) are skipped.
import { closeSync, constants, openSync, statSync } from 'node:fs';
import { BpfObject, RingBuffer, mapKeys, mapLookup, mapUpdate } from './libbpf.ts';
import { attachBpf, detachBpf, ifIndex } from '../sockets/libc.ts';
import { hookNamed } from '../../scripts/hooks/index.ts';
import type { HookDefinition } from '../../scripts/hooks/hook.ts';
import type { ServerConfig, ServerMessage } from '../../scripts/run/server/ipc.ts';

const CHANNEL = { none: 0, ringbuf: 1, trace_pipe: 2 } as const;
const DUMP_RETURN_DEFAULT = 0;
const DUMP_RETURN_VALUE = 1;
const COUNTER_SEEN = 0;
const COUNTER_LOST = 1;
const RECORD_HEADER = 24; // six __u32 before data[]
/** Hash maps whose entries the server reports, with their key sizes (struct flow_key, struct count_key). */
const REPORTED_MAPS = { flows: 40, counts: 8 } as const;

type Emit = (message: ServerMessage) => void;

export class CaptureProgram {
  private readonly obj: BpfObject;
  private readonly progFd: number;
  private readonly ring: RingBuffer | null;
  private readonly sockets = new Set<number>();
  private readonly undo: (() => void)[] = [];
  private readonly hook: HookDefinition;

  constructor(
    private readonly config: ServerConfig,
    private readonly emit: Emit,
  ) {
    this.hook = hookNamed(config.hook);
    this.obj = BpfObject.load(config.object, config.program, { withTracePipe: config.channel === 'trace_pipe' });
    this.progFd = this.obj.programFd(config.program);
    if (this.obj.hasMap('config')) this.configure();
    this.ring =
      config.channel === 'ringbuf' && this.obj.hasMap('records')
        ? new RingBuffer(this.obj.mapFd('records'), config.countOnly ? null : (r) => emit(decodeRecord(r)))
        : null;
    // The harness reads pins after the server exits, and removes them.
    for (const [map, path] of Object.entries(config.pins ?? {})) this.obj.pinMap(map, path);
    this.attachHook();
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

  /** The fd that becomes readable when records wait in the ring buffer (null without one). */
  get readyFd(): number | null {
    return this.ring?.fd ?? null;
  }

  /** Attaches to a socket with SO_ATTACH_BPF when the hook is the socket itself; else does nothing. */
  attachSocket(socketFd: number): void {
    if (this.hook.attachesTo !== 'socket') return;
    attachBpf(socketFd, this.progFd);
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
    this.ring?.consume();
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
    const received = this.ring?.received ?? 0;
    if (!this.obj.hasMap('counters')) return { type: 'done', seen: 0, lost: 0, received };
    const fd = this.obj.mapFd('counters');
    const read = (i: number) => Number(mapLookup(fd, u32(i), 8).readBigUInt64LE());
    return { type: 'done', seen: read(COUNTER_SEEN), lost: read(COUNTER_LOST), received };
  }

  close(): void {
    this.ring?.free();
    this.obj.close();
  }
}

/** struct dump_config (bpf/record.h) as the program's `config` map holds it. The netns is ours: tracing
 *  programs see all namespaces and count only this one. */
export function encodeConfig(c: { tag: number; channel: keyof typeof CHANNEL; returnValue?: number; limit?: number }): Buffer {
  const value = Buffer.alloc(24);
  value.writeUInt32LE(c.tag, 0);
  value.writeUInt32LE(CHANNEL[c.channel], 4);
  value.writeUInt32LE(c.returnValue === undefined ? DUMP_RETURN_DEFAULT : DUMP_RETURN_VALUE, 8);
  value.writeUInt32LE(c.returnValue ?? 0, 12);
  value.writeUInt32LE(c.limit ?? 0, 16);
  value.writeUInt32LE(Number(statSync('/proc/self/ns/net').ino), 20);
  return value;
}

function u32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt32LE(value);
  return buf;
}

function decodeRecord(r: Buffer): Extract<ServerMessage, { type: 'packet' }> {
  const captured = r.readUInt32LE(8);
  return {
    type: 'packet',
    seq: r.readUInt32LE(0),
    length: r.readUInt32LE(4),
    pktType: r.readUInt32LE(12),
    protocol: r.readUInt16BE(16), // skb->protocol is stored in network byte order
    ifindex: r.readUInt32LE(20),
    hex: r.subarray(RECORD_HEADER, RECORD_HEADER + captured).toString('hex'),
  };
}
