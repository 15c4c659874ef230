// The loop every server runs: watch sockets, stream messages to the harness, stop cleanly when the harness
// says so (stdin for a server process, a pipe for a server thread: thread-host.ts).
import { writeFileSync, writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { join } from 'node:path';
import { openProgram } from '../load-attach/open-program.ts';
import type { SocketProgram } from '../load-attach/socket-program.ts';
import { StageError, atStage } from '../load-attach/stage.ts';
import { AF_INET, AF_INET6, AF_PACKET, SOCK_NONBLOCK, SOCK_RAW, close, pollReadable, read, recvfrom, socket } from './libc.ts';
import type { ServerConfig, ServerMessage } from '../../scripts/run/server/ipc.ts';

const RECV_BUFFER = 65536;

/** What a server is given: its config, and the fd that becomes readable when the harness wants it to stop
 *  (a read of 0 bytes, end of file, means stop): stdin for a process, a pipe for a thread. */
export interface ServerHost {
  config: ServerConfig;
  stopFd: number;
}

export function addressFamily(address: string): number {
  return address.includes(':') ? AF_INET6 : AF_INET;
}

/** Called when a watched socket is readable (or, at stop, once more to drain it). */
type OnReadable = () => void;

export class Session {
  readonly program: SocketProgram;
  private readonly watched = new Map<number, OnReadable>();
  private readonly buf = Buffer.alloc(RECV_BUFFER);

  readonly config: ServerConfig;
  private readonly stopFd: number;
  private stopped = false;

  constructor(
    host: ServerHost,
    readonly emit: (message: ServerMessage) => void,
  ) {
    const { config } = host;
    this.config = config;
    this.stopFd = host.stopFd;
    // cgroup_skb applies to sockets by the cgroup they were created in: join before opening any (this moves
    // the whole process, which is why hooks that attach to a cgroup get a server process of their own).
    if (config.cgroup) writeFileSync(join(config.cgroup, 'cgroup.procs'), String(process.pid));
    this.program = openProgram(config, emit);
    if (config.observer) {
      let fd: number;
      try {
        fd = socket(addressFamily(config.address), SOCK_RAW | SOCK_NONBLOCK, config.protocol);
      } catch (error) {
        this.abort(); // a server thread lives on: the program must not stay loaded and attached
        throw error;
      }
      this.watch(fd, () => this.drainSocket(fd, 'datagram', 'observer'));
    }
  }

  watch(fd: number, onReadable: OnReadable): void {
    this.watched.set(fd, onReadable);
  }

  unwatch(fd: number): void {
    this.watched.delete(fd);
    close(fd);
  }

  /** Reads everything queued on a socket, reporting each read; returns true at a stream's end. A zero-byte
   *  read ends a stream but is a datagram of its own (a filter can trim a UDP datagram to nothing). */
  drainSocket(fd: number, kind: 'stream' | 'datagram', socketName: 'server' | 'observer' = 'server'): boolean {
    for (;;) {
      const received = recvfrom(fd, this.buf);
      if (received === null) return false;
      if (kind === 'stream' && received.bytes.length === 0) return true;
      const hex = Buffer.from(received.bytes).toString('hex');
      // struct sockaddr_ll: family (2), protocol (2), ifindex (4), hatype (2), pkttype (1)
      const pktType = received.from.length >= 11 && received.from.readUInt16LE(0) === AF_PACKET ? received.from[10] : undefined;
      this.emit({ type: 'read', socket: socketName, hex, ...(pktType === undefined ? {} : { pktType }) });
    }
  }

  /** Says the program is attached, then serves until the harness says stop. */
  run(): void {
    this.emit({ type: 'ready' });
    const ringFd = this.program.readyFd;
    while (!this.stopped) {
      const fds = [this.stopFd, ...(ringFd === null ? [] : [ringFd]), ...this.watched.keys()];
      for (const fd of pollReadable(fds, -1)) {
        if (fd === this.stopFd) {
          if (read(this.stopFd, this.buf) === 0) this.stop();
        } else if (fd === ringFd) this.program.drain();
        else this.watched.get(fd)?.();
        if (this.stopped) break;
      }
    }
  }

  /** Final drain: queued reads first, then detach (no more records can appear), then the ring buffer. */
  private stop(): void {
    for (const onReadable of [...this.watched.values()]) onReadable();
    this.program.detachAll();
    this.program.drain();
    this.emit(this.program.report());
    this.close();
  }

  /** After a failure: leave nothing attached or open (a server thread goes on to the next experiment). */
  abort(): void {
    try {
      this.program.detachAll();
    } finally {
      this.close();
    }
  }

  private close(): void {
    for (const fd of [...this.watched.keys()]) this.unwatch(fd);
    this.program.close();
    this.stopped = true;
  }
}

/** The code of one kind of server: opens its sockets, attaches the program to them, watches them. */
export type ServerSetup = (session: Session) => void;

/** Serves one experiment to its end; a failure becomes one error message. Returns whether it succeeded. */
export function serveOnce(host: ServerHost, emit: (message: ServerMessage) => void, setup: ServerSetup): boolean {
  let session: Session | null = null;
  try {
    session = atStage('socket', () => new Session(host, emit));
    const opened = session;
    atStage('socket', () => setup(opened));
    atStage('serve', () => opened.run());
    return true;
  } catch (error) {
    session?.abort();
    emit(errorMessage(error));
    return false;
  }
}

export function errorMessage(error: unknown): Extract<ServerMessage, { type: 'error' }> {
  const failure = error instanceof StageError ? error : new StageError('serve', error);
  const { stage, call, errno, verifier, message } = failure;
  return {
    type: 'error',
    stage,
    ...(call === undefined ? {} : { call }),
    ...(errno === undefined ? {} : { errno }),
    message,
    ...(verifier === undefined ? {} : { verifier }),
  };
}

/** A server run as a process of its own (by hand, or for hooks that need one): the config is its one JSON
 *  argument, messages go to stdout as JSON lines, and stdin closing means stop. Does nothing in a thread
 *  (the harness's server threads import every kind: servers/threads.ts). */
export function serveAsProcess(setup: ServerSetup): void {
  if (!isMainThread) return;
  const emit = (message: ServerMessage) => void writeSync(1, JSON.stringify(message) + '\n');
  let host: ServerHost;
  try {
    host = atStage('config', () => {
      const argv = process.argv.slice(2);
      if (argv.length !== 1) throw new Error('server: expected one argument, the config as JSON');
      return { config: JSON.parse(argv[0]) as ServerConfig, stopFd: 0 };
    });
  } catch (error) {
    emit(errorMessage(error));
    process.exit(1);
  }
  process.exit(serveOnce(host, emit, setup) ? 0 : 1);
}
