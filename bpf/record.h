/* The record layout shared by the eBPF programs and the harness. Its TypeScript twin, with the same
 * names, is scripts/vocabulary/record-layout.ts; test/unit/vocabulary/record-layout.test.ts compares the
 * two through the BTF of the compiled objects, so a change here needs the same change there. */
#ifndef EDL_RECORD_H
#define EDL_RECORD_H

/* Bytes copied from each packet; longer packets keep their true length in `len`. */
#define DUMP_CAPTURE_MAX 1024

/* Where the filter sends its dump. */
enum dump_channel {
	DUMP_CHANNEL_NONE = 0, /* count only (the `counters` map), dump nothing */
	DUMP_CHANNEL_RINGBUF = 1,
	DUMP_CHANNEL_TRACE_PIPE = 2,
	DUMP_CHANNEL_PERF = 3, /* BPF_MAP_TYPE_PERF_EVENT_ARRAY: what kernels before 5.8 have, and bcc uses */
};

/* What the filter returns: skb->len (keep everything) or a fixed value (0 drops, N trims). */
enum dump_verdict {
	DUMP_RETURN_LEN = 0,
	DUMP_RETURN_VALUE = 1,
};

/* Written by userspace into the `config` map before the filter is attached. */
struct dump_config {
	__u32 tag;     /* 16-bit run tag: trace_pipe lines carry it so a reader can ignore strangers */
	__u32 channel; /* enum dump_channel */
	__u32 verdict; /* enum dump_verdict */
	__u32 value;   /* the return value for DUMP_RETURN_VALUE */
	__u32 limit;   /* record only the first `limit` packets (0: all); later ones still get the verdict */
	__u32 netns;   /* tracing programs see every namespace: only packets of this one (its inode) count */
};

/* Indexes into the `counters` map. */
enum dump_counter {
	DUMP_COUNTER_SEEN = 0,    /* packets the filter ran on */
	DUMP_COUNTER_LOST = 1,    /* records the channel had no room for (ring buffer or perf buffer full) */
	DUMP_COUNTER_MAX = 2,
};

/* pkt_type where the hook has none (XDP runs before the stack classifies a frame). */
#define DUMP_PKT_TYPE_UNKNOWN 0xffffffff

/* What a record says about its packet besides the bytes: a ring-buffer record starts with it, and a perf
 * sample is this head followed by the `captured` bytes the kernel appends. */
struct dump_head {
	__u32 seq;      /* (CPU << 12) | that CPU's packet number: unique per packet, not an order */
	__u32 len;      /* skb->len */
	__u32 captured; /* bytes of the packet after the head */
	__u32 pkt_type; /* skb->pkt_type: PACKET_HOST, PACKET_OUTGOING, ... */
	__u32 protocol; /* skb->protocol, network byte order (ETH_P_IP = 0x0800) */
	__u32 ifindex;  /* skb->ifindex */
	__u64 time;     /* perf only, bpf_ktime_get_ns(): its per-CPU buffers arrive CPU by CPU, and userspace
			 * puts the samples back in order by it. 0 from the ring buffer, one queue already in order. */
};

/* One ring-buffer record per packet (and the per-CPU scratch a perf sample of kernel memory is built in). */
struct dump_record {
	struct dump_head head;
	__u8 data[DUMP_CAPTURE_MAX];
};

/* xdp_flows.bpf.c: one entry per flow in the `flows` hash map, the value counting its packets. */
struct flow_key {
	__u8 family;   /* 4 or 6 */
	__u8 protocol; /* IP protocol: 6 TCP, 17 UDP, 132 SCTP, ... */
	__u16 sport;   /* network byte order; 0 where the protocol has no ports */
	__u16 dport;
	__u16 pad;
	__u8 saddr[16]; /* IPv4 in the first 4 bytes */
	__u8 daddr[16];
};

/* counter.bpf.c: packets per interface and IP protocol in the `counts` hash map. */
struct count_key {
	__u32 ifindex;
	__u32 protocol;
};

/* The packet number dump_packet_numbered() gives a packet it did not record (over the limit, no config). */
#define DUMP_NO_SEQ 0xffffffff

/* reach.bpf.c: the classic loads that returned. A failed ld_abs/ld_ind ends the program at once (with
 * return value 0), so a bit missing after the one before it shows which load failed. */
enum reach_load {
	REACH_LD_TTL = 1,           /* ld_abs byte at SKF_NET_OFF + 8 (IPv4 TTL) or + 7 (IPv6 hop limit) */
	REACH_LD_PROTOCOL = 2,      /* ld_abs byte at SKF_NET_OFF + 9 (IPv4 protocol) or + 6 (IPv6 next header) */
	REACH_LD_ETHERTYPE = 4,     /* ld_abs half at SKF_LL_OFF + 12 */
	REACH_LD_PAYLOAD_TRIED = 8, /* the ld_ind at SKF_NET_OFF + payload_offset was tried (one packet per run) */
	REACH_LD_PAYLOAD = 16,      /* ... and returned */
};

/* reach.bpf.c: what a socket filter read outside its own view, per packet: the `reach` hash map, keyed by
 * the packet's dump_head.seq. The *_rc fields are bpf_skb_load_bytes_relative()'s results (0 or -errno). */
struct reach_record {
	__s32 net_rc;         /* net[0, 20 or 40) at offset 0 from BPF_HDR_START_NET */
	__s32 mac_rc;         /* mac[] at offset 0 from BPF_HDR_START_MAC */
	__s32 payload_rc;     /* payload[] at payload_offset from BPF_HDR_START_NET */
	__u32 payload_offset; /* the payload's offset from the network header; 0 where it has none */
	__u32 ld_done;        /* enum reach_load bits */
	__u32 ld_ethertype;
	__u32 ld_ttl;
	__u32 ld_protocol;
	__u32 ld_payload;     /* the payload's first 4 bytes as ld_ind returns them (network order read as a number) */
	__u8 net[40];
	__u8 mac[14];
	__u8 payload[4];
	__u8 pad[2];
};

/* BTF only describes the types an object's globals, maps and functions use: without this anchor,
 * dump_record (only ever behind a pointer local) and the enums (only their constants are used) would be
 * missing, and the test could not compare them. Members are values, not pointers: a struct reached
 * only through a pointer member does not make it into BTF either. The anchor is a common symbol: for
 * common linkage clang emits the types into BTF but no variable, no DATASEC and no section, and libbpf
 * ignores the symbol, so the programs' code, data and maps are what they are without it. (The BPF
 * static linker, `bpftool gen object`, which the harness does not use, refuses a global that has no
 * BTF variable.) */
struct dump_btf_anchor {
	struct dump_config config;
	struct dump_head head;
	struct dump_record record;
	struct flow_key flow_key;
	struct count_key count_key;
	struct reach_record reach_record;
	enum reach_load reach_load;
	enum dump_channel channel;
	enum dump_verdict verdict;
	enum dump_counter counter;
};
struct dump_btf_anchor dump_btf_anchor __attribute__((common));

#endif
