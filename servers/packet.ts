// AF_PACKET SOCK_RAW: whole frames, link-layer header included.
import { SOCK_RAW } from './lib/libc.ts';
import { servePacketSocket } from './lib/packet-socket.ts';

servePacketSocket(SOCK_RAW);
