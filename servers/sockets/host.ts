// Where a server runs, and how it talks to the harness. The same server code runs either
//  - as a process of its own (by hand in a lab, or started by the harness where a hook needs it): the config
//    is its one JSON argument, messages are JSON lines on stdout, and stdin closing means stop; or
//  - as a worker thread inside the harness: the config and the namespace come in workerData, the thread enters
//    that network namespace (namespaces are per thread), messages are posted, and a pipe closing means stop.
import { writeSync } from 'node:fs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { enterNetworkNamespace, pipe } from './libc.ts';
import type { ServerConfig, ServerMessage, ServerThreadData } from '../../scripts/run/server/ipc.ts';

export interface ServerHost {
  config: ServerConfig;
  /** Becomes readable when the harness wants the server to stop; a read of 0 bytes (end of file) means stop. */
  stopFd: number;
}

/** How messages reach the harness: known before anything can fail, so a failure can be reported too. */
export function messageSink(): (message: ServerMessage) => void {
  return isMainThread
    ? (message) => void writeSync(1, JSON.stringify(message) + '\n')
    : (message) => parentPort!.postMessage(message);
}

export function serverHost(emit: (message: ServerMessage) => void): ServerHost {
  if (isMainThread) {
    const argv = process.argv.slice(2);
    if (argv.length !== 1) throw new Error('server: expected one argument, the config as JSON');
    return { config: JSON.parse(argv[0]) as ServerConfig, stopFd: 0 };
  }
  const data = workerData as ServerThreadData;
  enterNetworkNamespace(data.netns);
  // The harness owns the write end from here on, and closes it to stop us; we never touch it again.
  const [readEnd, writeEnd] = pipe();
  emit({ type: 'stop-fd', fd: writeEnd });
  return { config: data.config, stopFd: readEnd };
}
