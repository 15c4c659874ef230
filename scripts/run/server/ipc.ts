// What passes between the harness and a server: the config and the messages (JSON lines on stdout for a
// server process, posted messages for a server thread: servers/sockets/session.ts, thread-host.ts). Byte strings are lowercase hex.
import type { HookName } from '../../hooks/index.ts';
import type { CaptureChannel } from '../../vocabulary/observations.ts';

export type { CaptureChannel };

export interface ServerConfig {
  /** The compiled BPF object and the program in it to attach (or, with `classic`, a classic BPF filter file). */
  object: string;
  classic?: boolean;
  program: string;
  hook: HookName;
  channel: CaptureChannel;
  /** 16-bit run tag that trace_pipe lines carry. */
  tag: number;
  address: string;
  port: number;
  /** IP protocol of raw sockets (the server's, for raw servers, and the observer's). */
  protocol: number;
  /** The server-side interface: XDP and tc attach here, AF_PACKET sockets bind here. */
  ifname: string;
  /** A cgroup2 directory the server joins before opening sockets (cgroup hooks attach to it). */
  cgroup?: string;
  /** What the program returns: absent for its hook's "keep going" value, else this fixed value. */
  returnValue?: number;
  /** Record only the first `limit` packets (exchanges that repeat themselves, like TCP retransmissions). */
  limit?: number;
  /** Also open an unfiltered raw socket for `protocol`: it shows what other sockets still receive. */
  observer?: boolean;
  /** Pin these maps under bpffs (map name → path). */
  pins?: Record<string, string>;
  /** Count ring-buffer records (or perf samples) instead of sending each: floods (the fidelity benchmark). */
  countOnly?: boolean;
}

export type ServerMessage =
  /** The program is attached: traffic may start. */
  | { type: 'ready' }
  /** One read that returned (possibly zero) bytes, on the server's socket or the observer. */
  | { type: 'read'; socket: 'server' | 'observer'; hex: string; pktType?: number }
  /** A stream socket's peer closed; the server detached the program before closing. */
  | { type: 'eof' }
  /** One ring-buffer record or perf sample (channels ringbuf and perf). `time`: a perf sample's
   *  bpf_ktime_get_ns(), in decimal (a JSON number loses nanoseconds after 104 days of uptime), which puts
   *  the per-CPU buffers' samples back in order. */
  | { type: 'packet'; seq: number; length: number; hex: string; pktType: number; protocol: number; ifindex: number; time?: string }
  /** A map entry the program keeps (flows, counts), read after the program was detached. */
  | { type: 'entry'; map: string; key: string; value: number }
  /** What the program read outside its view of packet `seq` (the `reach` map's value), after detaching. */
  | { type: 'reach'; seq: number; record: string }
  /** The server stopped: counters read from the program after it was detached, and the ring-buffer
   *  records or perf samples this server consumed. */
  | { type: 'done'; seen: number; lost: number; received: number }
  /** A server thread: the write end of its stop pipe, which the harness closes to stop it. */
  | { type: 'stop-fd'; fd: number }
  /** A server thread finished the experiment (after `done`, or after `error`) and is free for the next. */
  | { type: 'ended'; ok: boolean }
  /** The server failed at `stage`; `verifier` is the end of the verifier's log when a program was rejected. */
  | { type: 'error'; stage: ServerStage; call?: string; errno?: number; message: string; verifier?: string };

/** One experiment for a server thread: which server, its config, and the network namespace it enters. */
export interface ServerThreadJob {
  kind: string;
  config: ServerConfig;
  netns: string;
}

/** What a server was doing when it failed: reading its config (and, in a thread, entering its namespace), loading the BPF object (libbpf opens it and
 *  the verifier checks it), writing the program's config map, pinning maps, attaching to the hook or a
 *  socket, opening its sockets, or serving. run/server/server-failure.ts maps each to an exit code. */
export type ServerStage = 'config' | 'load' | 'configure' | 'pin' | 'attach' | 'socket' | 'serve';
