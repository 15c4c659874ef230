// SPDX-License-Identifier: GPL-2.0
/* The cheapest socket filter: keeps every packet and does nothing else. The benchmark's baseline. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int baseline(struct __sk_buff *skb)
{
	return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
