// SPDX-License-Identifier: GPL-2.0
/* XDP: counts each flow (addresses, IP protocol, ports) in the `flows` map and dumps every frame like
 * the other programs. Recognises TCP, UDP and SCTP (whose common header starts with the two ports). */
#include "dump.h"

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_SCTP 132

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow_key);
	__type(value, __u64);
} flows SEC(".maps");

/* Fills the key from the frame; returns 0 when the frame is not IP. */
static __always_inline int flow_of(struct xdp_md *ctx, struct flow_key *k)
{
	__u16 ethertype;
	__u8 first;
	__u32 l4;

	if (bpf_xdp_load_bytes(ctx, 12, &ethertype, 2))
		return 0;
	if (ethertype == bpf_htons(ETH_P_IP)) {
		if (bpf_xdp_load_bytes(ctx, ETH_HLEN, &first, 1) ||
		    bpf_xdp_load_bytes(ctx, ETH_HLEN + 9, &k->protocol, 1) ||
		    bpf_xdp_load_bytes(ctx, ETH_HLEN + 12, k->saddr, 4) ||
		    bpf_xdp_load_bytes(ctx, ETH_HLEN + 16, k->daddr, 4))
			return 0;
		k->family = 4;
		l4 = ETH_HLEN + (first & 0xf) * 4;
	} else if (ethertype == bpf_htons(ETH_P_IPV6)) {
		/* Extension headers are not followed: their packets count under the next-header value. */
		if (bpf_xdp_load_bytes(ctx, ETH_HLEN + 6, &k->protocol, 1) ||
		    bpf_xdp_load_bytes(ctx, ETH_HLEN + 8, k->saddr, 16) ||
		    bpf_xdp_load_bytes(ctx, ETH_HLEN + 24, k->daddr, 16))
			return 0;
		k->family = 6;
		l4 = ETH_HLEN + 40;
	} else {
		return 0;
	}
	if (k->protocol == IPPROTO_TCP || k->protocol == IPPROTO_UDP || k->protocol == IPPROTO_SCTP) {
		if (bpf_xdp_load_bytes(ctx, l4, &k->sport, 2) || bpf_xdp_load_bytes(ctx, l4 + 2, &k->dport, 2))
			k->sport = k->dport = 0;
	}
	return 1;
}

SEC("xdp")
int xdp_flows(struct xdp_md *ctx)
{
	struct flow_key key = {};
	struct packet_meta m = {
		.len = ctx->data_end - ctx->data,
		.readable = ctx->data_end - ctx->data,
		.pkt_type = DUMP_PKT_TYPE_UNKNOWN,
		.ifindex = ctx->ingress_ifindex,
	};
	__u64 one = 1, *count;

	if (flow_of(ctx, &key)) {
		count = bpf_map_lookup_elem(&flows, &key);
		if (count)
			__sync_fetch_and_add(count, 1);
		else
			bpf_map_update_elem(&flows, &key, &one, BPF_NOEXIST);
	}
	bpf_xdp_load_bytes(ctx, 12, &m.protocol, 2);
	return dump_packet(ctx, FROM_XDP, &m, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
