// SPDX-License-Identifier: GPL-2.0
/* A socket filter that only counts: packets per interface and IP protocol, in a map the harness pins. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "record.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct count_key);
	__type(value, __u64);
} counts SEC(".maps");

SEC("socket")
int count(struct __sk_buff *skb)
{
	struct count_key key = { .ifindex = skb->ifindex };
	__u32 offset;
	__u8 protocol;
	__u64 one = 1, *n;

	if (skb->protocol == bpf_htons(ETH_P_IP))
		offset = 9; /* iphdr.protocol */
	else if (skb->protocol == bpf_htons(ETH_P_IPV6))
		offset = 6; /* ipv6hdr.nexthdr */
	else
		return skb->len;
	/* Relative to the network header: right whatever the socket's view starts with. */
	if (bpf_skb_load_bytes_relative(skb, offset, &protocol, 1, BPF_HDR_START_NET))
		return skb->len;
	key.protocol = protocol;
	n = bpf_map_lookup_elem(&counts, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
