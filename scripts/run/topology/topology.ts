// Where an experiment's hosts live: one namespace on loopback, or a client and a server namespace joined
// by a veth pair (addresses from vocabulary/addresses.ts, fixed MACs, static neighbours: no ARP/ND noise).
import { createNamespace, createNamespaces, ipBatch, type Namespace } from './netns.ts';
import { sysctlIn } from './sysctl.ts';
import { ownedName } from '../../support/owned-names.ts';
import { VETH, serverAddress, type Family, type TopologyKind } from '../../vocabulary/addresses.ts';

export interface Topology {
  kind: TopologyKind;
  server: Namespace;
  client: Namespace;
  /** The address the server binds to and the client sends to. */
  serverAddress: string;
  /** The server-side interface that hooks (XDP, tc) attach to. */
  serverIfname: string;
  remove(): Promise<void>;
}

export async function createTopology(kind: TopologyKind, label: string, family: Family): Promise<Topology> {
  if (kind === 'loopback') {
    const server = await createNamespace(label);
    return { kind, server, client: server, serverAddress: serverAddress(kind, family), serverIfname: 'lo', remove: server.remove };
  }
  const { client: c, server: s } = VETH;
  const clientLabel = `${label}-c`;
  const veth = `link add ${s.ifname} address ${s.mac} type veth peer name ${c.ifname} address ${c.mac} netns ${ownedName(clientLabel)}`;
  const [server, client] = await createNamespaces([{ label, lines: [veth] }, { label: clientLabel }]);
  try {
    await configureVeth(server, client, family);
  } catch (error) {
    await server.remove();
    throw error;
  }
  return {
    kind,
    server,
    client,
    serverAddress: serverAddress(kind, family),
    serverIfname: s.ifname,
    remove: server.remove, // one undo removes both namespaces (and the veth pair with them)
  };
}

/** Each end: addresses, a permanent neighbour, up, quickack routes: one `ip` process per namespace. */
async function configureVeth(server: Namespace, client: Namespace, family: Family): Promise<void> {
  const { client: c, server: s } = VETH;
  await Promise.all(
    ([
      [server, s, c],
      [client, c, s],
    ] as const).map(([ns, me, other]) => {
      // IPv4 experiments switch IPv6 off, IPv6 ones stop autoconfiguration: no router or neighbour solicitations.
      if (family === 4) sysctlIn(ns.path, `net.ipv6.conf.${me.ifname}.disable_ipv6`, '1');
      const lines = [
        ...(family === 6 ? [`link set ${me.ifname} addrgenmode none`] : []),
        `addr add ${me.ipv4}/24 dev ${me.ifname}`,
        `neigh add ${other.ipv4} lladdr ${other.mac} dev ${me.ifname} nud permanent`,
        ...(family === 6
          ? [`addr add ${me.ipv6}/64 dev ${me.ifname} nodad`, `neigh add ${other.ipv6} lladdr ${other.mac} dev ${me.ifname} nud permanent`]
          : []),
        `link set ${me.ifname} up`,
        // quickack on the connected routes, as on loopback (netns.ts): every ACK leaves at once, on any machine.
        `route change 198.18.0.0/24 dev ${me.ifname} proto kernel scope link src ${me.ipv4} quickack 1`,
        ...(family === 6 ? [`route change fd00::/64 dev ${me.ifname} proto kernel metric 256 quickack 1`] : []),
      ];
      return ipBatch(ns.name, lines);
    }),
  );
}
