// Socket filters (BPF_PROG_TYPE_SOCKET_FILTER, attached with SO_ATTACH_BPF): the program runs on what one
// socket's receive path passes, from wherever that path has skb->data, and its return value is how many
// bytes of the packet this socket keeps (0 drops it for this socket only).
import { ALWAYS_THERE, defineHook } from './hook.ts';

export const SOCKET = defineHook({
  name: 'socket',
  programText: 'socket filter',
  attachesTo: 'socket',
  viewStartsAt: 'socket',
  sees: 'socket',
  keepGoing: 'skb->len',
  returnName: (value) => String(value),
  // sk_filter_trim_cap(): 0 drops, a smaller length trims (never below the protocol's cap), skb->len keeps.
  returnEffect: (value) => (value === 0 ? 'drop' : 'trim'),
  probe: ALWAYS_THERE,
  // The server attaches to each socket it opens (accepted sockets inherit the listener's filter).
  attach: () => null,
});
