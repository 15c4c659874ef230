// A network namespace per run: created with lo up, deleted on cleanup. Names carry our prefix and PID (owned-names.ts).
import { execa } from 'execa';
import { createUndoable } from '../../support/cleanup.ts';
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

/** Namespaces made together (one `ip` process for all of them, one more per namespace for its setup
 *  lines): what each process costs matters under TCG. `lines` are `ip -n <ns>` commands run after lo is up. */
export async function createNamespaces(wanted: { label: string; lines?: string[] }[]): Promise<Namespace[]> {
  const names = wanted.map((w) => ownedName(w.label));
  // One undo for the set; -force goes on past a namespace that is gone or was never made.
  const del = () => execa('ip', ['-force', '-batch', '-'], { input: names.map((n) => `netns del ${n}`).join('\n'), reject: false });
  const add = async () => {
    const added = await execa('ip', ['-batch', '-'], { input: names.map((n) => `netns add ${n}`).join('\n'), reject: false });
    if (added.exitCode === 0) return names;
    await del();
    throw new HarnessError(EXIT.runFailed, `could not create network namespaces ${names.join(', ')}: ${added.stderr.trim()}`);
  };
  const { remove } = await createUndoable(`network namespace${names.length > 1 ? 's' : ''} ${names.join(', ')}`, add, async () => void (await del()));
  // quickack: no delayed ACKs on loopback. A FIN is otherwise ACKed by a 40 ms timer, which races the server
  // detaching its program: slow machines (a VM under TCG) caught that ACK, fast ones did not.
  const lo = ['link set lo up', ...['127.0.0.0/8', '127.0.0.1'].map((dst) => `route change local ${dst} ${LOOPBACK_ROUTE}`)];
  await Promise.all(names.map((name, i) => ipBatch(name, [...lo, ...(wanted[i].lines ?? [])])));
  return names.map((name) => {
    const path = `/run/netns/${name}`;
    // nsenter, not `ip netns exec`: that also remounts /sys, which would hide cgroup2 and tracefs mounts.
    return { name, path, exec: ['nsenter', `--net=${path}`], remove };
  });
}

export async function createNamespace(label: string): Promise<Namespace> {
  const [ns] = await createNamespaces([{ label }]);
  return ns;
}

/** `ip -n <namespace>` commands, in one process. */
export async function ipBatch(namespace: string, lines: string[]): Promise<void> {
  await execa('ip', ['-n', namespace, '-batch', '-'], { input: lines.join('\n') });
}
