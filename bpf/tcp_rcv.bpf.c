// SPDX-License-Identifier: GPL-2.0
/* The TCP receive path from a tracing program: a kprobe on tcp_v4_rcv() where the kernel has kprobes,
 * else the tcp_probe tracepoint (tp_btf), which gets the same skbs but only for established sockets.
 * Both dump from skb->data, which points at the TCP header there. Tracing programs see every network
 * namespace, so only packets of the server's (config.netns) count. */
#include "dump.h"
#include <bpf/bpf_core_read.h>
#include <asm/ptrace.h> /* struct pt_regs, for BPF_KPROBE */
#include <bpf/bpf_tracing.h>

/* The few kernel types used, relocated against the running kernel's BTF (CO-RE). */
struct ns_common {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
	struct ns_common ns;
} __attribute__((preserve_access_index));

typedef struct {
	struct net *net;
} possible_net_t;

struct net_device {
	possible_net_t nd_net;
	int ifindex;
} __attribute__((preserve_access_index));

struct sock_common {
	possible_net_t skc_net;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
} __attribute__((preserve_access_index));

struct sk_buff {
	unsigned int len;
	unsigned int data_len;
	unsigned char *data;
	struct net_device *dev;
	__u8 pkt_type:3;
	__u16 protocol;
} __attribute__((preserve_access_index));

/* Dumps the skb if `netns` (the inode of the namespace it belongs to) is the server's. */
static __always_inline int dump_kernel_skb(void *ctx, struct sk_buff *skb, unsigned int netns)
{
	__u32 zero = 0;
	struct dump_config *cfg = bpf_map_lookup_elem(&config, &zero);
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	struct packet_meta m = {
		.len = BPF_CORE_READ(skb, len),
		/* Only the linear part is at skb->data; the rest (loopback TCP payload, say) is in page frags. */
		.readable = BPF_CORE_READ(skb, len) - BPF_CORE_READ(skb, data_len),
		.pkt_type = BPF_CORE_READ_BITFIELD_PROBED(skb, pkt_type),
		.protocol = BPF_CORE_READ(skb, protocol),
		.ifindex = BPF_CORE_READ(dev, ifindex),
		.kernel_data = BPF_CORE_READ(skb, data),
	};

	if (!cfg || netns != cfg->netns)
		return 0;
	dump_packet(ctx, FROM_KERNEL, &m, 0);
	return 0;
}

SEC("kprobe/tcp_v4_rcv")
int BPF_KPROBE(kprobe_tcp_v4_rcv, struct sk_buff *skb)
{
	return dump_kernel_skb(ctx, skb, BPF_CORE_READ(skb, dev, nd_net.net, ns.inum));
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(tp_tcp_probe, struct sock *sk, struct sk_buff *skb)
{
	/* By now TCP may have reused skb->dev's storage: the socket says which namespace this is. */
	return dump_kernel_skb(ctx, skb, BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum));
}

char LICENSE[] SEC("license") = "GPL";
