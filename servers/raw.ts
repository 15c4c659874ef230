// AF_INET SOCK_RAW, IPPROTO_TCP (or AF_INET6 with an IPv6 address): every TCP packet the host receives.
import { AF_INET, AF_INET6, IPPROTO_TCP, SOCK_NONBLOCK, SOCK_RAW, socket } from './lib/libc.ts';
import { serve } from './lib/session.ts';

serve((session) => {
  const family = session.config.address.includes(':') ? AF_INET6 : AF_INET;
  const fd = socket(family, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_TCP);
  session.filter.attach(fd);
  session.watch(fd, () => session.drainSocket(fd));
});
