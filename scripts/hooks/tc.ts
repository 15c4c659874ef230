// tc clsact classifiers (BPF_PROG_TYPE_SCHED_CLS, direct action) on the server's interface: ingress sees
// frames arriving after XDP, egress frames leaving with their Ethernet header built; both from that header.
import { ALWAYS_THERE, EGRESS_PKT_TYPE, defineHook, type HookDefinition } from './hook.ts';

/** TC_ACT_* (include/uapi/linux/pkt_cls.h), from TC_ACT_UNSPEC (-1). */
const TC_ACTIONS = ['TC_ACT_UNSPEC', 'TC_ACT_OK', 'TC_ACT_RECLASSIFY', 'TC_ACT_SHOT', 'TC_ACT_PIPE', 'TC_ACT_STOLEN', 'TC_ACT_QUEUED', 'TC_ACT_REPEAT', 'TC_ACT_REDIRECT'];

const classifier = {
  attachesTo: 'interface',
  viewStartsAt: 'link',
  keepGoing: 'TC_ACT_OK',
  returnName: (value: number) => TC_ACTIONS[value + 1] ?? String(value),
  returnEffect: (value: number) => (value === 0 ? 'keep-going' : value === 2 ? 'drop' : 'other'),
  probe: ALWAYS_THERE,
} as const satisfies Partial<HookDefinition>;

export const TC_INGRESS = defineHook({
  ...classifier,
  name: 'tc-ingress',
  programText: 'tc ingress classifier',
  sees: 'ingress',
  attach: (ctx) => ctx.attachTc(ctx.ifindex(), 'ingress'),
});

export const TC_EGRESS = defineHook({
  ...classifier,
  name: 'tc-egress',
  programText: 'tc egress classifier',
  sees: 'egress',
  pktTypeNotMeaningful: EGRESS_PKT_TYPE,
  attach: (ctx) => ctx.attachTc(ctx.ifindex(), 'egress'),
});
