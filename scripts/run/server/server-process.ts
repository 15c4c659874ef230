// Starts a server (servers/<kind>.ts) inside a namespace and follows its JSON-lines messages.
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import { onCleanup } from '../../support/cleanup.ts';
import { EXIT, HarnessError } from '../../support/errors.ts';
import { ROOT, projectScript } from '../../support/paths.ts';
import { serverFailure } from './server-failure.ts';
import type { ServerConfig, ServerMessage } from './ipc.ts';

export interface ServerProcess {
  /** Every message so far, in order. */
  messages: ServerMessage[];
  /** Resolves when a message satisfies the predicate (checked against past messages too). */
  waitFor(what: string, predicate: (all: ServerMessage[]) => boolean, timeoutMs: number): Promise<void>;
  /** Closes stdin (the stop signal) and waits for the final `done`. */
  stop(timeoutMs: number): Promise<Extract<ServerMessage, { type: 'done' }>>;
  /** Kills the server if it still runs (after a failure); harmless after stop(). */
  kill(): Promise<void>;
}

export async function startServer(
  kind: string,
  nsExec: string[],
  config: ServerConfig,
  readyTimeoutMs: number,
): Promise<ServerProcess> {
  const [cmd, ...prefix] = nsExec;
  const child: ResultPromise = execa(
    cmd,
    [...prefix, ...projectScript(`servers/${kind}`), JSON.stringify(config)],
    { cwd: ROOT, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', reject: false, buffer: { stdout: false, stderr: true } },
  );
  const kill = onCleanup(`server ${kind} (pid ${child.pid})`, async () => {
    child.kill('SIGKILL');
    await child;
  });
  const messages: ServerMessage[] = [];
  const waiters = new Set<() => void>();
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    messages.push(JSON.parse(line) as ServerMessage);
    for (const w of waiters) w();
  });
  let exited = false;
  // Exit counts once stdout is fully read too, so a last message is never mistaken for silence.
  const exit = Promise.all([child, once(lines, 'close')]).then(([result]) => {
    exited = true;
    for (const w of waiters) w();
    return result;
  });

  const failure = async (what: string) => {
    const result = await exit;
    const error = messages.find((m): m is Extract<ServerMessage, { type: 'error' }> => m.type === 'error');
    return serverFailure(kind, config.program, what, error, `exit ${result.exitCode ?? result.signal}`, String(result.stderr ?? '').trim());
  };

  const waitFor: ServerProcess['waitFor'] = (what, predicate, timeoutMs) =>
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
    await waitFor(`server ${kind} to attach its filter`, (all) => all.some((m) => m.type === 'ready'), readyTimeoutMs);
  } catch (error) {
    await kill();
    throw error;
  }
  return {
    messages,
    waitFor,
    kill,
    async stop(timeoutMs) {
      child.stdin!.end();
      await waitFor(`server ${kind} to stop`, (all) => all.some((m) => m.type === 'done'), timeoutMs);
      await exit;
      await kill();
      return messages.find((m) => m.type === 'done') as Extract<ServerMessage, { type: 'done' }>;
    },
  };
}
