// AF_INET (or AF_INET6) SOCK_DGRAM bound to the experiment's address and port.
import { SOCK_DGRAM, SOCK_NONBLOCK, bind, socket } from './sockets/libc.ts';
import { addressFamily, serveAsProcess, type ServerSetup } from './sockets/session.ts';

export const udp: ServerSetup = (session) => {
  const { address, port } = session.config;
  const fd = socket(addressFamily(address), SOCK_DGRAM | SOCK_NONBLOCK, 0);
  bind(fd, address, port);
  session.program.attachSocket(fd);
  session.watch(fd, () => session.drainSocket(fd, 'datagram'));
};

serveAsProcess(udp);
