// The loop every server runs: watch sockets, stream messages to the harness, stop cleanly when the harness
// says so (stdin or, in a worker thread, the stop pipe closing: see host.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureProgram } from '../load-attach/capture-program.ts';
import { StageError, atStage } from '../load-attach/stage.ts';
import { AF_INET, AF_INET6, AF_PACKET, SOCK_NONBLOCK, SOCK_RAW, close, pollReadable, read, recvfrom, socket } from './libc.ts';
import { messageSink, serverHost, type ServerHost } from './host.ts';
import type { ServerConfig, ServerMessage } from '../../scripts/run/server/ipc.ts';

const RECV_BUFFER = 65536;

export function addressFamily(address: string): number {
  return address.includes(':') ? AF_INET6 : AF_INET;
}

/** Called when a watched socket is readable (or, at stop, once more to drain it). */
type OnReadable = () => void;

export class Session {
  readonly program: CaptureProgram;
  private readonly watched = new Map<number, OnReadable>();
  private readonly buf = Buffer.alloc(RECV_BUFFER);

  readonly config: ServerConfig;
  private readonly stopFd: number;

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
    this.program = new CaptureProgram(config, emit);
    if (config.observer) {
      const fd = socket(addressFamily(config.address), SOCK_RAW | SOCK_NONBLOCK, config.protocol);
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
  run(): never {
    this.emit({ type: 'ready' });
    const ringFd = this.program.readyFd;
    for (;;) {
      const fds = [this.stopFd, ...(ringFd === null ? [] : [ringFd]), ...this.watched.keys()];
      for (const fd of pollReadable(fds, -1)) {
        if (fd === this.stopFd) {
          if (read(this.stopFd, this.buf) === 0) this.stop();
        } else if (fd === ringFd) this.program.drain();
        else this.watched.get(fd)?.();
      }
    }
  }

  /** Final drain: queued reads first, then detach (no more records can appear), then the ring buffer. */
  private stop(): never {
    for (const onReadable of [...this.watched.values()]) onReadable();
    this.program.detachAll();
    this.program.drain();
    this.emit(this.program.report());
    for (const fd of [...this.watched.keys()]) this.unwatch(fd);
    this.program.close();
    if (this.stopFd !== 0) close(this.stopFd);
    process.exit(0); // in a worker thread, this ends the thread
  }
}

/** Runs a server body; any failure becomes one error message and exit status 1. */
export function serve(setup: (session: Session) => void): void {
  const emit = messageSink();
  try {
    const host = atStage('config', () => serverHost(emit));
    const session = atStage('socket', () => new Session(host, emit));
    atStage('socket', () => setup(session));
    atStage('serve', () => session.run());
  } catch (error) {
    const failure = error instanceof StageError ? error : new StageError('serve', error);
    const { stage, call, errno, verifier, message } = failure;
    emit({
      type: 'error',
      stage,
      ...(call === undefined ? {} : { call }),
      ...(errno === undefined ? {} : { errno }),
      message,
      ...(verifier === undefined ? {} : { verifier }),
    });
    process.exit(1);
  }
}
