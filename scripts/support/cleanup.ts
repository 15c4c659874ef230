// Undo actions for everything a run creates, run in reverse order on success, failure, Ctrl-C and SIGTERM.
import { EXIT, HarnessError } from './errors.ts';

type Undo = () => Promise<void> | void;

const stack: { what: string; undo: Undo }[] = [];
/** Undos the run itself started (a finally block): an exit must wait for them too, not cut them off. */
const running = new Set<Promise<void>>();

/** Registers how to undo something just created; returns a function that undoes it now. */
export function onCleanup(what: string, undo: Undo): () => Promise<void> {
  const entry = { what, undo };
  stack.push(entry);
  return async () => {
    const i = stack.indexOf(entry);
    if (i < 0) return;
    stack.splice(i, 1);
    const done = Promise.resolve().then(entry.undo);
    running.add(done);
    try {
      await done;
    } finally {
      running.delete(done);
    }
  };
}

/** Creations under way (a mount, namespaces): an exit waits for them, so what they make is undone too. */
const creating = new Set<Promise<unknown>>();

/** Makes something the cleanup must undo, safe against a signal at any moment: an exit waits for `make`
 *  to finish, the undo is registered as soon as it has, and if the cleanup began meanwhile the thing is
 *  undone at once (nothing may then be made under it) and the run is told it was interrupted. */
export function createUndoable<T>(what: string, make: () => Promise<T>, undo: (made: T) => Promise<void> | void): Promise<{ made: T; remove: () => Promise<void> }> {
  const creation = (async () => {
    const made = await make();
    const remove = onCleanup(what, () => undo(made));
    if (exiting) {
      await remove();
      throw new HarnessError(EXIT.interrupted, 'interrupted');
    }
    return { made, remove };
  })();
  creating.add(creation);
  void creation.finally(() => creating.delete(creation)).catch(() => {});
  return creation;
}

/** Runs every pending undo, newest first, then waits for those already under way and for creations in
 *  flight, and undoes what those registered meanwhile; a failing undo is reported and the rest still run. */
export async function cleanupAll(): Promise<void> {
  for (;;) {
    while (stack.length > 0) {
      const { what, undo } = stack.pop()!;
      try {
        await undo();
      } catch (error) {
        process.stderr.write(`cleanup: could not remove ${what}: ${(error as Error).message}\n`);
      }
    }
    await Promise.allSettled([...running, ...creating]);
    if (stack.length === 0) return;
  }
}

let exiting = false;

/** True once a signal or crash has started the exit: long loops should stop starting new work. */
export function interrupted(): boolean {
  return exiting;
}

/** The normal end: clean up and exit with `code`, unless a signal or crash is already doing so. */
export async function exitAfterCleanup(code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  await cleanupAll();
  process.exit(code);
}

function cleanupAndExit(reason: string, code: number): void {
  if (exiting) return;
  exiting = true;
  process.stderr.write(`\n${reason}: cleaning up…\n`);
  void cleanupAll().finally(() => process.exit(code));
}

/** SIGINT/SIGTERM/SIGHUP exit 130/143/129 and a crash exits 1, each after cleaning up. A closed stdout (`| head`)
 *  must not crash a run halfway: further output is dropped instead. */
export function cleanupOnExit(): void {
  process.on('SIGINT', () => cleanupAndExit('SIGINT', EXIT.interrupted));
  process.on('SIGTERM', () => cleanupAndExit('SIGTERM', EXIT.terminated));
  process.on('SIGHUP', () => cleanupAndExit('SIGHUP', EXIT.hangup)); // the terminal closed
  process.on('uncaughtException', (error) => cleanupAndExit(`unexpected failure: ${error.stack}`, EXIT.bug));
  process.on('unhandledRejection', (error) => cleanupAndExit(`unexpected failure: ${String(error)}`, EXIT.bug));
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}
