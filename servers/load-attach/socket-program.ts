// What a server does with the program it was given, whatever its kind: an eBPF object (capture-program.ts)
// or a classic BPF filter (classic-filter.ts).
import type { ServerMessage } from '../../scripts/run/server/ipc.ts';

export interface SocketProgram {
  /** The fd that becomes readable when records wait (null where the program sends none). */
  readonly readyFd: number | null;
  /** Attaches to a socket where the hook is the socket itself. */
  attachSocket(socketFd: number): void;
  /** A socket that inherited the filter (accept() copies the listener's), so detaching covers it. */
  adopt(socketFd: number): void;
  detachAll(): void;
  drain(): void;
  /** After detaching: the program's counters, and what it kept. */
  report(): Extract<ServerMessage, { type: 'done' }>;
  close(): void;
}
