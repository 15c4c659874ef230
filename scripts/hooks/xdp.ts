// XDP (BPF_PROG_TYPE_XDP) on the server's interface: every frame arriving there, from the Ethernet header,
// before the stack has classified it (no pkt_type yet).
import { ALWAYS_THERE, defineHook } from './hook.ts';

/** enum xdp_action (include/uapi/linux/bpf.h). */
const XDP_ACTIONS = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

export const XDP = defineHook({
  name: 'xdp',
  programText: 'XDP program',
  attachesTo: 'interface',
  viewStartsAt: 'link',
  sees: 'ingress',
  pktTypeNotMeaningful: 'XDP runs before the stack sets pkt_type',
  keepGoing: 'XDP_PASS',
  returnName: (value) => XDP_ACTIONS[value] ?? String(value),
  returnEffect: (value) => (value === 2 ? 'keep-going' : value === 0 || value === 1 ? 'drop' : 'other'),
  probe: ALWAYS_THERE,
  attach: (ctx) => ctx.attachXdp(ctx.ifindex()),
});
