// What the harness needs of a running server, whether it is a process of its own or a worker thread.
import type { ServerMessage } from './ipc.ts';

export interface ServerLink {
  /** "server tcp (pid 1234)", "server tcp (thread 3)": for messages and the cleanup list. */
  label: string;
  /** Called with each message, in the order the server sent them. */
  onMessage(listener: (message: ServerMessage) => void): void;
  /** Settles once the server is gone and every message it sent has arrived: how it ended, and what it
   *  wrote to stderr (or threw) besides its messages. */
  exited: Promise<{ how: string; stderr: string }>;
  /** Asks the server to stop: it drains its sockets, detaches, reports `done` and exits. */
  requestStop(): void;
  /** Ends it now (after a failure); harmless once it has exited. */
  kill(): Promise<void>;
}
