// AF_PACKET SOCK_DGRAM: frames with the link-layer header removed ("cooked").
import { SOCK_DGRAM } from './lib/libc.ts';
import { servePacketSocket } from './lib/packet-socket.ts';

servePacketSocket(SOCK_DGRAM);
