// A server as a worker thread of the harness: no process to start (a node start costs seconds under TCG).
// The thread enters the experiment's network namespace (namespaces are per thread), creates its sockets
// there, posts its messages, and stops when the harness closes the write end of its stop pipe.
import { closeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { projectWorker } from '../../support/paths.ts';
import type { ServerConfig, ServerMessage, ServerThreadData } from './ipc.ts';
import type { ServerLink } from './server-link.ts';

export function serverThread(kind: string, netnsPath: string, config: ServerConfig): ServerLink {
  const workerData: ServerThreadData = { config, netns: netnsPath };
  const { file, evaluate } = projectWorker(`servers/${kind}`);
  const worker = new Worker(file, { eval: evaluate, workerData });
  const listeners: ((message: ServerMessage) => void)[] = [];
  let stopFd: number | null = null;
  let stopRequested = false;
  // The stop pipe's write end is ours once the server posted it: closed exactly once, here.
  const closeStop = () => {
    if (stopFd === null) return;
    const fd = stopFd;
    stopFd = null;
    closeSync(fd);
  };
  worker.on('message', (message: ServerMessage) => {
    if (message.type !== 'stop-fd') {
      for (const listener of listeners) listener(message);
      return;
    }
    stopFd = message.fd;
    if (stopRequested) closeStop();
  });
  let thrown = '';
  worker.on('error', (error) => {
    thrown = error.stack ?? String(error);
  });
  // Node delivers a worker's messages before its 'exit' event.
  const exited = new Promise<{ how: string; stderr: string }>((resolve) =>
    worker.once('exit', (code) => {
      closeStop();
      resolve({ how: `exit ${code}`, stderr: thrown });
    }),
  );
  const requestStop = () => {
    stopRequested = true;
    closeStop();
  };
  return {
    label: `server ${kind} (thread ${worker.threadId})`,
    onMessage: (listener) => void listeners.push(listener),
    exited,
    requestStop,
    async kill() {
      // Closing the pipe wakes its poll(); terminate() then takes effect as soon as JavaScript runs again.
      requestStop();
      await worker.terminate();
      await exited;
    },
  };
}
