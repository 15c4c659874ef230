// SPDX-License-Identifier: GPL-2.0
/* Dumps every packet it sees, from each __sk_buff hook: a socket filter (SO_ATTACH_BPF), tc clsact and
 * cgroup_skb. By default it returns the hook's "keep going" value, so nothing changes for anyone. */
#include "dump.h"

#define TC_ACT_OK 0

static __always_inline __u32 dump_skb(struct __sk_buff *skb, __u32 fallback)
{
	struct packet_meta m = skb_meta(skb);

	return dump_packet(skb, FROM_SKB, &m, fallback);
}

SEC("socket")
int dump(struct __sk_buff *skb)
{
	return dump_skb(skb, skb->len);
}

SEC("tc")
int dump_tc(struct __sk_buff *skb)
{
	return dump_skb(skb, TC_ACT_OK);
}

/* cgroup_skb programs must return exactly 0 (drop) or 1 (allow). */
SEC("cgroup_skb/ingress")
int dump_cgroup_ingress(struct __sk_buff *skb)
{
	return dump_skb(skb, 1) != 0;
}

SEC("cgroup_skb/egress")
int dump_cgroup_egress(struct __sk_buff *skb)
{
	return dump_skb(skb, 1) != 0;
}

char LICENSE[] SEC("license") = "GPL";
