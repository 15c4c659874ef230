// A server as a process of its own (servers/<kind>.ts, started from inside the namespace): the config is
// its one argument, its messages are JSON lines on stdout, and closing its stdin asks it to stop.
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import { inNetworkNamespace } from '../../../servers/sockets/libc.ts';
import { ROOT, projectScript } from '../../support/paths.ts';
import type { ServerConfig, ServerMessage } from './ipc.ts';
import type { ServerLink } from './server-link.ts';

export function serverProcess(kind: string, netnsPath: string, config: ServerConfig): ServerLink {
  const [node, ...args] = projectScript(`servers/${kind}`);
  // A child starts in the namespace of the thread that creates it: no nsenter process.
  const child: ResultPromise = inNetworkNamespace(netnsPath, () =>
    execa(node, [...args, JSON.stringify(config)], {
      cwd: ROOT,
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      reject: false,
      buffer: { stdout: false, stderr: true },
    }),
  );
  const listeners: ((message: ServerMessage) => void)[] = [];
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    const message = JSON.parse(line) as ServerMessage;
    for (const listener of listeners) listener(message);
  });
  // Exit counts once stdout is fully read too, so a last message is never mistaken for silence.
  const exited = Promise.all([child, once(lines, 'close')]).then(([result]) => ({
    how: `exit ${result.exitCode ?? result.signal}`,
    stderr: String(result.stderr ?? '').trim(),
  }));
  return {
    label: `server ${kind} (pid ${child.pid})`,
    onMessage: (listener) => void listeners.push(listener),
    exited,
    requestStop: () => void child.stdin!.end(),
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
