/* The dump shared by every program that records packets: the maps userspace reads (config, counters,
 * records, perf_records) and dump_packet(), which sends one packet to the ring buffer, the perf buffer or
 * trace_pipe. */
#ifndef EDL_DUMP_H
#define EDL_DUMP_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "record.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dump_config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DUMP_COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Per-CPU packet numbers: unique keys without an atomic fetch-and-add, which kernels before 5.12 lack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} sequence SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} records SEC(".maps");

/* The perf channel: one perf event per CPU, which userspace opens and stores here (libbpf's perf_buffer).
 * No max_entries: libbpf makes it the number of possible CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf_records SEC(".maps");

/* Where a perf sample of kernel memory is put together: the perf helper of a tracing program appends no
 * packet bytes (its flags hold only the CPU index), so they are copied here after the head and sent with
 * it. Per CPU, and a tracing program does not run nested on its CPU, so no two packets share it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dump_record);
} perf_scratch SEC(".maps");

/* What the program knows about the packet besides its bytes. */
struct packet_meta {
	__u32 len;
	__u32 readable; /* bytes load_bytes() can reach from the start: len, or the linear part in kernel memory */
	__u32 pkt_type;
	__u32 protocol; /* network byte order */
	__u32 ifindex;
	void *kernel_data; /* FROM_KERNEL: the packet's first byte (the program's ctx is not where the bytes are) */
};

/* What an __sk_buff hook knows besides the bytes; the whole packet is readable from its start. */
static __always_inline struct packet_meta skb_meta(struct __sk_buff *skb)
{
	struct packet_meta m = {
		.len = skb->len,
		.readable = skb->len,
		.pkt_type = skb->pkt_type,
		.protocol = skb->protocol,
		.ifindex = skb->ifindex,
	};

	return m;
}

/* Where the packet's bytes are: an __sk_buff, an xdp_md, or kernel memory (at packet_meta.kernel_data). */
enum dump_source { FROM_SKB, FROM_XDP, FROM_KERNEL };

/* `src` is the ctx, or for FROM_KERNEL the first byte. `from` is a compile-time constant at every call
 * site, so only one way of reading survives. XDP reads
 * the frame directly (ctx->data up to ctx->data_end), not with bpf_xdp_load_bytes(): that helper came in
 * Linux 5.18, XDP in 4.8. A program not loaded as xdp.frags has the whole frame there, so the bytes are
 * the same. For XDP, `len` must be a compile-time constant (dump_to_ringbuf() copies with xdp_copy()). */
static __always_inline long load_bytes(void *src, enum dump_source from, __u32 offset, void *to, __u32 len)
{
	if (from == FROM_XDP) {
		void *data = (void *)(long)((struct xdp_md *)src)->data;
		void *end = (void *)(long)((struct xdp_md *)src)->data_end;

		if (data + offset + len > end)
			return -1;
		__builtin_memcpy(to, data + offset, len);
		return 0;
	}
	if (from == FROM_KERNEL)
		return bpf_probe_read_kernel(to, len, (char *)src + offset);
	return bpf_skb_load_bytes(src, offset, to, len);
}

static __always_inline __u64 *dump_counter(__u32 index)
{
	return bpf_map_lookup_elem(&counters, &index);
}

/* Set by the loader before loading (their own section, so they sit at offsets 0 and 1 of that map): 0
 * leaves a channel's code out of verification, which prunes it as dead code. with_trace_pipe: its
 * 1,024-iteration loop is most of the verifier's work (about 75 ms of a server's start-up). with_perf:
 * socket filters and cgroup_skb may call the perf helper only since kernel commit 7c4b90d79d0f (2019), and a kernel
 * whose verifier refuses the call must still load the other channels. */
const volatile __u8 with_trace_pipe SEC(".rodata.channels") = 1;
const volatile __u8 with_perf SEC(".rodata.channels") = 1;

/* The study's format (one line per byte), each line prefixed with "edl" + tag + sequence number. */
static __always_inline void dump_to_trace_pipe(void *src, enum dump_source from, struct packet_meta *m, __u32 key, __u32 captured)
{
	bpf_printk("edl%08x Kernelspace: Received %u bytes, dumping", key, m->len);
	bpf_printk("edl%08x pkt_type=%u protocol=0x%04x", key, m->pkt_type, bpf_ntohs(m->protocol));
	bpf_printk("edl%08x ifindex=%u captured=%u", key, m->ifindex, captured);
	for (__u32 i = 0; i < DUMP_CAPTURE_MAX; i++) {
		__u8 byte;

		if (i >= captured || load_bytes(src, from, i, &byte, 1))
			break;
		bpf_printk("edl%08x \tbyte[%u]=0x%x", key, i, byte);
	}
}

/* XDP's copy into a record, by direct packet access: the one helper that copies a variable length out
 * of an XDP frame, bpf_xdp_load_bytes(), came in 5.18. Blocks of 64 (or 8, or 1) bytes, the last one
 * ending at len and overlapping the one before; the loops are bounded (verified since 5.3), 16 rounds
 * at most. The barrier_var()s keep clang from rewriting values into forms the 5.10 verifier loses. */

/* Copies `n` bytes (a constant: 1, or a multiple of 8) at `off` from the frame to `to`; -1 past its end. */
static __always_inline long xdp_copy_block(__u8 *data, __u8 *end, __u8 *to, __u64 off, const __u32 n)
{
	__u8 *from = data + off;
	__u32 i;

	/* Else clang folds the check data + (len - n) + n > end into data + len > end: not a bound on
	 * the pointer the loads use. */
	barrier_var(from);
	if (from + n > end)
		return -1;
	if (n == 1) {
		to[off] = *from;
		return 0;
	}
#pragma unroll
	for (i = 0; i < n; i += 8)
		*(__u64 *)(to + off + i) = *(__u64 *)(from + i);
	return 0;
}

/* Copies to[0, len) in blocks of `n` bytes; n <= len <= max. */
static __always_inline long xdp_copy_blocks(__u8 *data, __u8 *end, __u8 *to, __u64 len, const __u32 n, const __u32 max)
{
	__u64 off;

	/* `off + n < max` ends the loop where `off + n < len` must have: the 5.10 verifier only decides a
	 * jump against a constant on the right, and would go on with an impossible len. The barrier keeps
	 * clang from dropping the constant bound as implied. */
	barrier_var(len);
	for (off = 0; off + n < max && off + n < len; off += n)
		if (xdp_copy_block(data, end, to, off, n))
			return -1;
	return xdp_copy_block(data, end, to, len - n, n);
}

/* Copies an XDP frame's first `len` bytes (1..DUMP_CAPTURE_MAX, no more than the frame has). */
static __always_inline long xdp_copy(struct xdp_md *ctx, __u8 *to, __u64 len)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;

	/* Else clang tests len - 1 against 63 and 7, and the 5.10 verifier does not carry that bound
	 * over to len. */
	barrier_var(len);
	if (len >= 64)
		return xdp_copy_blocks(data, end, to, len, 64, DUMP_CAPTURE_MAX);
	if (len >= 8)
		return xdp_copy_blocks(data, end, to, len, 8, 63);
	return xdp_copy_blocks(data, end, to, len, 1, 7);
}

static __always_inline void count_lost(void)
{
	__u64 *lost = dump_counter(DUMP_COUNTER_LOST);

	if (lost)
		__sync_fetch_and_add(lost, 1);
}

/* The head of a record or sample (time stays 0: only the perf channel sets it). */
static __always_inline void fill_head(struct dump_head *h, struct packet_meta *m, __u32 seq, __u32 captured)
{
	h->seq = seq;
	h->len = m->len;
	h->captured = captured;
	h->pkt_type = m->pkt_type;
	h->protocol = m->protocol;
	h->ifindex = m->ifindex;
	h->time = 0;
}

/* A load needs a length the verifier can bound to 1..DUMP_CAPTURE_MAX (a power of two): for captured in
 * that range, ((captured - 1) & (MAX - 1)) + 1 == captured. */
static __always_inline __u32 bounded_len(__u32 captured)
{
	return (((__u64)captured - 1) & (DUMP_CAPTURE_MAX - 1)) + 1;
}

static __always_inline void dump_to_ringbuf(void *src, enum dump_source from, struct packet_meta *m, __u32 seq, __u32 captured)
{
	struct dump_record *rec = bpf_ringbuf_reserve(&records, sizeof(*rec), 0);
	__u32 len = bounded_len(captured);

	if (!rec) {
		count_lost();
		return;
	}
	if (captured == 0 ||
	    (from == FROM_XDP ? xdp_copy(src, rec->data, len) : load_bytes(src, from, 0, rec->data, len)))
		captured = 0;
	fill_head(&rec->head, m, seq, captured);
	bpf_ringbuf_submit(rec, 0);
}

/* A perf sample of kernel memory: head and bytes copied into this CPU's scratch record, then sent as one. */
static __always_inline long perf_from_kernel(void *ctx, void *src, struct packet_meta *m, __u32 seq, __u32 captured)
{
	__u32 zero = 0, len = bounded_len(captured);
	struct dump_record *rec = bpf_map_lookup_elem(&perf_scratch, &zero);
	__u64 size = sizeof(rec->head);

	if (!rec)
		return -1;
	if (captured == 0 || load_bytes(src, FROM_KERNEL, 0, rec->data, len))
		captured = 0;
	else
		size += len;
	fill_head(&rec->head, m, seq, captured);
	rec->head.time = bpf_ktime_get_ns();
	return bpf_perf_event_output(ctx, &perf_records, BPF_F_CURRENT_CPU, rec, size);
}

/* One perf sample: the head, then the packet's first `captured` bytes. From an __sk_buff or an xdp_md the
 * helper appends them itself: the upper 32 bits of its flags (BPF_F_CTXLEN_MASK) say how many bytes of the
 * packet to copy after the head (net/core/filter.c, bpf_skb_event_output() and bpf_xdp_event_output(), which
 * refuse more than the packet has; captured never is). A tracing program's helper has no such length. */
static __always_inline void dump_to_perf(void *ctx, void *src, enum dump_source from, struct packet_meta *m, __u32 seq, __u32 captured)
{
	struct dump_head head;
	long err;

	if (from == FROM_KERNEL) {
		err = perf_from_kernel(ctx, src, m, seq, captured);
	} else {
		fill_head(&head, m, seq, captured);
		head.time = bpf_ktime_get_ns();
		err = bpf_perf_event_output(ctx, &perf_records, BPF_F_CURRENT_CPU | ((__u64)captured << 32), &head, sizeof(head));
	}
	/* -ENOSPC where this CPU's buffer is full (the kernel also tells the reader, later: lost_cb). */
	if (err)
		count_lost();
}

/* Dumps one packet as the config says (ctx: the program's context, which the perf helper needs even where
 * the bytes are in kernel memory); returns the configured value, or `fallback` (the hook's "keep
 * going": skb->len for a socket filter, TC_ACT_OK, XDP_PASS, 1 for cgroup_skb). `*number` becomes the
 * packet's dump_head.seq, or stays DUMP_NO_SEQ where it was not recorded: a program that records more
 * about a packet (reach.bpf.c) keys it by that. */
static __always_inline __u32 dump_packet_numbered(void *ctx, enum dump_source from, struct packet_meta *m, __u32 fallback,
						  __u32 *numbered)
{
	__u32 zero = 0;
	struct dump_config *cfg = bpf_map_lookup_elem(&config, &zero);
	__u64 *seen = dump_counter(DUMP_COUNTER_SEEN);
	__u32 *number = bpf_map_lookup_elem(&sequence, &zero);
	__u32 captured = m->readable < DUMP_CAPTURE_MAX ? m->readable : DUMP_CAPTURE_MAX;
	void *src = from == FROM_KERNEL ? m->kernel_data : ctx;
	__u64 before;
	__u32 verdict, seq;

	if (!cfg || !seen || !number)
		return fallback;
	/* Decide the return value first: clang must not merge a ctx load with a map-value load. */
	verdict = cfg->verdict == DUMP_RETURN_VALUE ? cfg->value : fallback;
	/* Count with a plain atomic add (its result unused): the limit check may be off by the packets
	 * other CPUs count at the same instant, which the experiments that use a limit do not have. */
	before = *seen;
	__sync_fetch_and_add(seen, 1);
	if (cfg->limit && before >= cfg->limit)
		return verdict;
	/* CPU in the top bits, that CPU's running number below: 16 CPUs x 4096 packets stay unique in
	 * the 16 bits a trace_pipe key has room for. */
	seq = (bpf_get_smp_processor_id() << 12) | (*number & 0xfff);
	*number += 1;
	if (with_trace_pipe && cfg->channel == DUMP_CHANNEL_TRACE_PIPE)
		dump_to_trace_pipe(src, from, m, (cfg->tag << 16) | (seq & 0xffff), captured);
	else if (with_perf && cfg->channel == DUMP_CHANNEL_PERF)
		dump_to_perf(ctx, src, from, m, seq, captured);
	else if (cfg->channel == DUMP_CHANNEL_RINGBUF)
		dump_to_ringbuf(src, from, m, seq, captured);
	*numbered = seq;
	return verdict;
}

static __always_inline __u32 dump_packet(void *ctx, enum dump_source from, struct packet_meta *m, __u32 fallback)
{
	__u32 seq = DUMP_NO_SEQ;

	return dump_packet_numbered(ctx, from, m, fallback, &seq);
}

#endif
