// The TypeScript twin of bpf/record.h: its constants, enums and struct layouts under the C names, and the
// encoders/decoders userspace uses instead of offsets of its own. Pure: imports nothing.
// test/unit/vocabulary/record-layout.test.ts compares it with the BTF of the compiled objects (and the
// #defines, which BTF does not keep, with record.h's text): a change on one side only fails there.

/** Bytes copied from each packet (dump_record.data); longer packets keep their true length in `len`. */
export const DUMP_CAPTURE_MAX = 1024;

/** pkt_type where the hook has none (XDP runs before the stack classifies a frame). */
export const DUMP_PKT_TYPE_UNKNOWN = 0xffffffff;

/** enum dump_channel: where the filter sends its dump. */
export const DUMP_CHANNEL_NONE = 0; // count only (the `counters` map), dump nothing
export const DUMP_CHANNEL_RINGBUF = 1;
export const DUMP_CHANNEL_TRACE_PIPE = 2;
export const DUMP_CHANNEL_PERF = 3; // BPF_MAP_TYPE_PERF_EVENT_ARRAY

/** enum dump_verdict: what the filter returns, its hook's "keep going" value (skb->len for a socket
 *  filter) or dump_config.value. */
export const DUMP_RETURN_LEN = 0;
export const DUMP_RETURN_VALUE = 1;

/** enum dump_counter: indexes into the `counters` map. */
export const DUMP_COUNTER_SEEN = 0; // packets the filter ran on
export const DUMP_COUNTER_LOST = 1; // records the channel had no room for (ring buffer or perf buffer full)
export const DUMP_COUNTER_MAX = 2;

/** The packet number a program gives a packet it did not record. */
export const DUMP_NO_SEQ = 0xffffffff;

/** enum reach_load (reach.bpf.c): the classic loads that returned; a failed one ends the program at once. */
export const REACH_LD_TTL = 1; // ld_abs byte at SKF_NET_OFF + 8 (IPv4 TTL) or + 7 (IPv6 hop limit)
export const REACH_LD_PROTOCOL = 2; // ld_abs byte at SKF_NET_OFF + 9 (IPv4) or + 6 (IPv6 next header)
export const REACH_LD_ETHERTYPE = 4; // ld_abs half at SKF_LL_OFF + 12
export const REACH_LD_PAYLOAD_TRIED = 8; // the ld_ind at SKF_NET_OFF + payload_offset was tried
export const REACH_LD_PAYLOAD = 16; // ... and returned

/** Every enum of record.h, member by member (the constants above, by their own names). */
export const ENUMS = {
  dump_channel: { DUMP_CHANNEL_NONE, DUMP_CHANNEL_RINGBUF, DUMP_CHANNEL_TRACE_PIPE, DUMP_CHANNEL_PERF },
  dump_verdict: { DUMP_RETURN_LEN, DUMP_RETURN_VALUE },
  dump_counter: { DUMP_COUNTER_SEEN, DUMP_COUNTER_LOST, DUMP_COUNTER_MAX },
  reach_load: { REACH_LD_TTL, REACH_LD_PROTOCOL, REACH_LD_ETHERTYPE, REACH_LD_PAYLOAD_TRIED, REACH_LD_PAYLOAD },
} as const;

/** Where a field sits in its struct, in bytes. */
export interface FieldLayout {
  readonly offset: number;
  readonly size: number;
}

export interface StructLayout {
  readonly size: number;
  /** In declaration order, by their C names. */
  readonly fields: Readonly<Record<string, FieldLayout>>;
}

/** Every struct of record.h: sizeof, and each field's offsetof and sizeof. */
export const STRUCTS = {
  /** Written by userspace into the `config` map (key 0) before the filter is attached. */
  dump_config: {
    size: 24,
    fields: {
      tag: { offset: 0, size: 4 }, // 16-bit run tag that trace_pipe lines carry
      channel: { offset: 4, size: 4 }, // enum dump_channel
      verdict: { offset: 8, size: 4 }, // enum dump_verdict
      value: { offset: 12, size: 4 }, // the return value for DUMP_RETURN_VALUE
      limit: { offset: 16, size: 4 }, // record only the first `limit` packets (0: all)
      netns: { offset: 20, size: 4 }, // tracing programs: only packets of this namespace (its inode)
    },
  },
  /** What a record says besides the bytes: a ring-buffer record starts with it; a perf sample is it and
   *  then the `captured` bytes. */
  dump_head: {
    size: 32,
    fields: {
      seq: { offset: 0, size: 4 }, // (CPU << 12) | that CPU's packet number
      len: { offset: 4, size: 4 }, // skb->len
      captured: { offset: 8, size: 4 }, // bytes of the packet after the head
      pkt_type: { offset: 12, size: 4 },
      protocol: { offset: 16, size: 4 }, // skb->protocol, network byte order, in a __u32
      ifindex: { offset: 20, size: 4 },
      time: { offset: 24, size: 8 }, // perf only: bpf_ktime_get_ns(), to order the per-CPU buffers' samples
    },
  },
  /** One ring-buffer record per packet. */
  dump_record: {
    size: 32 + DUMP_CAPTURE_MAX,
    fields: {
      head: { offset: 0, size: 32 }, // struct dump_head
      data: { offset: 32, size: DUMP_CAPTURE_MAX },
    },
  },
  /** Key of the `flows` hash map (xdp_flows.bpf.c). */
  flow_key: {
    size: 40,
    fields: {
      family: { offset: 0, size: 1 }, // 4 or 6
      protocol: { offset: 1, size: 1 }, // IP protocol
      sport: { offset: 2, size: 2 }, // network byte order
      dport: { offset: 4, size: 2 },
      pad: { offset: 6, size: 2 },
      saddr: { offset: 8, size: 16 }, // IPv4 in the first 4 bytes
      daddr: { offset: 24, size: 16 },
    },
  },
  /** Key of the `counts` hash map (counter.bpf.c). */
  count_key: {
    size: 8,
    fields: {
      ifindex: { offset: 0, size: 4 },
      protocol: { offset: 4, size: 4 },
    },
  },
  /** Value of the `reach` hash map (reach.bpf.c), keyed by the packet's dump_head.seq. */
  reach_record: {
    size: 96,
    fields: {
      net_rc: { offset: 0, size: 4 }, // bpf_skb_load_bytes_relative() results: 0 or -errno
      mac_rc: { offset: 4, size: 4 },
      payload_rc: { offset: 8, size: 4 },
      payload_offset: { offset: 12, size: 4 }, // from the network header; 0: no payload
      ld_done: { offset: 16, size: 4 }, // enum reach_load bits
      ld_ethertype: { offset: 20, size: 4 },
      ld_ttl: { offset: 24, size: 4 },
      ld_protocol: { offset: 28, size: 4 },
      ld_payload: { offset: 32, size: 4 },
      net: { offset: 36, size: 40 },
      mac: { offset: 76, size: 14 },
      payload: { offset: 90, size: 4 },
      pad: { offset: 94, size: 2 },
    },
  },
} as const satisfies Record<string, StructLayout>;

export type StructName = keyof typeof STRUCTS;
export type EnumName = keyof typeof ENUMS;

/** A field of a given size: the accessors below only take the fields they fit, so resizing a field in
 *  STRUCTS without changing its reader fails to type-check. */
type Field<Size extends number> = { readonly offset: number; readonly size: Size };

const u8 = (buf: Buffer, f: Field<1>): number => buf[f.offset];
const u32 = (buf: Buffer, f: Field<4>): number => buf.readUInt32LE(f.offset);
const u64 = (buf: Buffer, f: Field<8>): bigint => buf.readBigUInt64LE(f.offset);
/** A 16-bit value the kernel keeps in network byte order (a __be16, or one in the first bytes of a __u32). */
const be16 = (buf: Buffer, f: Field<2> | Field<4>): number => buf.readUInt16BE(f.offset);

/** struct dump_config, field by field: channel is an enum dump_channel, verdict an enum dump_verdict. */
export interface DumpConfig {
  tag: number;
  channel: number;
  verdict: number;
  value: number;
  limit: number;
  netns: number;
}

/** struct dump_config as the `config` map holds it (little-endian __u32s). */
export function encodeDumpConfig(c: DumpConfig): Buffer {
  const { size, fields: f } = STRUCTS.dump_config;
  const buf = Buffer.alloc(size);
  const put = (field: Field<4>, value: number) => buf.writeUInt32LE(value, field.offset);
  put(f.tag, c.tag);
  put(f.channel, c.channel);
  put(f.verdict, c.verdict);
  put(f.value, c.value);
  put(f.limit, c.limit);
  put(f.netns, c.netns);
  return buf;
}

/** struct dump_head and the bytes after it, with `protocol` in host order (0x0800 for IPv4). */
export interface DumpRecord {
  seq: number;
  len: number;
  captured: number;
  pkt_type: number;
  protocol: number;
  ifindex: number;
  /** bpf_ktime_get_ns() when a perf sample was sent; 0 in a ring-buffer record. */
  time: bigint;
  /** The `captured` bytes after the head: a view into `buf`, not a copy. */
  data: Buffer;
}

/** One ring-buffer record or perf sample: both are a dump_head and then the captured bytes (the record's
 *  data[] is longer than `captured`, a sample's raw data is padded to 8 bytes). */
export function decodeDumpRecord(buf: Buffer): DumpRecord {
  const h = STRUCTS.dump_head.fields;
  const data = STRUCTS.dump_record.fields.data.offset;
  const captured = u32(buf, h.captured);
  if (buf.length < data + captured) throw new RangeError(`a dump record of ${buf.length} bytes cannot hold its head and ${captured} captured bytes`);
  return {
    seq: u32(buf, h.seq),
    len: u32(buf, h.len),
    captured,
    pkt_type: u32(buf, h.pkt_type),
    // skb->protocol is a __be16 stored into a __u32: its two bytes come first, in network order.
    protocol: be16(buf, h.protocol),
    ifindex: u32(buf, h.ifindex),
    time: u64(buf, h.time),
    data: buf.subarray(data, data + captured),
  };
}

/** struct flow_key, with the ports in host order. */
export interface FlowKey {
  /** 6 for IPv6, else 4. */
  family: 4 | 6;
  protocol: number;
  sport: number;
  dport: number;
  /** All 16 bytes (IPv4 in the first 4): views into the key. */
  saddr: Buffer;
  daddr: Buffer;
}

/** A key of the `flows` map. */
export function decodeFlowKey(buf: Buffer): FlowKey {
  const f = STRUCTS.flow_key.fields;
  return {
    family: u8(buf, f.family) === 6 ? 6 : 4,
    protocol: u8(buf, f.protocol),
    sport: be16(buf, f.sport),
    dport: be16(buf, f.dport),
    saddr: buf.subarray(f.saddr.offset, f.saddr.offset + f.saddr.size),
    daddr: buf.subarray(f.daddr.offset, f.daddr.offset + f.daddr.size),
  };
}

/** struct count_key: packets of one interface and IP protocol. */
export interface CountKey {
  ifindex: number;
  protocol: number;
}

/** A key of the `counts` map. */
export function decodeCountKey(buf: Buffer): CountKey {
  const f = STRUCTS.count_key.fields;
  return { ifindex: u32(buf, f.ifindex), protocol: u32(buf, f.protocol) };
}

/** struct reach_record: what a socket filter read outside its view. */
export interface ReachRecord {
  net_rc: number;
  mac_rc: number;
  payload_rc: number;
  payload_offset: number;
  ld_done: number;
  ld_ethertype: number;
  ld_ttl: number;
  ld_protocol: number;
  ld_payload: number;
  net: Buffer;
  mac: Buffer;
  payload: Buffer;
}

/** A value of the `reach` map (byte arrays are views into `buf`). */
export function decodeReachRecord(buf: Buffer): ReachRecord {
  const f = STRUCTS.reach_record.fields;
  const i32 = (field: Field<4>) => buf.readInt32LE(field.offset);
  const bytes = (field: { offset: number; size: number }) => buf.subarray(field.offset, field.offset + field.size);
  return {
    net_rc: i32(f.net_rc),
    mac_rc: i32(f.mac_rc),
    payload_rc: i32(f.payload_rc),
    payload_offset: u32(buf, f.payload_offset),
    ld_done: u32(buf, f.ld_done),
    ld_ethertype: u32(buf, f.ld_ethertype),
    ld_ttl: u32(buf, f.ld_ttl),
    ld_protocol: u32(buf, f.ld_protocol),
    ld_payload: u32(buf, f.ld_payload),
    net: bytes(f.net),
    mac: bytes(f.mac),
    payload: bytes(f.payload),
  };
}

/** bpf/dump.h's switches for the channels' code: read-only variables alone in their own section, which the
 *  loader sets to 0 before loading for every channel the run does not use (that code is then not verified:
 *  a ring-buffer run skips the trace_pipe loop, and a kernel that refuses the perf helper to a socket filter
 *  still loads the others). */
export const CHANNEL_SWITCHES = {
  section: '.rodata.channels',
  variables: {
    trace_pipe: { variable: 'with_trace_pipe', offset: 0, size: 1 },
    perf: { variable: 'with_perf', offset: 1, size: 1 },
  },
} as const;
