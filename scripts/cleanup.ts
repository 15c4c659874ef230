// Undo actions for everything a run creates, run in reverse order on success, failure, Ctrl-C and SIGTERM.
import { EXIT } from './errors.ts';

type Undo = () => Promise<void> | void;

const stack: { what: string; undo: Undo }[] = [];

/** Registers how to undo something just created; returns a function that undoes it now. */
export function onCleanup(what: string, undo: Undo): () => Promise<void> {
  const entry = { what, undo };
  stack.push(entry);
  return async () => {
    const i = stack.indexOf(entry);
    if (i < 0) return;
    stack.splice(i, 1);
    await entry.undo();
  };
}

/** Runs every pending undo, newest first; a failing undo is reported and the rest still run. */
export async function cleanupAll(): Promise<void> {
  while (stack.length > 0) {
    const { what, undo } = stack.pop()!;
    try {
      await undo();
    } catch (error) {
      process.stderr.write(`cleanup: could not remove ${what}: ${(error as Error).message}\n`);
    }
  }
}

let signalled = false;

/** On SIGINT/SIGTERM: clean up, then exit 130/143. A second signal during cleanup is ignored. */
export function cleanupOnSignals(): void {
  const handler = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    process.stderr.write(`\n${signal}: cleaning up…\n`);
    void cleanupAll().finally(() => process.exit(signal === 'SIGINT' ? EXIT.interrupted : 143));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
