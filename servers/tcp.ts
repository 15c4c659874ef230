// AF_INET (or AF_INET6) SOCK_STREAM: the filter goes on the listening socket after listen(), as in the
// study; accepted sockets inherit it. At the peer's FIN the server detaches before closing, so its own
// close does not add packets to the capture.
import { SOCK_NONBLOCK, SOCK_STREAM, accept, bind, listen, reuseAddress, socket } from './sockets/libc.ts';
import { addressFamily, serveAsProcess, type ServerSetup } from './sockets/session.ts';

export const tcp: ServerSetup = (session) => {
  const { address, port } = session.config;
  const listener = socket(addressFamily(address), SOCK_STREAM | SOCK_NONBLOCK, 0);
  reuseAddress(listener);
  bind(listener, address, port);
  listen(listener);
  session.program.attachSocket(listener);
  session.watch(listener, () => {
    for (let conn = accept(listener); conn !== null; conn = accept(listener)) {
      const fd = conn;
      session.program.adopt(fd);
      session.watch(fd, () => {
        if (!session.drainSocket(fd, 'stream')) return;
        session.program.detachAll();
        session.unwatch(fd);
        session.emit({ type: 'eof' });
      });
    }
  });
};

serveAsProcess(tcp);
