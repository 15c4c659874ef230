// A server as a process of its own (servers/<kind>.ts inside the namespace through nsenter): the config is
// its one argument, its messages are JSON lines on stdout, and closing its stdin asks it to stop.
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import { ROOT, projectScript } from '../../support/paths.ts';
import type { ServerConfig, ServerMessage } from './ipc.ts';
import type { ServerLink } from './server-link.ts';

export function serverProcess(kind: string, nsExec: string[], config: ServerConfig): ServerLink {
  const [cmd, ...prefix] = nsExec;
  const child: ResultPromise = execa(cmd, [...prefix, ...projectScript(`servers/${kind}`), JSON.stringify(config)], {
    cwd: ROOT,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    reject: false,
    buffer: { stdout: false, stderr: true },
  });
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
