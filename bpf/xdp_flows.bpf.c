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

/* Fills the key from the frame; returns 0 when the frame is not IP, or too short for its IP header. The
 * frame is read directly (see load_bytes() in dump.h for why not with bpf_xdp_load_bytes()): each bounds
 * check covers the bytes read after it, so a frame is taken or refused exactly as the helper's loads did. */
static __always_inline int flow_of(struct xdp_md *ctx, struct flow_key *k)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	__u8 *ip = data + ETH_HLEN, *l4;
	__u16 ethertype;

	if (data + ETH_HLEN > end)
		return 0;
	__builtin_memcpy(&ethertype, data + 12, 2);
	if (ethertype == bpf_htons(ETH_P_IP)) {
		if (ip + 20 > end)
			return 0;
		k->protocol = ip[9];
		__builtin_memcpy(k->saddr, ip + 12, 4);
		__builtin_memcpy(k->daddr, ip + 16, 4);
		k->family = 4;
		l4 = ip + (ip[0] & 0xf) * 4;
	} else if (ethertype == bpf_htons(ETH_P_IPV6)) {
		/* Extension headers are not followed: their packets count under the next-header value. */
		if (ip + 40 > end)
			return 0;
		k->protocol = ip[6];
		__builtin_memcpy(k->saddr, ip + 8, 16);
		__builtin_memcpy(k->daddr, ip + 24, 16);
		k->family = 6;
		l4 = ip + 40;
	} else {
		return 0;
	}
	if (k->protocol == IPPROTO_TCP || k->protocol == IPPROTO_UDP || k->protocol == IPPROTO_SCTP) {
		if (l4 + 4 > end) {
			k->sport = k->dport = 0;
		} else {
			__builtin_memcpy(&k->sport, l4, 2);
			__builtin_memcpy(&k->dport, l4 + 2, 2);
		}
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
	/* The EtherType's two bytes, as skb->protocol holds it (0 in a frame too short to have one). */
	load_bytes(ctx, FROM_XDP, 12, &m.protocol, 2);
	return dump_packet(ctx, FROM_XDP, &m, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
