// The dump filter (bpf/dump.bpf.c) from userspace: load, configure, attach, drain. Layouts mirror bpf/record.h.
import { BpfObject, RingBuffer, mapLookup, mapUpdate } from './libbpf.ts';
import { attachBpf, detachBpf } from './libc.ts';
import type { CaptureChannel, ServerMessage } from '../protocol.ts';

const CHANNEL = { ringbuf: 1, trace_pipe: 2 } as const;
const DUMP_RETURN_LEN = 0;
const DUMP_RETURN_VALUE = 1;
const COUNTER_SEEN = 0;
const COUNTER_LOST = 1;
const RECORD_HEADER = 24; // six __u32 before data[]

export interface DumpFilterOptions {
  object: string;
  program: string;
  channel: CaptureChannel;
  tag: number;
  returnValue?: number;
}

type PacketMessage = Extract<ServerMessage, { type: 'packet' }>;

export class DumpFilter {
  private readonly obj: BpfObject;
  private readonly progFd: number;
  private readonly ring: RingBuffer | null;
  private readonly attached = new Set<number>();

  constructor(opts: DumpFilterOptions, onPacket: (packet: PacketMessage) => void) {
    this.obj = BpfObject.load(opts.object);
    this.progFd = this.obj.programFd(opts.program);
    const config = Buffer.alloc(16);
    config.writeUInt32LE(opts.tag, 0);
    config.writeUInt32LE(CHANNEL[opts.channel], 4);
    config.writeUInt32LE(opts.returnValue === undefined ? DUMP_RETURN_LEN : DUMP_RETURN_VALUE, 8);
    config.writeUInt32LE(opts.returnValue ?? 0, 12);
    mapUpdate(this.obj.mapFd('config'), u32(0), config);
    this.ring =
      opts.channel === 'ringbuf' ? new RingBuffer(this.obj.mapFd('records'), (r) => onPacket(decodeRecord(r))) : null;
  }

  /** The fd that becomes readable when records wait in the ring buffer (null for trace_pipe). */
  get readyFd(): number | null {
    return this.ring?.fd ?? null;
  }

  attach(socketFd: number): void {
    attachBpf(socketFd, this.progFd);
    this.attached.add(socketFd);
  }

  /** Records a socket that inherited the filter (accept() copies the listener's), so detachAll covers it. */
  adopt(socketFd: number): void {
    this.attached.add(socketFd);
  }

  /** Detaches from every socket, so that nothing the server does next (closing) is recorded. */
  detachAll(): void {
    for (const fd of this.attached) detachBpf(fd);
    this.attached.clear();
  }

  drain(): void {
    this.ring?.consume();
  }

  counters(): { seen: number; lost: number } {
    const fd = this.obj.mapFd('counters');
    const read = (i: number) => Number(mapLookup(fd, u32(i), 8).readBigUInt64LE());
    return { seen: read(COUNTER_SEEN), lost: read(COUNTER_LOST) };
  }

  close(): void {
    this.ring?.free();
    this.obj.close();
  }
}

function u32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt32LE(value);
  return buf;
}

function decodeRecord(r: Buffer): PacketMessage {
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
