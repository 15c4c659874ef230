// Starts an experiment's server — a worker thread of the harness, or a process where the hook needs one —
// and follows its messages until it stops.
import { onCleanup } from '../../support/cleanup.ts';
import { EXIT, HarnessError } from '../../support/errors.ts';
import { serverFailure } from './server-failure.ts';
import { serverProcess } from './server-process.ts';
import { serverThread } from './server-thread.ts';
import type { ServerConfig, ServerMessage } from './ipc.ts';

export interface Server {
  /** Every message so far, in order. */
  messages: ServerMessage[];
  /** Resolves when a message satisfies the predicate (checked against past messages too). */
  waitFor(what: string, predicate: (all: ServerMessage[]) => boolean, timeoutMs: number): Promise<void>;
  /** Asks the server to stop and waits for its final `done`. */
  stop(timeoutMs: number): Promise<Extract<ServerMessage, { type: 'done' }>>;
  /** Ends the server if it still runs (after a failure); harmless after stop(). */
  kill(): Promise<void>;
}

export async function startServer(
  kind: string,
  /** The namespace the server runs in (/run/netns/…). */
  netnsPath: string,
  config: ServerConfig,
  opts: { ownProcess: boolean; readyTimeoutMs: number },
): Promise<Server> {
  const link = opts.ownProcess ? serverProcess(kind, netnsPath, config) : serverThread(kind, netnsPath, config);
  const kill = onCleanup(link.label, () => link.kill());
  const messages: ServerMessage[] = [];
  const waiters = new Set<() => void>();
  link.onMessage((message) => {
    messages.push(message);
    for (const w of waiters) w();
  });
  let exited = false;
  void link.exited.then(() => {
    exited = true;
    for (const w of waiters) w();
  });

  const failure = async (what: string) => {
    const { how, stderr } = await link.exited;
    const error = messages.find((m): m is Extract<ServerMessage, { type: 'error' }> => m.type === 'error');
    return serverFailure(kind, config.program, what, error, how, stderr);
  };

  const waitFor: Server['waitFor'] = (what, predicate, timeoutMs) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new HarnessError(EXIT.runFailed, `timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        const done = predicate(messages);
        if (!done && !exited) return;
        waiters.delete(check);
        clearTimeout(timer);
        if (done) resolve();
        else failure(`before ${what}`).then(reject, reject);
      };
      waiters.add(check);
      check();
    });

  try {
    await waitFor(`server ${kind} to attach its filter`, (all) => all.some((m) => m.type === 'ready'), opts.readyTimeoutMs);
  } catch (error) {
    await kill();
    throw error;
  }
  return {
    messages,
    waitFor,
    kill,
    async stop(timeoutMs) {
      link.requestStop();
      await waitFor(`server ${kind} to stop`, (all) => all.some((m) => m.type === 'done'), timeoutMs);
      await link.exited;
      await kill();
      return messages.find((m) => m.type === 'done') as Extract<ServerMessage, { type: 'done' }>;
    },
  };
}
