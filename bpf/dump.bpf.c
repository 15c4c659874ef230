// SPDX-License-Identifier: GPL-2.0
/* A socket filter that dumps every packet it sees, to a ring buffer or to trace_pipe, and returns
 * what the config says (by default skb->len, so the socket's owner receives everything). */
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

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} records SEC(".maps");

static __always_inline __u64 *counter(__u32 index)
{
	return bpf_map_lookup_elem(&counters, &index);
}

/* The study's format (one line per byte), each line prefixed with "edl" + tag + sequence number. */
static __always_inline void dump_to_trace_pipe(struct __sk_buff *skb, __u32 key, __u32 captured)
{
	bpf_printk("edl%08x Kernelspace: Received %u bytes, dumping", key, skb->len);
	bpf_printk("edl%08x pkt_type=%u protocol=0x%04x", key, skb->pkt_type, bpf_ntohs(skb->protocol));
	bpf_printk("edl%08x ifindex=%u captured=%u", key, skb->ifindex, captured);
	for (__u32 i = 0; i < DUMP_CAPTURE_MAX; i++) {
		__u8 byte;

		if (i >= captured || bpf_skb_load_bytes(skb, i, &byte, 1))
			break;
		bpf_printk("edl%08x \tbyte[%u]=0x%x", key, i, byte);
	}
}

static __always_inline void dump_to_ringbuf(struct __sk_buff *skb, __u32 seq, __u32 captured)
{
	struct dump_record *rec = bpf_ringbuf_reserve(&records, sizeof(*rec), 0);
	__u64 *lost;

	if (!rec) {
		lost = counter(DUMP_COUNTER_LOST);
		if (lost)
			__sync_fetch_and_add(lost, 1);
		return;
	}
	rec->seq = seq;
	rec->len = skb->len;
	rec->pkt_type = skb->pkt_type;
	rec->protocol = skb->protocol;
	rec->ifindex = skb->ifindex;
	/* bpf_skb_load_bytes needs a length the verifier can bound to 1..DUMP_CAPTURE_MAX (a power of
	 * two): for captured in that range, ((captured - 1) & (MAX - 1)) + 1 == captured. */
	if (captured == 0 ||
	    bpf_skb_load_bytes(skb, 0, rec->data, (((__u64)captured - 1) & (DUMP_CAPTURE_MAX - 1)) + 1))
		captured = 0;
	rec->captured = captured;
	bpf_ringbuf_submit(rec, 0);
}

SEC("socket")
int dump(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct dump_config *cfg = bpf_map_lookup_elem(&config, &zero);
	__u64 *seen = counter(DUMP_COUNTER_SEEN);
	__u32 len = skb->len;
	__u32 captured = len < DUMP_CAPTURE_MAX ? len : DUMP_CAPTURE_MAX;
	__u32 verdict, seq;

	if (!cfg || !seen)
		return len;
	/* Decide the return value first: clang must not merge a ctx load with a map-value load. */
	verdict = cfg->verdict == DUMP_RETURN_VALUE ? cfg->value : len;
	seq = __sync_fetch_and_add(seen, 1);
	if (cfg->channel == DUMP_CHANNEL_TRACE_PIPE)
		dump_to_trace_pipe(skb, (cfg->tag << 16) | (seq & 0xffff), captured);
	else if (cfg->channel == DUMP_CHANNEL_RINGBUF)
		dump_to_ringbuf(skb, seq, captured);
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";
