// Where offset 0 of a program's view is, as layers a packet there can start with: from where the hook puts
// it, and for a socket filter from the kind of socket (where its receive path has skb->data when the
// filter runs). Import's --as check uses it; test/unit/hooks/hooks.test.ts holds it against the committed results.
import type { Family } from '../vocabulary/addresses.ts';
import type { LayerName, Transport } from '../vocabulary/layers.ts';
import type { HookDefinition } from './hook.ts';

export type SocketKind = 'raw' | 'tcp' | 'udp' | 'packet' | 'packet-dgram';

export interface ViewContext {
  socket: SocketKind;
  family: Family;
  transport: Transport;
}

const SOCKET_VIEW: Record<SocketKind, (c: ViewContext) => LayerName[]> = {
  raw: (c) => (c.family === 4 ? ['ipv4'] : [c.transport]), // an IPv6 raw socket's view starts past the IPv6 header
  tcp: (c) => [c.transport],
  udp: (c) => [c.transport],
  packet: () => ['ethernet'],
  'packet-dgram': () => ['ipv4', 'ipv6'],
};

const VIEW_STARTS: Record<HookDefinition['viewStartsAt'], (c: ViewContext) => LayerName[]> = {
  link: () => ['ethernet'],
  network: (c) => [c.family === 4 ? 'ipv4' : 'ipv6'],
  socket: (c) => SOCKET_VIEW[c.socket](c),
  function: (c) => [c.transport], // the traced TCP functions have skb->data at the TCP header
};

/** The layers a packet in this program's view can start with. */
export function viewStartLayers(hook: HookDefinition, context: ViewContext): LayerName[] {
  return VIEW_STARTS[hook.viewStartsAt](context);
}
