// The registry: every hook the harness knows, one module per hook kind. Adding a hook is a module in this
// folder and one line here (docs/ARCHITECTURE.md says what else: experiment entries and tests).
import { CGROUP_EGRESS, CGROUP_INGRESS } from './cgroup-skb.ts';
import { KPROBE } from './kprobe.ts';
import { SOCKET } from './socket.ts';
import { TC_EGRESS, TC_INGRESS } from './tc.ts';
import { TRACEPOINT } from './tracepoint.ts';
import { XDP } from './xdp.ts';
import type { HookDefinition } from './hook.ts';

export const HOOKS = [SOCKET, XDP, TC_INGRESS, TC_EGRESS, CGROUP_INGRESS, CGROUP_EGRESS, KPROBE, TRACEPOINT] as const;

/** Where a program is attached: "socket", "xdp", "tc-ingress", … */
export type HookName = (typeof HOOKS)[number]['name'];

const BY_NAME = new Map<string, HookDefinition>(HOOKS.map((h) => [h.name, h]));

/** The hook of a name; a name from outside the type system (a summary.json, a config) that no module
 *  defines is an error naming the known ones. */
export function hookNamed(name: HookName): HookDefinition {
  const hook = BY_NAME.get(name);
  if (!hook) throw new Error(`unknown hook "${name}" (known: ${[...BY_NAME.keys()].join(', ')})`);
  return hook;
}
