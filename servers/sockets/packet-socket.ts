// AF_PACKET servers: a packet socket for every protocol (ETH_P_ALL) bound to the server's interface,
// as tcpdump and bcc's attach_raw_socket open it. Each read says its pkt_type (host, outgoing, ...).
import { AF_PACKET, ETH_P_ALL, SOCK_NONBLOCK, bindTo, ifIndex, sockaddrLl, socket } from './libc.ts';
import type { ServerSetup } from './session.ts';

export function packetSocketServer(type: number): ServerSetup {
  return (session) => {
    // The protocol argument is in network byte order: htons(ETH_P_ALL).
    const fd = socket(AF_PACKET, type | SOCK_NONBLOCK, ((ETH_P_ALL & 0xff) << 8) | (ETH_P_ALL >> 8));
    bindTo(fd, sockaddrLl(ETH_P_ALL, ifIndex(session.config.ifname)), `AF_PACKET on ${session.config.ifname}`);
    session.program.attachSocket(fd);
    session.watch(fd, () => session.drainSocket(fd, 'datagram'));
  };
}
