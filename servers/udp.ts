// AF_INET SOCK_DGRAM bound to the experiment's address and port.
import { AF_INET, AF_INET6, SOCK_DGRAM, SOCK_NONBLOCK, bind, socket } from './lib/libc.ts';
import { serve } from './lib/session.ts';

serve((session) => {
  const { address, port } = session.config;
  const fd = socket(address.includes(':') ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  bind(fd, address, port);
  session.filter.attach(fd);
  session.watch(fd, () => session.drainSocket(fd));
});
