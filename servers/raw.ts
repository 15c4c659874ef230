// AF_INET (or AF_INET6) SOCK_RAW for the experiment's IP protocol: every such packet the host receives.
import { SOCK_NONBLOCK, SOCK_RAW, socket } from './sockets/libc.ts';
import { addressFamily, serveAsProcess, type ServerSetup } from './sockets/session.ts';

export const raw: ServerSetup = (session) => {
  const fd = socket(addressFamily(session.config.address), SOCK_RAW | SOCK_NONBLOCK, session.config.protocol);
  session.program.attachSocket(fd);
  session.watch(fd, () => session.drainSocket(fd, 'datagram'));
};

serveAsProcess(raw);
