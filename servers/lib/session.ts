// The loop every server runs: watch sockets, stream messages to the harness, stop cleanly when stdin closes.
import { writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DumpFilter } from './dump-filter.ts';
import { close, pollReadable, read, recv } from './libc.ts';
import type { ServerConfig, ServerMessage } from '../protocol.ts';

const RECV_BUFFER = 65536;

export function emit(message: ServerMessage): void {
  writeSync(1, JSON.stringify(message) + '\n');
}

export function parseServerConfig(argv = process.argv.slice(2)): ServerConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      object: { type: 'string' },
      program: { type: 'string' },
      channel: { type: 'string' },
      tag: { type: 'string' },
      address: { type: 'string' },
      port: { type: 'string' },
      return: { type: 'string' },
    },
  });
  const need = (name: keyof typeof values) => {
    const v = values[name];
    if (v === undefined) throw new Error(`server: --${name} is required`);
    return v;
  };
  const channel = need('channel');
  if (channel !== 'ringbuf' && channel !== 'trace_pipe') throw new Error(`server: unknown channel ${channel}`);
  return {
    object: need('object'),
    program: need('program'),
    channel,
    tag: Number(need('tag')),
    address: need('address'),
    port: Number(need('port')),
    returnValue: values.return === undefined ? undefined : Number(values.return),
  };
}

/** Called when a watched socket is readable (or, at stop, once more to drain it). */
type OnReadable = () => void;

export class Session {
  readonly config: ServerConfig;
  readonly filter: DumpFilter;
  private readonly watched = new Map<number, OnReadable>();
  private readonly buf = Buffer.alloc(RECV_BUFFER);

  constructor(config: ServerConfig) {
    this.config = config;
    this.filter = new DumpFilter(config, emit);
  }

  watch(fd: number, onReadable: OnReadable): void {
    this.watched.set(fd, onReadable);
  }

  unwatch(fd: number): void {
    this.watched.delete(fd);
    close(fd);
  }

  /** Drains a socket's queue, reporting each read; returns true at end of stream. */
  drainSocket(fd: number): boolean {
    for (;;) {
      const data = recv(fd, this.buf);
      if (data === null) return false;
      if (data.length === 0) return true;
      emit({ type: 'read', hex: Buffer.from(data).toString('hex') });
    }
  }

  /** Says the filter is attached, then serves until the harness closes our stdin. */
  run(): never {
    emit({ type: 'ready' });
    const ringFd = this.filter.readyFd;
    for (;;) {
      const fds = [0, ...(ringFd === null ? [] : [ringFd]), ...this.watched.keys()];
      for (const fd of pollReadable(fds, -1)) {
        if (fd === 0) {
          if (read(0, this.buf) === 0) this.stop();
        } else if (fd === ringFd) this.filter.drain();
        else this.watched.get(fd)?.();
      }
    }
  }

  /** Final drain: queued reads first, then detach (no more records can appear), then the ring buffer. */
  private stop(): never {
    for (const onReadable of [...this.watched.values()]) onReadable();
    this.filter.detachAll();
    this.filter.drain();
    emit({ type: 'done', ...this.filter.counters() });
    for (const fd of [...this.watched.keys()]) this.unwatch(fd);
    this.filter.close();
    process.exit(0);
  }
}

/** Runs a server body; any failure becomes one error message and exit status 1. */
export function serve(setup: (session: Session) => void): void {
  try {
    const session = new Session(parseServerConfig());
    setup(session);
    session.run();
  } catch (error) {
    emit({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
}
