// A server in one of the harness's server threads (servers/threads.ts), one experiment after another (a
// server process is session.ts's serveAsProcess()): the thread enters the experiment's network namespace
// (namespaces are per thread), messages are posted, a pipe closing means stop, and the thread leaves the
// namespace again when the experiment ends.
import { close, inNetworkNamespace, pipe } from './libc.ts';
import { errorMessage, serveOnce, type ServerSetup } from './session.ts';
import { atStage } from '../load-attach/stage.ts';
import type { ServerMessage, ServerThreadJob } from '../../scripts/run/server/ipc.ts';

/** One experiment in a server thread; ends with an `ended` message whatever happens. */
export function serveInThread(job: ServerThreadJob, setup: ServerSetup | undefined, emit: (message: ServerMessage) => void): void {
  let stopRead: number | null = null;
  let ok = false;
  try {
    if (!setup) throw new Error(`server: no server of kind "${job.kind}"`);
    const [readEnd, writeEnd] = atStage('config', () => pipe());
    stopRead = readEnd;
    // The harness owns the write end from here on, and closes it to stop us; we never touch it again.
    emit({ type: 'stop-fd', fd: writeEnd });
    // Back out afterwards: holding on to the namespace would keep it (and its interfaces) alive after the
    // harness deletes it.
    ok = atStage('config', () => inNetworkNamespace(job.netns, () => serveOnce({ config: job.config, stopFd: readEnd }, emit, setup)));
  } catch (error) {
    emit(errorMessage(error));
  } finally {
    if (stopRead !== null) close(stopRead);
    emit({ type: 'ended', ok });
  }
}
