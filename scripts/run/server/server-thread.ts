// Servers as worker threads of the harness: no process to start per experiment (a node start costs seconds
// under TCG). A pool of threads, each running servers/threads.ts, serves one experiment after another: the
// thread enters the experiment's network namespace (namespaces are per thread), creates its sockets there,
// posts its messages, and stops when the harness closes the write end of its stop pipe.
import { closeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { onCleanup } from '../../support/cleanup.ts';
import { projectWorker } from '../../support/paths.ts';
import type { ServerConfig, ServerMessage, ServerThreadJob } from './ipc.ts';
import type { ServerLink } from './server-link.ts';

/** How long a thread may take to end an experiment after being told to stop, before it is terminated. */
const END_GRACE_MS = 2_000;

const idle: Worker[] = [];
let cleanupRegistered = false;
const everyWorker = new Set<Worker>();

function takeWorker(): Worker {
  return idle.pop() ?? newWorker();
}

function newWorker(): Worker {
  const { file, evaluate } = projectWorker('servers/threads');
  const worker = new Worker(file, { eval: evaluate });
  everyWorker.add(worker);
  worker.once('exit', () => {
    everyWorker.delete(worker);
    const at = idle.indexOf(worker);
    if (at >= 0) idle.splice(at, 1);
  });
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    onCleanup('server threads', async () => {
      await Promise.all([...everyWorker].map((w) => w.terminate()));
    });
  }
  return worker;
}

/** Starts `count` threads now, so their start-up overlaps the run's own. */
export function prewarmServerThreads(count: number): void {
  for (let i = idle.length; i < count; i++) release(newWorker());
}

/** An idle thread does not keep the harness alive. */
function release(worker: Worker): void {
  worker.unref();
  if (everyWorker.has(worker)) idle.push(worker);
}

export function serverThread(kind: string, netnsPath: string, config: ServerConfig): ServerLink {
  const worker = takeWorker();
  worker.ref();
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
  let settle: (end: { how: string; stderr: string }) => void = () => {};
  const exited = new Promise<{ how: string; stderr: string }>((resolve) => (settle = resolve));
  const finish = (end: { how: string; stderr: string }, reusable: boolean) => {
    worker.off('message', onMessage);
    worker.off('error', onError);
    worker.off('exit', onExit);
    closeStop();
    if (reusable) release(worker);
    settle(end);
  };
  const onMessage = (message: ServerMessage) => {
    if (message.type === 'stop-fd') {
      stopFd = message.fd;
      if (stopRequested) closeStop();
    } else if (message.type === 'ended') {
      finish({ how: message.ok ? 'ended' : 'ended after an error', stderr: '' }, true);
    } else {
      for (const listener of listeners) listener(message);
    }
  };
  let thrown = '';
  const onError = (error: Error) => {
    thrown = error.stack ?? String(error);
  };
  const onExit = (code: number) => finish({ how: `thread exit ${code}`, stderr: thrown }, false);
  worker.on('message', onMessage);
  worker.on('error', onError);
  worker.on('exit', onExit);
  const job: ServerThreadJob = { kind, config, netns: netnsPath };
  worker.postMessage(job);
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
      // Closing the pipe wakes the server's poll(): it detaches, closes and ends. A thread that does not
      // (stuck in a long verifier run) is terminated and not reused.
      requestStop();
      const timer = setTimeout(() => void worker.terminate(), END_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
