// Stepping a thread into a namespace and back (servers' threads, sysctls, traffic): the work runs in the
// namespace, and the thread is home again afterwards, also when the work throws.
import t from 'tap';
import { readlinkSync, statSync } from 'node:fs';
import { NEEDS_ROOT } from '../helpers.ts';
import { cleanupAll } from '../../scripts/support/cleanup.ts';
import { createNamespace } from '../../scripts/run/topology/netns.ts';
import { inNetworkNamespace } from '../../servers/sockets/libc.ts';

const here = () => readlinkSync('/proc/thread-self/ns/net');

t.test('inNetworkNamespace: in for the work, home afterwards', { skip: NEEDS_ROOT }, async (t) => {
  t.teardown(cleanupAll);
  const ns = await createNamespace('step');
  const home = here();
  const target = `net:[${statSync(ns.path).ino}]`;
  t.not(target, home, 'the namespace is not the thread\'s own');
  t.equal(inNetworkNamespace(ns.path, here), target, 'the work runs in the namespace');
  t.equal(here(), home, 'and the thread is home again');
  t.throws(() => inNetworkNamespace(ns.path, () => { throw new Error('boom'); }), /boom/);
  t.equal(here(), home, 'home again after the work threw');
  t.throws(() => inNetworkNamespace('/run/netns/edl-no-such-namespace', here), /ENOENT/, 'a namespace that is not there is an error');
  t.equal(here(), home);
  await ns.remove();
});
