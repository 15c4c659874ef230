// AF_PACKET SOCK_RAW: whole frames, link-layer header included.
import { SOCK_RAW } from './sockets/libc.ts';
import { servePacketSocket } from './sockets/packet-socket.ts';

servePacketSocket(SOCK_RAW);
