// AF_PACKET SOCK_DGRAM: frames with the link-layer header removed ("cooked").
import { SOCK_DGRAM } from './sockets/libc.ts';
import { servePacketSocket } from './sockets/packet-socket.ts';

servePacketSocket(SOCK_DGRAM);
