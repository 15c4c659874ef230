// SPDX-License-Identifier: GPL-2.0
/* The study's conclusion under test: a socket filter on a TCP or UDP socket "cannot filter based on
 * information located in lower level headers". This one dumps its view as dump.bpf.c does, then records,
 * per packet, what it could read *outside* that view and how (the `reach` map, keyed by the packet's
 * dump_head.seq): the network and MAC headers through bpf_skb_load_bytes_relative(), the same fields
 * through classic BPF's negative offsets (ld_abs/ld_ind at SKF_NET_OFF and SKF_LL_OFF), and the payload
 * through the network header's offset both ways. */
#include "dump.h"

/* <linux/filter.h>'s negative offsets: ld_abs/ld_ind relative to the network or link-layer header. */
#define SKF_NET_OFF (-0x100000)
#define SKF_LL_OFF (-0x200000)

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

/* The classic loads: clang compiles these to BPF_LD | BPF_ABS (constant offset) or BPF_IND. A load that
 * cannot be satisfied ends the program at once with return value 0, which for a socket filter drops the
 * packet: there is no error to test. */
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct reach_record);
} reach SEC(".maps");

/* The payload ld_ind is tried on one packet only: where it fails, that packet is dropped (above), and a
 * TCP sender's retransmission must then get through. */
__u32 payload_tried = 0;

static __always_inline void read_headers(struct __sk_buff *skb, struct reach_record *rec)
{
	__u32 ip_len, total, transport = 0;
	__u8 byte = 0;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		rec->net_rc = bpf_skb_load_bytes_relative(skb, 0, rec->net, 20, BPF_HDR_START_NET);
		ip_len = (rec->net[0] & 0xf) * 4;
		total = (rec->net[2] << 8) | rec->net[3];
		transport = rec->net[9];
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		rec->net_rc = bpf_skb_load_bytes_relative(skb, 0, rec->net, 40, BPF_HDR_START_NET);
		ip_len = 40;
		total = 40 + ((rec->net[4] << 8) | rec->net[5]);
		transport = rec->net[6];
	} else {
		return;
	}
	rec->mac_rc = bpf_skb_load_bytes_relative(skb, 0, rec->mac, sizeof(rec->mac), BPF_HDR_START_MAC);
	if (rec->net_rc)
		return;
	if (transport == IPPROTO_TCP) {
		if (bpf_skb_load_bytes_relative(skb, ip_len + 12, &byte, 1, BPF_HDR_START_NET))
			return;
		rec->payload_offset = ip_len + (byte >> 4) * 4;
	} else if (transport == IPPROTO_UDP) {
		rec->payload_offset = ip_len + 8;
	} else {
		return;
	}
	if (total < rec->payload_offset + sizeof(rec->payload)) {
		rec->payload_offset = 0; /* no payload (or too little to read) */
		return;
	}
	rec->payload_rc = bpf_skb_load_bytes_relative(skb, rec->payload_offset, rec->payload, sizeof(rec->payload),
						      BPF_HDR_START_NET);
}

/* Each result reaches the map before the next load: a load that fails ends the program, and what the record
 * then lacks shows where. Volatile, so the compiler keeps every store where it is written. */
#define STORE(field, value) (*(volatile __u32 *)&(field) = (value))

/* The classic loads, network header first: a failed ld_abs at SKF_LL_OFF would end the program too. */
static __always_inline void classic_loads(struct __sk_buff *skb, struct reach_record *r, int ipv6)
{
	__u32 done = 0;

	STORE(r->ld_ttl, ipv6 ? load_byte(skb, SKF_NET_OFF + 7) : load_byte(skb, SKF_NET_OFF + 8));
	STORE(r->ld_done, done |= REACH_LD_TTL);
	STORE(r->ld_protocol, ipv6 ? load_byte(skb, SKF_NET_OFF + 6) : load_byte(skb, SKF_NET_OFF + 9));
	STORE(r->ld_done, done |= REACH_LD_PROTOCOL);
	STORE(r->ld_ethertype, load_half(skb, SKF_LL_OFF + 12));
	STORE(r->ld_done, done |= REACH_LD_ETHERTYPE);
	if (!r->payload_offset || payload_tried)
		return;
	payload_tried = 1;
	STORE(r->ld_done, done |= REACH_LD_PAYLOAD_TRIED);
	STORE(r->ld_payload, load_word(skb, SKF_NET_OFF + r->payload_offset));
	STORE(r->ld_done, done |= REACH_LD_PAYLOAD);
}

SEC("socket")
int reach_socket(struct __sk_buff *skb)
{
	struct packet_meta m = skb_meta(skb);
	struct reach_record rec = {};
	struct reach_record *r;
	__u32 seq = DUMP_NO_SEQ;
	__u32 verdict = dump_packet_numbered(skb, FROM_SKB, &m, skb->len, &seq);

	if (seq == DUMP_NO_SEQ)
		return verdict;
	read_headers(skb, &rec);
	if (bpf_map_update_elem(&reach, &seq, &rec, BPF_ANY))
		return verdict;
	r = bpf_map_lookup_elem(&reach, &seq);
	if (r)
		classic_loads(skb, r, skb->protocol == bpf_htons(ETH_P_IPV6));
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";
