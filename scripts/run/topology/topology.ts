// Where an experiment's hosts live: one namespace on loopback, or a client and a server namespace joined
// by a veth pair (addresses from vocabulary/addresses.ts, fixed MACs, static neighbours: no ARP/ND noise).
import { execa } from 'execa';
import { createNamespace, type Namespace } from './netns.ts';
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
  const server = await createNamespace(label);
  if (kind === 'loopback') {
    return { kind, server, client: server, serverAddress: serverAddress(kind, family), serverIfname: 'lo', remove: server.remove };
  }
  let client: Namespace | null = null;
  try {
    client = await createNamespace(`${label}-c`);
    await joinByVeth(server, client, family);
  } catch (error) {
    await client?.remove();
    await server.remove();
    throw error;
  }
  const peer = client;
  return {
    kind,
    server,
    client: peer,
    serverAddress: serverAddress(kind, family),
    serverIfname: VETH.server.ifname,
    remove: async () => {
      await peer.remove();
      await server.remove();
    },
  };
}

async function joinByVeth(server: Namespace, client: Namespace, family: Family): Promise<void> {
  const ip = (ns: Namespace, ...args: string[]) => execa('ip', ['-n', ns.name, ...args]);
  const { client: c, server: s } = VETH;
  await ip(server, 'link', 'add', s.ifname, 'address', s.mac, 'type', 'veth', 'peer', 'name', c.ifname, 'address', c.mac, 'netns', client.name);
  for (const [ns, me, other] of [
    [server, s, c],
    [client, c, s],
  ] as const) {
    // IPv4 experiments switch IPv6 off, IPv6 ones stop autoconfiguration: no router or neighbour solicitations.
    if (family === 4) await execa(...sysctl(ns, `net.ipv6.conf.${me.ifname}.disable_ipv6=1`));
    else await ip(ns, 'link', 'set', me.ifname, 'addrgenmode', 'none');
    await ip(ns, 'addr', 'add', `${me.ipv4}/24`, 'dev', me.ifname);
    await ip(ns, 'neigh', 'add', other.ipv4, 'lladdr', other.mac, 'dev', me.ifname, 'nud', 'permanent');
    if (family === 6) {
      await ip(ns, 'addr', 'add', `${me.ipv6}/64`, 'dev', me.ifname, 'nodad');
      await ip(ns, 'neigh', 'add', other.ipv6, 'lladdr', other.mac, 'dev', me.ifname, 'nud', 'permanent');
    }
    await ip(ns, 'link', 'set', me.ifname, 'up');
    // quickack on the connected routes, as on loopback (netns.ts): every ACK leaves at once, on any machine.
    await ip(ns, 'route', 'change', '198.18.0.0/24', 'dev', me.ifname, 'proto', 'kernel', 'scope', 'link', 'src', me.ipv4, 'quickack', '1');
    if (family === 6) await ip(ns, '-6', 'route', 'change', 'fd00::/64', 'dev', me.ifname, 'proto', 'kernel', 'metric', '256', 'quickack', '1');
  }
}

function sysctl(ns: Namespace, setting: string): [string, string[]] {
  const [cmd, ...prefix] = ns.exec;
  return [cmd, [...prefix, 'sysctl', '-q', '-w', setting]];
}
