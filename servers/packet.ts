// AF_PACKET SOCK_RAW: whole frames, link-layer header included.
import { SOCK_RAW } from './sockets/libc.ts';
import { packetSocketServer } from './sockets/packet-socket.ts';
import { serveAsProcess } from './sockets/session.ts';

export const packet = packetSocketServer(SOCK_RAW);

serveAsProcess(packet);
