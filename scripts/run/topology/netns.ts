// A network namespace per run: created with lo up, deleted on cleanup. Names carry our prefix and PID (owned-names.ts).
import { execa } from 'execa';
import { onCleanup } from '../../support/cleanup.ts';
import { HarnessError, EXIT } from '../../support/errors.ts';
import { ownedName } from '../../support/owned-names.ts';

export interface Namespace {
  name: string;
  /** Its file under /run/netns: a server thread enters the namespace through it. */
  path: string;
  /** argv prefix that runs a command inside the namespace. */
  exec: string[];
  remove: () => Promise<void>;
}

/** The kernel's own loopback routes (local table), with the quickack metric added. */
const LOOPBACK_ROUTE = 'dev lo table local proto kernel scope host src 127.0.0.1 quickack 1';

export async function createNamespace(label: string): Promise<Namespace> {
  const name = ownedName(label);
  const added = await execa('ip', ['netns', 'add', name], { reject: false });
  if (added.exitCode !== 0) {
    throw new HarnessError(EXIT.runFailed, `could not create network namespace ${name}: ${added.stderr.trim()}`);
  }
  const remove = onCleanup(`network namespace ${name}`, async () => {
    await execa('ip', ['netns', 'del', name]);
  });
  // quickack: no delayed ACKs on loopback. A FIN is otherwise ACKed by a 40 ms timer, which races the server
  // detaching its program: slow machines (a VM under TCG) caught that ACK, fast ones did not.
  const lo = ['link set lo up', ...['127.0.0.0/8', '127.0.0.1'].map((dst) => `route change local ${dst} ${LOOPBACK_ROUTE}`)];
  await execa('ip', ['-n', name, '-batch', '-'], { input: lo.join('\n') });
  // nsenter, not `ip netns exec`: that also remounts /sys, which would hide cgroup2 and tracefs mounts.
  const path = `/run/netns/${name}`;
  return { name, path, exec: ['nsenter', `--net=${path}`], remove };
}
