// The addressing plan: where the server listens on each topology (198.18.0.0/15 and fd00::/8 on veth),
// kept apart from the code that builds the namespaces, as reports and imports need it too.

export type TopologyKind = 'loopback' | 'veth';
export type Family = 4 | 6;

const LOOPBACK: Record<Family, string> = { 4: '127.0.0.1', 6: '::1' };

/** The veth pair's two ends, as the reports show them. */
export const VETH = {
  client: { ifname: 'cli0', mac: '02:00:00:00:00:01', ipv4: '198.18.0.1', ipv6: 'fd00::1' },
  server: { ifname: 'srv0', mac: '02:00:00:00:00:02', ipv4: '198.18.0.2', ipv6: 'fd00::2' },
} as const;

/** The server's address on a topology (also for imports, which have no topology of their own). */
export function serverAddress(kind: TopologyKind, family: Family): string {
  if (kind === 'loopback') return LOOPBACK[family];
  return family === 4 ? VETH.server.ipv4 : VETH.server.ipv6;
}
