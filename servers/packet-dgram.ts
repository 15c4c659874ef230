// AF_PACKET SOCK_DGRAM: frames with the link-layer header removed ("cooked").
import { SOCK_DGRAM } from './sockets/libc.ts';
import { packetSocketServer } from './sockets/packet-socket.ts';
import { serveAsProcess } from './sockets/session.ts';

export const packetDgram = packetSocketServer(SOCK_DGRAM);

serveAsProcess(packetDgram);
