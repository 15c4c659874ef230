// cgroup_skb programs (BPF_PROG_TYPE_CGROUP_SKB) on the server's cgroup: packets of the sockets created
// in it, from the network header; they must return 0 (drop) or 1 (allow).
import { ALWAYS_THERE, EGRESS_PKT_TYPE, defineHook, type AttachContext, type HookDefinition } from './hook.ts';

function attachToCgroup(ctx: AttachContext) {
  if (!ctx.cgroup) throw new Error('server: a cgroup hook needs config.cgroup');
  return ctx.attachCgroup(ctx.cgroup);
}

const cgroupSkb = {
  attachesTo: 'cgroup',
  ownProcess: true,
  viewStartsAt: 'network',
  keepGoing: '1 (allow)',
  returnName: (value: number) => (value === 0 ? '0 (drop)' : value === 1 ? '1 (allow)' : String(value)),
  returnEffect: (value: number) => (value === 1 ? 'keep-going' : value === 0 ? 'drop' : 'other'),
  probe: ALWAYS_THERE,
  attach: attachToCgroup,
} as const satisfies Partial<HookDefinition>;

export const CGROUP_INGRESS = defineHook({
  ...cgroupSkb,
  name: 'cgroup-ingress',
  programText: 'cgroup_skb ingress program',
  sees: 'ingress',
});

export const CGROUP_EGRESS = defineHook({
  ...cgroupSkb,
  name: 'cgroup-egress',
  programText: 'cgroup_skb egress program',
  sees: 'egress',
  pktTypeNotMeaningful: EGRESS_PKT_TYPE,
});
